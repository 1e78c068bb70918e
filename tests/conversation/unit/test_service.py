"""The service flow registered on the engine (flows/service.py) with fakes: a service question is answered
from the bank's knowledge base and "did that help?" is noted; a bank without one hands the question over."""

from __future__ import annotations

import pytest

from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.conversation.flows.service import ServiceFlow
from sarraf.kb import KnowledgeBase, load
from tests.conversation.unit import fakes
from tests.conversation.unit.conftest import TENANT, World, text

QUESTION = "how do I activate my card?"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    service = load_banks(DEFAULT_BANKS_FILE)["sandbox"].service
    return load("sandbox", service.answers, service.overrides, service.values)


async def test_a_service_question_is_answered_and_the_verdict_noted(world: World, kb: KnowledgeBase) -> None:
    outcomes = fakes.Outcomes()
    world.conversation.register_flow(ServiceFlow({TENANT: kb}, world.handoffs, outcomes=outcomes, clock=world.clock))
    world.nlu.means(QUESTION, "activate_my_card")
    (answer,) = await world.say(QUESTION)
    general = kb.answer("activate_my_card", "en")
    assert general is not None and answer.text.startswith(general)
    assert answer.text.endswith(text("service_did_it_help"))
    await world.say("yes, thanks")
    assert outcomes.noted == [("activate_my_card", True)] and world.handoffs.asked == []


async def test_a_bank_without_a_knowledge_base_hands_the_question_over(world: World) -> None:
    world.conversation.register_flow(ServiceFlow({}, world.handoffs))
    world.nlu.means(QUESTION, "activate_my_card")
    (reply,) = await world.say(QUESTION)
    assert reply.text == text("service_question")
    assert world.handoffs.asked == [("cust-1", "activate_my_card")]
