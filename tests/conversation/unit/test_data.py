"""Bank data through the engine with fakes: the point's disclosure is answered, a refusal worded by its
reason, a read that needs a link is met with the invitation that resumes the question."""

from __future__ import annotations

from sarraf.conversation import answers
from sarraf.domain.disclosure import Decision, Outcome
from sarraf.domain.errors import BankUnavailable, NotLinked
from tests.conversation.unit.conftest import BANK, World, text


async def test_a_balance_question_is_answered_from_the_disclosure(world: World) -> None:
    world.nlu.means("what's my balance?", "check_balance")
    (reply,) = await world.say("what's my balance?")
    assert reply.text == answers.balances("en", BANK, world.bank.balances_held).text
    assert world.bank.reads == ["balances"]


async def test_a_refused_read_says_the_agreement_refused_it(world: World) -> None:
    world.bank.decision = Decision(Outcome.DENY, None, "bank-agreement")
    world.nlu.means("what's my balance?", "check_balance")
    (reply,) = await world.say("what's my balance?")
    assert reply.text == text("denied")


async def test_a_read_before_linking_invites_and_resumes_the_question(world: World) -> None:
    world.bank.failing = NotLinked("cust-1")
    world.nlu.means("what's my balance?", "check_balance")
    (reply,) = await world.say("what's my balance?")
    assert reply.text == text("link_needed") and reply.buttons[0].login
    assert world.consents.invited == ["what's my balance?"]


async def test_a_bank_that_is_down_is_told_plainly(world: World) -> None:
    world.bank.failing = BankUnavailable("sandbox")
    world.nlu.means("show my transactions", "recent_transactions")
    (reply,) = await world.say("show my transactions")
    assert reply.text == text("bank_down")
