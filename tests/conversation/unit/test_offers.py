"""The offers flow registered on the engine (flows/offers.py) with fakes: its phrases are taken ahead of the
model, its stop button is honoured."""

from __future__ import annotations

from sarraf.conversation.flows.offers import OfferFlows
from sarraf.domain.offers import STOP_PAYLOAD, OfferRules
from tests.conversation.unit import fakes
from tests.conversation.unit.conftest import TENANT, World, text


async def test_offers_are_switched_on_by_phrase_and_off_by_their_button(world: World) -> None:
    opt_ins = fakes.OptIns()
    world.conversation.register_flow(OfferFlows(opt_ins, {TENANT: OfferRules()}, clock=world.clock))
    (on,) = await world.say("send me offers")
    assert on.text == text("offers_opted_in", cap=text("offers_per_week", count=2))
    assert on.buttons[0].payload == STOP_PAYLOAD and opt_ins.kept == {(TENANT, "cust-1"): True}
    (off,) = await world.tap(STOP_PAYLOAD)
    assert off.text == text("offers_opted_out") and opt_ins.kept == {(TENANT, "cust-1"): False}
