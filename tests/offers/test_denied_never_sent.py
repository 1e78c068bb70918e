"""Property: an offer whose disclosure decision is a deny never reaches a channel — not as a ready message, not
handed over to web chat — and every offer routed to a customer was decided and audited first, allowed or
denied. The real router, agreement and decider; the stores are in memory (hypothesis makes thousands of
worlds: opt-ins, link states, granted permissions, channels, windows, caps, fraud alerts, two agreements)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sarraf.alerts.offers import OfferFacts, OfferGate
from sarraf.alerts.ports import Received, Recipient, Routed
from sarraf.alerts.preferences import AlertPreferences
from sarraf.alerts.router import AlertRouter
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.domain.offers import OfferRules, OptIn
from sarraf.policy.agreement import DEFAULT_AGREEMENT, parse_agreement
from sarraf.policy.decision_cache import CachedDecider

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # noon: outside the night's quiet hours
DEFAULT = DEFAULT_AGREEMENT.read_text(encoding="utf-8")
# The agreement before issue #16: every marketing purpose forbidden, whatever the customer says.
NO_OFFERS = DEFAULT.replace('unless { context.purpose == Purpose::"marketing.communications" && resource == '
                            'DataCategory::"user.financial.offers" };', ";")
DECIDERS = {"default": CachedDecider(parse_agreement(DEFAULT)),
            "no-offers": CachedDecider(parse_agreement(NO_OFFERS))}
PERMISSIONS = ("ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadTransactionsBasic",
               "ReadTransactionsCredits", "ReadTransactionsDebits", "ReadOffers")
CHANNELS = ("webchat", "terminal", "telegram", "alexa", "messenger", "whatsapp", "sms")  # sms: not a recipient


@dataclass
class World:
    items: list[Received]
    recipients: dict[tuple[str, str], Recipient]
    opt_ins: dict[str, OptIn]
    windows_open: dict[str, bool]
    fraud_today: set[str]
    sent_before: dict[str, int]
    results: list[Routed] = field(default_factory=list)
    audited: list[tuple[DisclosureRequest, Decision]] = field(default_factory=list)
    handed: dict[str, list[Any]] = field(default_factory=dict)
    recorded: list[str] = field(default_factory=list)
    _given: bool = False

    # ---- the outbox ----
    @asynccontextmanager
    async def routing_turn(self) -> AsyncIterator[bool]:
        yield True

    async def routing_batch(self, limit: int) -> tuple[list[Received], dict[tuple[str, str], Recipient]]:
        if self._given:
            return [], {}
        self._given = True
        return self.items, self.recipients

    async def newer_on_stream(self, event: BankEvent, row_id: int) -> bool:
        return False

    async def routed(self, results: Sequence[Routed]) -> int:
        self.results += results
        return sum(1 for r in results if r.status == "ready")

    # ---- the audit log, links, fraud cases, revoker ----
    async def record_many(self, decisions: Sequence[tuple[DisclosureRequest, Decision]]) -> None:
        self.audited += decisions

    def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None) -> str:
        return f"https://gw.test/secure/{view}/{start}"

    async def open(self, case: Any) -> None:
        raise AssertionError("no fraud case is opened for an offer")

    async def revoke_link(self, tenant: str, consent_id: str) -> None:
        raise AssertionError("an offer revokes nothing")

    # ---- the offers' store and the platforms' windows ----
    async def opt_in(self, tenant: str, customer_id: str) -> OptIn | None:
        return self.opt_ins.get(customer_id)

    async def facts(self, tenant: str, customer_ids: Collection[str], event_ids: Collection[str],
                    now: datetime) -> OfferFacts:
        return OfferFacts(frozenset(customer_ids), {c: o for c, o in self.opt_ins.items() if c in customer_ids},
                          frozenset(), {c: NOW - timedelta(hours=1) for c in self.fraud_today},
                          {c: self.sent_before.get(c, 0) + self.recorded.count(c) for c in customer_ids},
                          len(self.recorded))

    async def record(self, admitted: Sequence[tuple[str, str, str, datetime]]) -> None:
        self.recorded += [customer for _, _, customer, _ in admitted]

    async def last_inbound(self, channel: str, account: str, customer: str) -> datetime | None:
        return NOW - timedelta(hours=1) if self.windows_open.get(customer) else None


customer = st.fixed_dictionaries({
    "channel": st.sampled_from(CHANNELS),
    "status": st.sampled_from(list(ConsentStatus)),
    "tokens": st.booleans(),
    "permissions": st.frozensets(st.sampled_from(PERMISSIONS)),
    "opt_in": st.sampled_from([None, True, False]),
    "alerts": st.booleans(),
    "window": st.booleans(),
    "fraud": st.booleans(),
    "sent": st.integers(0, 3),
    "expired": st.booleans(),
})


def _world(people: list[dict[str, Any]]) -> World:
    items, recipients, opt_ins, windows, fraud, sent = [], {}, {}, {}, set(), {}
    for n, p in enumerate(people):
        cid, consent, sender = f"c{n}", f"consent-{n}", f"s{n}"
        event = BankEvent("sandbox", f"offer-{n}", AlertKind.OFFER, consent, NOW,
                          {"offer_id": f"OF-{n}", "description": f"Offer {n}", "term": "Terms."})
        items.append(Received(n + 1, event, NOW))
        recipients[("sandbox", consent)] = Recipient(
            cid, "en", p["status"], tuple(sorted(p["permissions"])),
            NOW - timedelta(days=1) if p["expired"] else NOW + timedelta(days=90), p["tokens"],
            ((p["channel"], sender),), AlertPreferences(opted_in=p["alerts"], timezone="UTC"))
        if p["opt_in"] is not None:
            opt_ins[cid] = OptIn(p["opt_in"], p["channel"], NOW - timedelta(days=2))
        windows[sender] = p["window"]
        if p["fraud"]:
            fraud.add(cid)
        sent[cid] = p["sent"]
    return World(items, recipients, opt_ins, windows, fraud, sent)


async def _route(people: list[dict[str, Any]], agreement: str) -> World:
    world = _world(people)
    gate = OfferGate(world, {"sandbox": OfferRules(per_customer_per_week=2)}, world)
    router = AlertRouter(world, DECIDERS[agreement], world, world, world, world, bank_names={"sandbox": "Bank"},
                         default_langs={"sandbox": "en"}, clock=lambda: NOW, offers=gate)
    router.hand_over_with(lambda channel, messages: world.handed.setdefault(channel, []) or [{"m": len(messages)}])
    await router.route_pending()
    return world


async def test_the_property_is_not_vacuous_an_opted_in_customer_gets_the_offer() -> None:
    yes = {"channel": "webchat", "status": ConsentStatus.AUTHORISED, "tokens": True, "permissions": frozenset(),
           "opt_in": True, "alerts": False, "window": False, "fraud": False, "sent": 0, "expired": False}
    world = await _route([yes, {**yes, "opt_in": False}], "default")
    assert [(r.customer_id, r.status) for r in world.results] == [("c0", "ready"), ("c1", "filtered")]
    assert world.results[0].handed_over and not world.results[1].handed_over
    assert [d.policy_id for _, d in world.audited] == ["permit-direct-marketing-offers", "consent"]


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customer, min_size=1, max_size=6), st.sampled_from(sorted(DECIDERS)))
async def test_a_denied_offer_never_reaches_a_channel(people: list[dict[str, Any]], agreement: str) -> None:
    world = await _route(people, agreement)
    decided = {request.customer_id: decision for request, decision in world.audited}
    assert len(world.audited) == len(people)  # every offer decided and audited, allow and deny alike
    assert all(r.purpose == "marketing.communications" and r.categories == ("user.financial.offers",)
               for r, _ in world.audited)
    for routed in world.results:
        decision = decided[routed.customer_id or ""]
        if not decision.allowed:
            assert routed.status == "filtered" and not routed.messages and routed.handed_over is None
            assert routed.reason.startswith(f"denied by {decision.policy_id}")
        if routed.status == "ready":
            opt = world.opt_ins.get(routed.customer_id or "")
            assert decision.allowed and opt is not None and opt.opted_in and agreement == "default"
            assert all(any(b["payload"] == "offers:stop" for b in m["buttons"]) for m in routed.messages)
    assert sorted(world.recorded) == sorted(r.customer_id or "" for r in world.results if r.status == "ready")

