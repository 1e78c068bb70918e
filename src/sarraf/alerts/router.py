"""Routing: from an accepted bank event to rendered messages for one customer on one channel.

For each event: find our customer by the consent it names; apply their preferences (opt-in, groups switched
off, thresholds, quiet hours — fraud ignores the last two); decide the disclosure against the bank's
agreement and the customer's consent (purpose essential.fraud_detection or essential.service.notifications)
and record every decision in the audit log, allow and deny alike; render under the decided level. Events
that carry no bank data (consent revoked, resource updated) need no disclosure decision.

Routing runs in the process that owns the audit log (the gateway); delivery workers only send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sarraf.alerts.offers import OFFER_VIEW, OfferGate, offer_request, render_offer, with_opt_in
from sarraf.alerts.poison import POISON, poison_reason
from sarraf.alerts.ports import RECEIVED, AlertOutbox, FraudCase, FraudCases, Received, Recipient, Routed
from sarraf.alerts.preferences import effective_kind, quiet_until, wanted
from sarraf.alerts.render import render, to_json, warm_render
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.domain.messages import Outbound
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.gate import Decider, DecisionLog, PolicyGate
from sarraf.policy.grants import alerts_grant

log = logging.getLogger(__name__)
NOTIFICATIONS = "essential.service.notifications"
FRAUD_DETECTION = "essential.fraud_detection"
BALANCE = "user.financial.bank_account.balance"
TRANSACTIONS = "user.financial.bank_account.transactions"
DEFAULT_ANSWER_WITHIN_S = 600
NO_DATA = (AlertKind.RESOURCE_UPDATE, AlertKind.CONSENT_REVOKED)
# Events routed per transaction. Smaller rounds keep intake and routing overlapping (each round's events
# reach the customer sooner and free room in intake's backlog sooner); larger ones share fixed costs. 250
# beat 500 in bench/alerts.py on both databases (throughput and latency).
ROUTING_BATCH = 250


RoundDone = Callable[[int, int], None]  # (events handled, messages left ready) after a routing round's commit
HandOver = Callable[[str, list[Outbound]], list[dict[str, Any]] | None]  # (channel, messages) -> payloads


class LinkIssuer(Protocol):
    def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None) -> str: ...


class LinkRevoker(Protocol):
    async def revoke_link(self, tenant: str, consent_id: str) -> None: ...


class Deriver(Protocol):
    """alerts/standard.py: a resource-update read through and turned into alerts (None: not for this bank)."""

    async def prepare(self, updates: Sequence[tuple[BankEvent, Recipient]]) -> None:
        """Read and derive the round's updates ahead (concurrently); `on_update` then answers from that."""

    async def on_update(self, event: BankEvent, recipient: Recipient) -> str | None: ...

    async def flush(self) -> None:
        """The round's derived alerts into the outbox, before the round's outcomes commit."""


def alert_grant(tenant: str, r: Recipient) -> ConsentGrant:
    """The customer's consent as alerts see it: linked scopes, plus alerts once they opted in."""
    return alerts_grant(tenant, r.customer_id, r.permissions, r.preferences.opted_in, r.link_status, r.has_tokens,
                        r.link_expires_at)


def request_for(event: BankEvent, customer_id: str, channel: str) -> DisclosureRequest:
    if event.kind is AlertKind.OFFER:  # the bank's offer, for direct marketing (alerts/offers.py)
        return offer_request(event, customer_id, channel)
    purpose = FRAUD_DETECTION if event.kind is AlertKind.SUSPECTED_FRAUD else NOTIFICATIONS
    category = BALANCE if event.kind is AlertKind.LOW_BALANCE else TRANSACTIONS
    return DisclosureRequest(event.tenant, customer_id, purpose, (category,), channel)


@dataclass(frozen=True, slots=True)
class _Plan:
    item: Received
    recipient: Recipient
    channel: str
    sender: str
    request: DisclosureRequest | None
    decision: Decision | None  # decided for the whole round at once (PolicyGate.decide_many)
    grant: ConsentGrant | None = None


