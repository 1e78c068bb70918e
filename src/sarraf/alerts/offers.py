"""The bank's own offers through the alert pipeline (issue #16): the customer's opt-in, the caps, the day of a
fraud alert, quiet hours and what each platform allows for marketing.

An offer event carries only the offer (text, terms, ids), matched inside the bank. Routing decides it like any
alert — purpose `marketing.communications`, category `user.financial.offers`, against the bank's agreement and
the customer's consent, where the scope `offers` is present only while the customer's opt-in stands — and
audits the decision, allowed or denied, before anything is sent. An allowed offer is then held back when:

* the customer already had `per_customer_per_week` offers in the last 7 days, or the bank sent
  `per_bank_per_day` in the last 24 hours (banks.yaml `offers:`);
* a fraud alert reached the customer since midnight in their time zone (an offer next to "was this you?"
  reads like a scam);
* on Messenger and WhatsApp, the message would go out after the 24-hour window: outside it Messenger takes only
  utility templates, and "marketing content is not allowed in utility messages"; WhatsApp marketing templates
  are used only where the bank configured one (`marketing_templates`; none by default, so: not sent).

Quiet hours: the customer's own, else 22:00-07:00 in their zone — offers wait for the morning.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from sarraf.alerts.preferences import NIGHT, AlertPreferences, quiet_until
from sarraf.domain.disclosure import DisclosureRequest, Minimisation
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.domain.messages import Button, Outbound
from sarraf.domain.offers import STOP_PAYLOAD, WHY_PAYLOAD, OfferRules, OptIn
from sarraf.i18n.replies import catalog
from sarraf.policy.consent_grant import ConsentGrant, Scope

DIRECT_MARKETING = "marketing.communications"
OFFER_CATEGORY = "user.financial.offers"
OFFER_VIEW = "offer"  # the secure page of a link-only offer (policy/secure_links.py)
META_CHANNELS = ("messenger", "whatsapp")
WINDOW = timedelta(hours=24)
MARKETING = {"purpose": "marketing"}  # Outbound.extra: channels may tell marketing from service messages


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What routing needs to know about some customers of one bank, read once per routing round."""

    customers: frozenset[str]
    opt_ins: Mapping[str, OptIn]
    counted: frozenset[str]  # event ids recorded already (routed again after a crash): not counted twice
    last_fraud: Mapping[str, datetime]  # customer -> the latest fraud case deadline or fraud event time
    sent_this_week: Mapping[str, int]  # customer -> offers recorded in the last 7 days
    bank_today: int  # the bank's offers recorded in the last 24 hours


class OfferStore(Protocol):
    async def opt_in(self, tenant: str, customer_id: str) -> OptIn | None: ...

    async def facts(self, tenant: str, customer_ids: Collection[str], event_ids: Collection[str],
                    now: datetime) -> OfferFacts: ...

    async def record(self, admitted: Sequence[tuple[str, str, str, datetime]]) -> None:
        """Count a round's admitted offers for the caps: (tenant, event_id, customer_id, at), once per event."""
        ...


class LastInbound(Protocol):
    async def last_inbound(self, channel: str, account: str, customer: str) -> datetime | None: ...


def offer_request(event: BankEvent, customer_id: str, channel: str) -> DisclosureRequest:
    return DisclosureRequest(event.tenant, customer_id, DIRECT_MARKETING, (OFFER_CATEGORY,), channel)


def with_opt_in(grant: ConsentGrant, opt_in: OptIn | None) -> ConsentGrant:
    """The customer's consent with the scope `offers` while their opt-in stands, without it otherwise."""
    if opt_in is not None and opt_in.opted_in:
        return grant.with_scopes(grant.scopes | {Scope.OFFERS})
    return grant.with_scopes(grant.scopes - {Scope.OFFERS})


def offer_quiet_until(prefs: AlertPreferences, now: datetime) -> datetime | None:
    """The customer's quiet hours, or the night when they chose none: nobody opted in to offers at 3 a.m."""
    if prefs.quiet_start and prefs.quiet_end:
        return quiet_until(prefs, now)
    return quiet_until(prefs.with_changes(quiet_start=NIGHT[0], quiet_end=NIGHT[1]), now)


