"""Step-up through the engine with fakes (conversation/step_up.py): an unfreeze is held behind a bank login,
and runs once when the login comes back in time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sarraf.conversation.step_up import StepUpGate
from sarraf.domain.events import CardAction
from sarraf.policy.step_up import Sensitive, StepUpPolicy
from tests.conversation.unit import fakes
from tests.conversation.unit.conftest import BANK, TENANT, World, text, with_alerts


async def test_an_unfreeze_waits_for_the_bank_login_then_runs_once(world: World) -> None:
    policy = StepUpPolicy(frozenset({Sensitive.CARD_UNFREEZE}), timedelta(minutes=5), timedelta(minutes=10))
    gate = StepUpGate({TENANT: policy}, fakes.HeldActions(), world.consents, fakes.Audit(), {TENANT: BANK}, world.clock)
    alerts = with_alerts(world, gate)
    alerts.desk.held["c1"] = replace(alerts.desk.held["c1"], status="frozen")
    world.link()
    world.nlu.means("unfreeze my card", "unfreeze_card")
    (held,) = await world.say("unfreeze my card")
    assert held.text == text("stepup_needed_card_unfreeze", count=10) and held.buttons[0].login
    assert alerts.desk.asked[CardAction.UNFREEZE] == 0
    world.clock.now += timedelta(minutes=2)
    back = await gate.came_back(str(held.extra["link_state"]), completed=True)
    assert back is not None and [r.text for r in back.replies] == [text("card_unfrozen", last4="1290")]
    assert alerts.desk.status("c1") == "active"
    assert await gate.came_back(str(held.extra["link_state"]), completed=True) is None  # replayed: nothing
    assert alerts.desk.asked[CardAction.UNFREEZE] == 1