class AlertRouter:
    def __init__(self, outbox: AlertOutbox, decider: Decider, audit: DecisionLog, links: LinkIssuer,
                 fraud: FraudCases, revoker: LinkRevoker, *, bank_names: Mapping[str, str],
                 default_langs: Mapping[str, str], clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 offers: OfferGate | None = None) -> None:
        self._outbox = outbox
        self._gate = PolicyGate(decider, audit)  # every alert's disclosure decided and audited at the one door
        self._links = links
        self._fraud = fraud
        self._revoker = revoker
        self._bank_names = bank_names
        self._default_langs = default_langs
        self._clock = clock
        self._hand_over: HandOver | None = None
        self._offers = offers  # None: no offer is ever let through (their consent scope is never granted)
        self._deriver: Deriver | None = None

    def derive_with(self, deriver: Deriver) -> None:
        """Banks with only standard OB events: a resource-update becomes the alerts derived from what changed
        (put in the outbox, routed in the next round like any bank event) instead of a message of its own."""
        self._deriver = deriver

    def hand_over_with(self, pull_payloads: HandOver) -> None:
        """Delivery runs in this process too: messages for a pull channel (web chat), due now, are handed over
        in the routing transaction instead of becoming ready for a second transaction to claim and send. The
        outbox keeps per-customer order (see AlertOutbox.routed); pull channels have no send quota."""
        self._hand_over = pull_payloads

    def warm(self) -> None:
        """Load the reply catalogue and each bank's CLDR locale data now: otherwise the first routing batch
        pays ~0.5 s for them and every event in it waits."""
        warm_render(self._default_langs.values())

    def arrivals(self, wake: asyncio.Event) -> AbstractAsyncContextManager[bool]:
        """While open, `wake` is set when another process accepts events (False: the store cannot say)."""
        return self._outbox.listen(wake, RECEIVED)

    async def route_pending(self, limit: int = ROUTING_BATCH, *, on_round: RoundDone | None = None) -> int:
        """Route accepted events, round after round of up to `limit`, for as long as rounds find events, all
        in one routing turn (taking the turn costs round trips on PostgreSQL); returns how many were handled
        (0 as well while another process holds the turn). `on_round(handled, left_ready)` runs after each
        round's commit."""
        total = 0
        async with self._outbox.routing_turn() as mine:
            while mine:
                handled, left_ready = await self._route(limit)
                if not handled:
                    break
                total += handled
                if on_round is not None:
                    on_round(handled, left_ready)
        return total

    async def _route(self, limit: int) -> tuple[int, int]:
        """(events handled, messages left ready for the delivery worker)."""
        items, recipients = await self._outbox.routing_batch(limit)
        if not items:
            return 0, 0
        if self._offers is not None:  # opt-ins, caps and fraud alerts of the round's offers, read once
            await self._offers.prepare([(i.event, r.customer_id) for i in items
                                        if (r := recipients.get((i.event.tenant, i.event.consent_id)))], self._clock())
        if self._deriver is not None:
            await self._deriver.prepare(_updates_to_read(items, recipients))
        results: list[Routed] = []
        plans: list[_Plan] = []
        for item in items:
            recipient = recipients.get((item.event.tenant, item.event.consent_id))
            try:
                planned = await self._plan(item, recipient)
            except POISON as exc:  # this record alone: the round goes on for everyone else
                planned = _dead(item, recipient, poison_reason(exc))
            if isinstance(planned, Routed):
                results.append(planned)
            else:
                plans.append(planned)
        # all of the round's decisions, audited in one append before anything is sent: no unrecorded disclosure
        asked = [(p.request, p.grant) for p in plans if p.request is not None and p.grant is not None]
        decisions = iter(await self._gate.decide_many(asked, isolate=POISON))
        decided: list[_Plan] = []
        for plan in plans:
            decision = next(decisions) if plan.request is not None and plan.grant is not None else None
            if isinstance(decision, Exception):  # this event's data broke its decision: it alone is set aside
                results.append(_dead(plan.item, plan.recipient, poison_reason(decision)))
            else:
                decided.append(replace(plan, decision=decision))
        for plan in decided:
            try:
                results.append(await self._finish(plan))
            except POISON as exc:
                results.append(_dead(plan.item, plan.recipient, poison_reason(exc)))
        if self._offers is not None:
            await self._offers.flush()  # the round's offers counted for the caps before its outcomes commit
        if self._deriver is not None:
            await self._deriver.flush()  # derived alerts in the outbox before the updates count as routed
        return len(items), await self._outbox.routed(results)

    async def _plan(self, item: Received, recipient: Recipient | None) -> Routed | _Plan:
        """The event's outcome when screening settles it, else what to decide and render."""
        event = item.event
        if recipient is not None and recipient.unreadable:
            return _dead(item, recipient, recipient.unreadable)
        outcome = await self._screen(item, recipient)
        if outcome is not None:
            return outcome
        assert recipient is not None
        channel, sender = _destination(recipient)
        request = None if event.kind in NO_DATA else request_for(event, recipient.customer_id, channel)
        grant = alert_grant(event.tenant, recipient)
        if event.kind is AlertKind.OFFER:  # the scope `offers` stands only while the customer's opt-in does
            grant = await self._offers.grant(event.tenant, recipient.customer_id, grant, self._clock()) \
                if self._offers else with_opt_in(grant, None)
        return _Plan(item, recipient, channel, sender, request, None, grant)

    async def _screen(self, item: Received, recipient: Recipient | None) -> Routed | None:
        event = item.event
        if recipient is None:
            return Routed(item.row_id, "filtered", reason="no customer holds this consent here")
        if event.kind is AlertKind.CONSENT_REVOKED:
            await self._revoker.revoke_link(event.tenant, event.consent_id)
        if not recipient.identities:
            return Routed(item.row_id, "filtered", recipient.customer_id, reason="customer has no channel")
        if event.kind is AlertKind.RESOURCE_UPDATE and self._deriver is not None:
            derived = await self._deriver.on_update(event, recipient)
            if derived is not None:
                return Routed(item.row_id, "filtered", recipient.customer_id, reason=derived)
        if await self._outbox.newer_on_stream(event, item.row_id):
            return Routed(item.row_id, "superseded", recipient.customer_id, reason="a newer event came first")
        ok, why = wanted(recipient.preferences, event)
        if not ok:
            return Routed(item.row_id, "filtered", recipient.customer_id, reason=why)
        return None

    async def _finish(self, plan: _Plan) -> Routed:
        event, r = plan.item.event, plan.recipient
        if plan.decision is not None and not plan.decision.allowed:
            return Routed(plan.item.row_id, "filtered", r.customer_id,
                          reason=f"denied by {plan.decision.policy_id}: {plan.decision.reason}")
        level = plan.decision.minimisation if plan.decision and plan.decision.minimisation else Minimisation.FULL
        lang = r.lang or self._default_langs.get(event.tenant, "en")
        if event.kind is AlertKind.OFFER and self._offers is not None:
            return await self._finish_offer(plan, level, lang)
        kind = effective_kind(r.preferences, event)
        url = None
        if level is Minimisation.LINK_ONLY:
            view = "balance" if kind is AlertKind.LOW_BALANCE else "transactions"
            url = self._links.issue(event.tenant, r.customer_id, view, None, None)
        messages = render(event, kind, level, lang, self._bank_names.get(event.tenant, event.tenant), url)
        fraud = event.kind is AlertKind.SUSPECTED_FRAUD
        now = self._clock()
        if fraud:
            await self._fraud.open(_case(event, r.customer_id, plan.channel, plan.sender, lang, now, level))
        available = None if fraud else quiet_until(r.preferences, now)
        payloads = self._hand_over(plan.channel, messages) if self._hand_over and available is None else None
        return Routed(plan.item.row_id, "ready", r.customer_id, plan.channel, plan.sender, to_json(messages),
                      available.astimezone(UTC) if available else None, "urgent" if fraud else "normal",
                      handed_over=payloads)


    async def _finish_offer(self, plan: _Plan, level: Minimisation, lang: str) -> Routed:
        """An allowed offer, unless caps, a fraud alert today or the platform hold it back (alerts/offers.py)."""
        event, r = plan.item.event, plan.recipient
        assert self._offers is not None
        why, available = await self._offers.hold(event, r.customer_id, r.preferences, plan.channel, plan.sender,
                                                 self._clock())
        if why is not None:
            return Routed(plan.item.row_id, "filtered", r.customer_id, reason=why)
        url = None
        if level is Minimisation.LINK_ONLY:
            url = self._links.issue(event.tenant, r.customer_id, OFFER_VIEW, event.event_id, None)
        messages = render_offer(event, level, lang, self._bank_names.get(event.tenant, event.tenant), url)
        payloads = self._hand_over(plan.channel, messages) if self._hand_over and available is None else None
        return Routed(plan.item.row_id, "ready", r.customer_id, plan.channel, plan.sender, to_json(messages),
                      available.astimezone(UTC) if available else None, "normal", handed_over=payloads)