class OfferGate:
    def __init__(self, store: OfferStore, rules: Mapping[str, OfferRules], windows: LastInbound | None) -> None:
        self._store = store
        self._rules = rules
        self._windows = windows
        self._admitted: list[tuple[str, str, str, datetime]] = []  # this routing round's, until `flush`
        self._facts: dict[str, OfferFacts] = {}  # this routing round's, per bank

    async def prepare(self, round_events: Sequence[tuple[BankEvent, str]], now: datetime) -> None:
        """Read what the round's offers need in a few statements per bank rather than several per offer (each
        a round trip routing waits on). `round_events`: the round's events with their customers. A fraud event
        in the round counts as a fraud alert of the day for its customer, wherever it stands in the round."""
        self._facts = {}
        offers = [(e, c) for e, c in round_events if e.kind is AlertKind.OFFER]
        for tenant in {e.tenant for e, _ in offers}:
            mine = [(e, c) for e, c in offers if e.tenant == tenant]
            found = await self._store.facts(tenant, {c for _, c in mine}, [e.event_id for e, _ in mine], now)
            fraud = dict(found.last_fraud)
            for e, c in round_events:
                if e.tenant == tenant and e.kind is AlertKind.SUSPECTED_FRAUD:
                    fraud[c] = max(fraud.get(c, e.occurred_at), e.occurred_at)
            self._facts[tenant] = replace(found, last_fraud=fraud)

    async def _facts_of(self, tenant: str, customer_id: str, event_id: str, now: datetime) -> OfferFacts:
        found = self._facts.get(tenant)
        if found is None or customer_id not in found.customers:  # not prepared: read this one alone
            return await self._store.facts(tenant, {customer_id}, [event_id], now)
        return found

    async def grant(self, tenant: str, customer_id: str, grant: ConsentGrant, now: datetime) -> ConsentGrant:
        facts = await self._facts_of(tenant, customer_id, "", now)
        return with_opt_in(grant, facts.opt_ins.get(customer_id))

    async def hold(self, event: BankEvent, customer_id: str, prefs: AlertPreferences, channel: str, sender: str,
                   now: datetime) -> tuple[str | None, datetime | None]:
        """(why the allowed offer is not sent, or None; when it may be sent, None meaning now)."""
        tenant = event.tenant
        rules = self._rules.get(tenant, OfferRules())
        available = offer_quiet_until(prefs, now)
        if channel in META_CHANNELS and channel not in rules.marketing_templates:
            last = None if self._windows is None else await self._windows.last_inbound(channel, tenant, sender)
            if last is None or (available or now) - last >= WINDOW:
                return f"{channel} allows no marketing outside its 24-hour window", None
        facts = await self._facts_of(tenant, customer_id, event.event_id, now)
        if event.event_id in facts.counted:
            return None, available  # let through before a crash: counted once, sent once
        midnight = now.astimezone(prefs.zone()).replace(hour=0, minute=0, second=0, microsecond=0)
        fraud = facts.last_fraud.get(customer_id)
        if fraud is not None and fraud >= midnight:
            return "no offer on the day of a fraud alert", None
        mine = facts.sent_this_week.get(customer_id, 0) + sum(
            1 for a in self._admitted if a[0] == tenant and a[2] == customer_id)
        if mine >= rules.per_customer_per_week:
            return f"cap: {rules.per_customer_per_week} offers a week per customer", None
        if facts.bank_today + sum(1 for a in self._admitted if a[0] == tenant) >= rules.per_bank_per_day:
            return f"cap: {rules.per_bank_per_day} offers a day for the bank", None
        self._admitted.append((tenant, event.event_id, customer_id, now))
        return None, available

    async def flush(self) -> None:
        """Record the round's admitted offers for the caps: one transaction a round, committed before the round's
        outcomes (a crash in between routes the events again, and they are found counted, not counted twice)."""
        admitted, self._admitted, self._facts = self._admitted, [], {}
        await self._store.record(admitted)


def offer_buttons(lang: str) -> tuple[Button, ...]:
    c = catalog()
    return (Button(c.text(lang, "offers_stop_button"), payload=STOP_PAYLOAD),
            Button(c.text(lang, "offers_why_button"), payload=WHY_PAYLOAD))


def render_offer(event: BankEvent, level: Minimisation, lang: str, bank: str,
                 secure_url: str | None = None) -> list[Outbound]:
    """The offer in the customer's language with its one-tap "stop offers"; link-only: the details only on the
    secure page. The offer holds no customer data, so masked shows it as full does."""
    c = catalog()
    stop_and_why = offer_buttons(lang)
    if level is Minimisation.LINK_ONLY:
        text = c.text(lang, "offers_link_only", bank=bank)
        link = (Button(c.text(lang, "offers_open_button"), url=secure_url),) if secure_url else ()
        return [Outbound(text, lang, buttons=(*link, *stop_and_why), link_only=True, extra=dict(MARKETING))]
    d = event.data
    text = c.text(lang, "offers_message", bank=bank, description=str(d.get("description", "")),
                  term=str(d.get("term", "")))
    return [Outbound(text, lang, buttons=stop_and_why, extra=dict(MARKETING))]
