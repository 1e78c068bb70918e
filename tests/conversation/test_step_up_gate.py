"""The step-up gate (conversation/step_up.py) with the card and alert flows, over a real SQLite store: an unfreeze is
held until the bank login comes back, runs once, counts for the bank's freshness window; a late or failed
login changes nothing and says so in the customer's language; freezing is never held."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.conversation.flows.alerts import AlertFlows, Who, preference_change
from sarraf.conversation.flows.cards import CardFlows
from sarraf.conversation.step_up import Requester, StepUpGate, device_confirmed
from sarraf.domain.consent import LINK_SESSION_TTL
from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.domain.events import CardAction
from sarraf.i18n.replies import catalog
from sarraf.policy.step_up import Sensitive, StepUpPolicy
from sarraf.store.alerts_prefs import SqlAlertPreferences
from sarraf.store.card_confirmations import SqlCardConfirmations
from sarraf.store.customers import SqlCustomers
from sarraf.store.database import make_engine
from sarraf.store.held_actions import SqlHeldActions
from tests.alerts.pipeline import create_schema
from tests.conversation.cards_world import CardDesk
from tests.support.sealing import addresses_for_tests, identities_for_tests

ADDRESSES = addresses_for_tests()  # held actions and alert destinations keep addresses hashed

UNFREEZE = {"en": "unfreeze my card", "pl": "odblokuj kartę", "ar": "فك تجميد بطاقتي"}


@dataclass(frozen=True)
class Asker:
    tenant: str = "bank"
    customer_id: str = "cust1"
    channel: str = "webchat"
    sender: str = "sender1"
    lang: str = "en"
    bank: str = "Test Bank"


@dataclass(frozen=True)
class Invitation:
    url: str
    state: str


@dataclass
class Logins:
    states: list[str] = field(default_factory=list)

    async def invite(self, tenant: str, customer_id: str, channel: str, sender: str,
                     resume_text: str | None) -> Invitation:
        state = f"state-{len(self.states)}"
        self.states.append(state)
        return Invitation(f"https://gw.example/link/start/{state}", state)


@dataclass
class Audit:
    records: list[tuple[DisclosureRequest, Decision]] = field(default_factory=list)

    async def record(self, request: DisclosureRequest, decision: Decision) -> object:
        self.records.append((request, decision))
        return len(self.records)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'stepup.db'}")
    await create_schema(engine)
    # The customer wrote from Telegram: stores keep the address hashed and open it from this identity.
    await SqlCustomers(engine, identities_for_tests()).bind("bank", "telegram", "second", "cust1")
    try:
        yield engine
    finally:
        await engine.dispose()


@dataclass
class World:
    desk: CardDesk
    logins: Logins
    audit: Audit
    clock: Clock
    gate: StepUpGate
    flows: CardFlows


@pytest.fixture
def world(engine: AsyncEngine) -> World:
    desk, logins, audit, clock = CardDesk(), Logins(), Audit(), Clock()
    desk.held["c1"] = desk.held["c1"].__class__("c1", "1290", "frozen")
    policy = StepUpPolicy(frozenset({Sensitive.CARD_UNFREEZE}), timedelta(minutes=5), timedelta(minutes=10))
    gate = StepUpGate({"bank": policy}, SqlHeldActions(engine, ADDRESSES), logins, audit, {"bank": "Test Bank"}, clock)
    return World(desk, logins, audit, clock, gate, CardFlows(desk, SqlCardConfirmations(engine), clock,
                                                             step_up=gate))


def text(lang: str, key: str, **values: object) -> str:
    return catalog().text(lang, key, bank="Test Bank", **values)


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_unfreeze_is_held_until_the_login_comes_back_then_runs_once(world: World, lang: str) -> None:
    (asked,) = await world.flows.intent(Asker(lang=lang), "unfreeze_card", UNFREEZE[lang])
    assert asked.text == text(lang, "stepup_needed_card_unfreeze", count=10)
    assert asked.buttons[0].login and asked.buttons[0].url.endswith(world.logins.states[0])
    assert world.desk.asked[CardAction.UNFREEZE] == 0 and world.desk.status("c1") == "frozen"
    world.clock.now += timedelta(minutes=3)
    back = await world.gate.came_back(world.logins.states[0], completed=True)
    assert back is not None and back.completed
    assert [r.text for r in back.replies] == [text(lang, "card_unfrozen", last4="1290")]
    assert world.desk.status("c1") == "active" and world.desk.asked[CardAction.UNFREEZE] == 1
    assert await world.gate.came_back(world.logins.states[0], completed=True) is None  # replayed: nothing
    assert world.desk.asked[CardAction.UNFREEZE] == 1
    assert [d.policy_id for _, d in world.audit.records] == ["step-up:card_unfreeze:done"]


async def test_a_completed_step_up_counts_for_the_freshness_window_only(world: World) -> None:
    await world.flows.intent(Asker(), "unfreeze_card", "unfreeze my card")
    await world.gate.came_back(world.logins.states[0], completed=True)
    await world.flows.intent(Asker(), "freeze_card", "freeze my card")
    world.clock.now += timedelta(minutes=4, seconds=59)
    (done,) = await world.flows.intent(Asker(), "unfreeze_card", "unfreeze my card")
    assert done.text == text("en", "card_unfrozen", last4="1290") and len(world.logins.states) == 1
    await world.flows.intent(Asker(), "freeze_card", "freeze my card")
    world.clock.now += timedelta(seconds=1)  # five minutes since the step-up: a new one is needed
    (asked,) = await world.flows.intent(Asker(), "unfreeze_card", "unfreeze my card")
    assert asked.text == text("en", "stepup_needed_card_unfreeze", count=10) and len(world.logins.states) == 2
    assert world.desk.status("c1") == "frozen"


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_a_late_login_changes_nothing_and_says_so(world: World, lang: str) -> None:
    await world.flows.intent(Asker(lang=lang), "unfreeze_card", UNFREEZE[lang])
    world.clock.now += timedelta(minutes=10)
    back = await world.gate.came_back(world.logins.states[0], completed=True)
    assert back is not None and not back.completed
    assert [r.text for r in back.replies] == [text(lang, "stepup_expired")]
    assert world.desk.asked[CardAction.UNFREEZE] == 0 and world.desk.status("c1") == "frozen"
    assert [d.policy_id for _, d in world.audit.records] == ["step-up:card_unfreeze:expired"]
    (asked,) = await world.flows.intent(Asker(lang=lang), "unfreeze_card", UNFREEZE[lang])  # not a step-up
    assert asked.buttons and world.desk.status("c1") == "frozen"


async def test_a_failed_login_changes_nothing_and_does_not_count(world: World) -> None:
    await world.flows.intent(Asker(lang="pl"), "unfreeze_card", UNFREEZE["pl"])
    back = await world.gate.came_back(world.logins.states[0], completed=False, why="denied")
    assert back is not None and [r.text for r in back.replies] == [text("pl", "stepup_failed")]
    assert world.desk.status("c1") == "frozen"
    assert [(d.policy_id, d.allowed) for _, d in world.audit.records] == [("step-up:card_unfreeze:failed", False)]
    (again,) = await world.flows.intent(Asker(lang="pl"), "unfreeze_card", UNFREEZE["pl"])
    assert again.buttons and len(world.logins.states) == 2


async def test_freezing_is_never_held(world: World) -> None:
    world.desk.held["c1"] = world.desk.held["c1"].__class__("c1", "1290", "active")
    (frozen,) = await world.flows.intent(Asker(), "freeze_card", "freeze my card")
    assert frozen.text == text("en", "card_frozen", last4="1290") and not world.logins.states


async def test_a_bank_without_step_up_unfreezes_at_once(world: World, engine: AsyncEngine) -> None:
    (done,) = await world.flows.intent(Asker(tenant="other"), "unfreeze_card", "unfreeze my card")
    assert done.text == text("en", "card_unfrozen", last4="1290") and not world.logins.states


async def test_a_login_that_was_no_step_up_is_left_to_linking(world: World) -> None:
    assert await world.gate.came_back("an-ordinary-link-state", completed=True) is None
    assert not world.audit.records


class NoFraudCases:
    async def answer(self, a: object) -> list[object]:
        return []

    async def awaiting(self, tenant: str, customer_id: str) -> str | None:
        return None


def _alert_flows(engine: AsyncEngine, world: World, actions: frozenset[Sensitive]) -> tuple[AlertFlows, StepUpGate]:
    policy = StepUpPolicy(actions, timedelta(minutes=5), timedelta(minutes=10))
    gate = StepUpGate({"bank": policy}, SqlHeldActions(engine, ADDRESSES), world.logins, world.audit,
                      {"bank": "Test Bank"}, world.clock)
    flows = AlertFlows(SqlAlertPreferences(engine, ADDRESSES), NoFraudCases(), world.desk, object,
                       {"bank": "Test Bank"}, confirmations=SqlCardConfirmations(engine),
                       step_up=gate, clock=world.clock)
    return flows, gate


def _in(channel: str, sender: str, lang: str = "en") -> Who:
    return Who("bank", "cust1", channel, sender, lang, "Test Bank")


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_alerts_move_to_another_chat_only_after_the_step_up(world: World, engine: AsyncEngine,
                                                                  lang: str) -> None:
    flows, gate = _alert_flows(engine, world, frozenset({Sensitive.ALERT_DESTINATION}))
    prefs = SqlAlertPreferences(engine, ADDRESSES)
    on = preference_change("turn on alerts")
    assert on is not None
    await flows.change_preferences(_in("webchat", "first"), on)  # the first destination needs no step-up
    assert not world.logins.states
    (asked,) = await flows.change_preferences(_in("telegram", "second", lang), on)
    assert asked.text == text(lang, "stepup_needed_alert_destination", count=10) and asked.buttons[0].login
    held = await prefs.get("bank", "cust1")
    assert (held.channel, held.sender, held.opted_in) == ("webchat", "first", True)  # still where they went
    back = await gate.came_back(world.logins.states[0], completed=True)
    assert back is not None and [r.text for r in back.replies] == [text(lang, "alerts_destination_moved")]
    moved = await prefs.get("bank", "cust1")
    assert (moved.channel, moved.sender) == ("telegram", "second")


async def test_a_failed_step_up_leaves_alerts_where_they_went(world: World, engine: AsyncEngine) -> None:
    flows, gate = _alert_flows(engine, world, frozenset({Sensitive.ALERT_DESTINATION}))
    prefs = SqlAlertPreferences(engine, ADDRESSES)
    on = preference_change("turn on alerts")
    assert on is not None
    await flows.change_preferences(_in("webchat", "first"), on)
    await flows.change_preferences(_in("telegram", "second"), on)
    back = await gate.came_back(world.logins.states[0], completed=False, why="denied")
    assert back is not None and [r.text for r in back.replies] == [text("en", "stepup_failed")]
    kept = await prefs.get("bank", "cust1")
    assert (kept.channel, kept.sender) == ("webchat", "first")


async def test_without_step_up_alerts_move_at_once(world: World, engine: AsyncEngine) -> None:
    flows, _ = _alert_flows(engine, world, frozenset({Sensitive.CARD_UNFREEZE}))
    prefs = SqlAlertPreferences(engine, ADDRESSES)
    on = preference_change("turn on alerts")
    assert on is not None
    await flows.change_preferences(_in("webchat", "first"), on)
    (said,) = await flows.change_preferences(_in("telegram", "second"), on)
    assert said.text == text("en", "alerts_on") and not world.logins.states
    moved = await prefs.get("bank", "cust1")
    assert (moved.channel, moved.sender) == ("telegram", "second")


async def test_a_login_that_timed_out_at_the_bank_is_told_as_too_late(world: World) -> None:
    await world.flows.intent(Asker(), "unfreeze_card", "unfreeze my card")
    back = await world.gate.came_back(world.logins.states[0], completed=False, why="timed_out")
    assert back is not None and [r.text for r in back.replies] == [text("en", "stepup_expired")]
    assert [d.policy_id for _, d in world.audit.records] == ["step-up:card_unfreeze:expired"]


async def test_the_hold_never_outlives_the_bank_login(engine: AsyncEngine, world: World) -> None:
    policy = StepUpPolicy(frozenset({Sensitive.CARD_UNFREEZE}), timedelta(minutes=5), timedelta(hours=1))
    gate = StepUpGate({"bank": policy}, SqlHeldActions(engine, ADDRESSES), world.logins, world.audit,
                      {"bank": "Test Bank"}, world.clock)
    flows = CardFlows(world.desk, SqlCardConfirmations(engine), world.clock, step_up=gate)
    (asked,) = await flows.intent(Asker(), "unfreeze_card", "unfreeze my card")
    assert asked.text == text("en", "stepup_needed_card_unfreeze", count=int(LINK_SESSION_TTL.total_seconds() // 60))
    world.clock.now += LINK_SESSION_TTL
    back = await gate.came_back(world.logins.states[0], completed=True)
    assert back is not None and not back.completed and world.desk.status("c1") == "frozen"


async def test_a_new_browser_steps_up_once_for_the_secure_pages(engine: AsyncEngine, world: World) -> None:
    policy = StepUpPolicy(frozenset({Sensitive.SECURE_PAGE_NEW_DEVICE}))
    gate = StepUpGate({"bank": policy}, SqlHeldActions(engine, ADDRESSES), world.logins, world.audit,
                      {"bank": "Test Bank"}, world.clock)
    gate.runs(Sensitive.SECURE_PAGE_NEW_DEVICE, device_confirmed)
    who = Requester("bank", "cust1", "webchat", "sender1", "pl", "Test Bank")
    invitation = await gate.guard_device(who, "browser-a")
    assert invitation is not None and invitation.state == world.logins.states[0]
    assert await gate.guard_device(who, "browser-a") is not None  # not known until the login comes back
    back = await gate.came_back(world.logins.states[0], completed=True)
    assert back is not None and [r.text for r in back.replies] == [text("pl", "stepup_device_confirmed")]
    assert await gate.guard_device(who, "browser-a") is None
    assert await gate.guard_device(who, "browser-b") is not None  # another browser is another device
    other = Requester("bank", "cust2", "webchat", "sender2", "en", "Test Bank")
    assert await gate.guard_device(other, "browser-a") is not None  # and known for its own customer only
    failed = await gate.came_back(world.logins.states[1], completed=False, why="denied")
    assert failed is not None and not failed.completed


async def test_no_secure_page_step_up_unless_the_bank_asks(world: World) -> None:
    who = Requester("bank", "cust1", "webchat", "sender1", "en", "Test Bank")
    assert await world.gate.guard_device(who, "browser-a") is None and not world.logins.states