def _updates_to_read(items: Sequence[Received], recipients: Mapping[tuple[str, str], Recipient]
                     ) -> list[tuple[BankEvent, Recipient]]:
    """The round's resource-updates that screening would hand to derivation. A consent revoked in the same round
    is left out: its update is screened in order, after the revocation, as before."""
    revoked = {(i.event.tenant, i.event.consent_id) for i in items if i.event.kind is AlertKind.CONSENT_REVOKED}
    found = []
    for item in items:
        key = (item.event.tenant, item.event.consent_id)
        r = recipients.get(key)
        if item.event.kind is AlertKind.RESOURCE_UPDATE and r is not None and r.identities and not r.unreadable \
                and key not in revoked:
            found.append((item.event, r))
    return found


def _dead(item: Received, recipient: Recipient | None, reason: str) -> Routed:
    # One line, no traceback: the reason is in the dead-letter table, and a poisoned customer's every event
    # would otherwise repeat the same trace.
    log.warning("alert %s/%s dead-lettered at routing: %s", item.event.tenant, item.event.event_id, reason)
    return Routed(item.row_id, "dead", recipient.customer_id if recipient else None, reason=reason)


def _destination(r: Recipient) -> tuple[str, str]:
    preferred = (r.preferences.channel, r.preferences.sender)
    if preferred in r.identities:
        return preferred
    return r.identities[0]


def _case(event: BankEvent, customer_id: str, channel: str, sender: str, lang: str, now: datetime,
          level: Minimisation) -> FraudCase:
    within = event.data.get("answer_within_s", DEFAULT_ANSWER_WITHIN_S)
    seconds = within if isinstance(within, int) and within > 0 else DEFAULT_ANSWER_WITHIN_S
    # The reminder repeats this same disclosure to the same recipient, so it keeps the level decided now.
    data: dict[str, Any] = {**event.data, "decided_level": level.value}
    return FraudCase(event.tenant, event.event_id, customer_id, str(event.data.get("card_id", "")), data,
                     "asked", "none", None, channel, sender, lang, 0, now + timedelta(seconds=seconds))



