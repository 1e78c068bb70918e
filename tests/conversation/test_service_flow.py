"""The service flow on its own (conversation/flows/service.py): the bank's answer in the customer's language,
"did that help?" typed or tapped both ways in three languages, two misunderstandings offering a person, a
bank without a knowledge base handing off, and every one of the 77 × 3 replies short enough for every channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sarraf.channels import alexa, messenger, telegram, whatsapp
from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.conversation.context import CONTEXT_TTL, OFFER_HANDOFF, Memory
from sarraf.conversation.flows.service import ServiceFlow, currency_named, helped
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.turn import Turn
from sarraf.domain.errors import NotLinked
from sarraf.domain.messages import Outbound
from sarraf.i18n.replies import catalog
from sarraf.kb import SERVICE_INTENTS, KnowledgeBase, load
from sarraf.policy.point import Subject
from sarraf.store.conversation_context import SqlConversationContext
from sarraf.store.database import make_engine, migrate

LANGS = ("en", "pl", "ar")
BANK = "Sarraf Sandbox Bank"


@dataclass
class Handoffs:
    requested: list[tuple[str, str]] = field(default_factory=list)

    async def request(self, tenant: str, customer_id: str, channel: str, sender: str, reason: str) -> None:
        self.requested.append((customer_id, reason))


class NeverLinked:
    """Grounding for a customer who never linked: every intent it knows raises NotLinked."""

    intents = frozenset(SERVICE_INTENTS)

    async def ground(self, subject: Subject, intent: str, lang: str, bank: str, card: str | None = None
                     ) -> list[Outbound]:
        raise NotLinked(subject.customer_id)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    service = load_banks(DEFAULT_BANKS_FILE)["sandbox"].service
    return load("sandbox", service.answers, service.overrides, service.values)


def turn(lang: str, text: str = "", memory: Memory | None = None) -> Turn:
    return Turn("sandbox", "c-1", "webchat", "s-1", lang, BANK, text, memory or Memory())


def parse(text: str, intent: str = "out_of_scope", lang: str = "en") -> Parse:
    return Parse(text, intent, 0.9, lang, in_scope=intent != "out_of_scope")


@pytest.mark.parametrize(("text", "verdict"), [
    ("yes", True), ("Yes thanks!", True), ("tak, dzięki", True), ("نعم", True), ("شكرا", True),
    ("no", False), ("that didn't help", False), ("nie pomogło", False), ("Nie pomoglo", False),
    ("لم يساعد", False), ("لا", False), ("where is my card", None), ("how do I change my PIN", None),
])
def test_yes_and_no_are_read_in_three_languages(text: str, verdict: bool | None) -> None:
    assert helped(text) is verdict


async def test_every_reply_of_the_77_intents_fits_every_channel(kb: KnowledgeBase) -> None:
    # the longest reply: the link offer in front of the answer, "did that help?" after it, in one message
    flow = ServiceFlow({"sandbox": kb}, Handoffs(), NeverLinked())
    limit = min(whatsapp.BODY_LIMIT, messenger.TEXT_LIMIT, telegram.TEXT_LIMIT, alexa.SPEECH_LIMIT)
    seen = 0
    for intent in sorted(flow.intents):
        for lang in LANGS:
            replies = await flow.answer(turn(lang), intent, None)
            (answer,) = replies
            assert kb.answer(intent, lang) in answer.text
            assert answer.text.endswith(catalog().text(lang, "service_did_it_help"))
            assert len(answer.text) <= limit, (intent, lang, len(answer.text))
            assert len(answer.quick_replies) <= whatsapp.MAX_REPLY_BUTTONS
            seen += 1
    assert seen == 76 * 3  # lost_or_stolen_card is the card flow's


@pytest.mark.parametrize("lang", LANGS)
async def test_a_yes_closes_and_a_no_hands_off_with_the_reason(kb: KnowledgeBase, lang: str) -> None:
    handoffs = Handoffs()
    flow = ServiceFlow({"sandbox": kb}, handoffs)
    memory = Memory()
    await flow.answer(turn(lang, memory=memory), "change_pin", None)
    yes = {"en": "yes", "pl": "tak", "ar": "نعم"}[lang]
    (glad,) = await flow.continues(turn(lang, yes, memory), parse(yes)) or []
    assert glad.text == catalog().text(lang, "service_glad") and handoffs.requested == []
    assert await flow.continues(turn(lang, yes, memory), parse(yes)) is None  # asked once

    await flow.answer(turn(lang, memory=memory), "change_pin", None)
    no = {"en": "that didn't help", "pl": "nie pomogło", "ar": "لم يساعد"}[lang]
    (sorry,) = await flow.continues(turn(lang, no, memory), parse(no)) or []
    assert sorry.text == catalog().text(lang, "service_not_helped", bank=BANK)
    assert handoffs.requested == [("c-1", "not_helped:change_pin")]


async def test_the_buttons_answer_as_the_words_do(kb: KnowledgeBase) -> None:
    handoffs = Handoffs()
    flow = ServiceFlow({"sandbox": kb}, handoffs)
    (answer,) = await flow.answer(turn("pl"), "card_arrival", None)
    yes, no = (q.payload or "" for q in answer.quick_replies)
    assert (yes, no) == ("service:yes:card_arrival", "service:no:card_arrival")
    assert [r.text for r in await flow.postback(turn("pl"), yes)] == [catalog().text("pl", "service_glad")]
    await flow.postback(turn("pl"), no)
    await flow.postback(turn("pl"), "service:no:<script>")  # a forged intent is not taken as one
    assert handoffs.requested == [("c-1", "not_helped:card_arrival"), ("c-1", "not_helped:unknown")]


async def test_two_misunderstandings_in_a_row_offer_a_person(kb: KnowledgeBase) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs())
    memory = Memory()
    await flow.answer(turn("en", memory=memory), "top_up_limits", None)
    (again,) = await flow.continues(turn("en", "hmm purple", memory), parse("hmm purple")) or []
    assert again.text == catalog().text("en", "service_unclear")
    (offer,) = await flow.continues(turn("en", "banana", memory), parse("banana")) or []
    assert offer.text == catalog().text("en", "service_offer_handoff", bank=BANK)
    assert memory.pending == OFFER_HANDOFF  # a "yes" now connects, as the engine answers its own offer
    assert [q.payload for q in offer.quick_replies] == ["intent:human_agent"]


async def test_a_new_question_is_not_taken_for_an_answer(kb: KnowledgeBase) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs())
    memory = Memory()
    await flow.answer(turn("en", memory=memory), "top_up_limits", None)
    text = "what is my balance"
    assert await flow.continues(turn("en", text, memory), parse(text, "check_balance")) is None
    assert "service" not in memory.flows
    assert Memory.from_json(memory.to_json()) == memory


async def test_a_bank_without_a_knowledge_base_hands_off_as_before() -> None:
    handoffs = Handoffs()
    flow = ServiceFlow({}, handoffs)
    (said,) = await flow.answer(turn("en"), "card_arrival", None)
    assert said.text == catalog().text("en", "service_question", bank=BANK)
    assert handoffs.requested == [("c-1", "card_arrival")]


async def test_a_dispute_button_queues_a_dispute() -> None:
    handoffs = Handoffs()
    flow = ServiceFlow({}, handoffs)
    await flow.postback(turn("en"), "service:dispute:card_payment")
    await flow.postback(turn("en"), "service:dispute:anything")
    assert handoffs.requested == [("c-1", "dispute:card_payment"), ("c-1", "dispute")]


class TwoCards:
    """Grounding that asks "which card?" until told, then names the card's latest payment."""

    intents = frozenset({"card_payment_not_recognised"})

    async def ground(self, subject: Subject, intent: str, lang: str, bank: str, card: str | None = None
                     ) -> list[Outbound]:
        if card is None:
            return [Outbound("which card?", lang, extra={"which_card": "4821,7702"})]
        return [Outbound(f"latest on {card}", lang)]


async def test_which_card_is_asked_and_answered_by_digits_or_button(kb: KnowledgeBase) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs(), TwoCards())
    memory = Memory()
    (asked,) = await flow.answer(turn("en", memory=memory), "card_payment_not_recognised", None)
    assert asked.text == "which card?" and memory.flows["service"]["cards"] == ["4821", "7702"]
    restored = Memory.from_json(memory.to_json())  # the question survives to the next message (any replica)
    found, answer = await flow.continues(turn("en", "the one ending 7702", restored),
                                         parse("the one ending 7702")) or []
    assert found.text == "latest on 7702"
    assert kb.answer("card_payment_not_recognised", "en") in answer.text
    assert restored.flows["service"] == {"intent": "card_payment_not_recognised", "misses": 0}  # did that help?

    tapped = await flow.postback(turn("en"), "service:card:card_payment_not_recognised:4821")
    assert tapped[0].text == "latest on 4821"
    assert [r.text for r in await flow.postback(turn("en"), "service:card:nonsense:12")] == [
        catalog().text("en", "rephrase")]


@pytest.mark.parametrize(("text", "code"), [
    ("and in euros?", "EUR"), ("a w dolarach?", "USD"), ("وباليورو؟", "EUR"), ("what about pounds", "GBP"),
    ("a w złotych?", "PLN"), ("how about europe travel insurance", None), ("and in euros and dollars?", None),
])
def test_a_follow_up_names_one_currency(text: str, code: str | None) -> None:
    assert currency_named(text) == code


class Rates:
    intents = frozenset({"exchange_rate"})

    async def ground(self, subject: Subject, intent: str, lang: str, bank: str, detail: str | None = None
                     ) -> list[Outbound]:
        return [Outbound(f"rate {detail or 'table'}", lang)]


async def test_and_in_euros_narrows_the_last_rate_answer(kb: KnowledgeBase) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs(), Rates())
    memory = Memory()
    first = await flow.answer(turn("en", memory=memory), "exchange_rate", None)
    assert first[0].text == "rate table"
    narrowed, question = await flow.continues(turn("en", "and in euros?", memory), parse("and in euros?")) or []
    assert narrowed.text == "rate EUR" and question.text == catalog().text("en", "service_did_it_help")
    (glad,) = await flow.continues(turn("en", "yes", memory), parse("yes")) or []  # still answerable
    assert glad.text == catalog().text("en", "service_glad")


async def test_did_that_help_expires_with_the_conversation_context(kb: KnowledgeBase, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    await migrate(url)
    engine = make_engine(url)
    try:
        store = SqlConversationContext(engine)
        handoffs = Handoffs()
        flow = ServiceFlow({"sandbox": kb}, handoffs)
        asked_at = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
        memory = Memory()
        await flow.answer(turn("en", memory=memory), "change_pin", None)
        await store.remember("sandbox", "c-1", "webchat", memory.to_json(), asked_at + CONTEXT_TTL)

        soon = Memory.from_json(await store.recall("sandbox", "c-1", "webchat", asked_at + timedelta(minutes=14)))
        assert soon.flows["service"]["intent"] == "change_pin"
        later = Memory.from_json(await store.recall("sandbox", "c-1", "webchat", asked_at + CONTEXT_TTL))
        assert await flow.continues(turn("en", "no", later), parse("no")) is None  # a "no" tomorrow answers nothing
        assert handoffs.requested == []
    finally:
        await engine.dispose()


def unsure(text: str, lang: str = "en", **ranking: float) -> Parse:
    """A parse whose best guess is below ASK_BELOW, with the model's ranking as given."""
    ranked = tuple(sorted(ranking.items(), key=lambda kv: -kv[1]))
    return Parse(text, ranked[0][0], ranked[0][1], lang, in_scope=True, ranking=ranked)


@pytest.mark.parametrize("lang", LANGS)
async def test_unsure_asks_which_question_and_a_tap_answers_it(kb: KnowledgeBase, lang: str) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs())
    memory = Memory()
    said = unsure("my card?", lang, card_arrival=0.45, card_delivery_estimate=0.35, check_balance=0.12,
                  exchange_rate=0.02)
    (asked,) = await flow.answer(turn(lang, "my card?", memory), "card_arrival", said)
    assert asked.text == catalog().text(lang, "service_which_question")
    # the best guess first, then the close service question; not a bot intent, not a 2 % candidate
    assert [(q.title, q.payload) for q in asked.quick_replies] == [
        (kb.title("card_arrival", lang), "service:pick:card_arrival"),
        (kb.title("card_delivery_estimate", lang), "service:pick:card_delivery_estimate"),
        (catalog().text(lang, "qr_service_something_else"), "service:pick:")]
    assert Memory.from_json(memory.to_json()).flows["service"] == {
        "choices": ["card_arrival", "card_delivery_estimate"]}
    (answer,) = await flow.postback(turn(lang), "service:pick:card_delivery_estimate")
    assert answer.text.startswith(kb.answer("card_delivery_estimate", lang) or "-")
    (other,) = await flow.postback(turn(lang), "service:pick:")
    assert other.text == catalog().text(lang, "service_something_else", bank=BANK)
    assert [q.payload for q in other.quick_replies] == ["intent:human_agent"]
    forged = await flow.postback(turn(lang), "service:pick:<script>")
    assert [r.text for r in forged] == [catalog().text(lang, "rephrase")]


async def test_a_typed_number_title_or_question_answers_which_question(kb: KnowledgeBase) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs())
    said = unsure("fee?", card_payment_fee_charged=0.4, transfer_fee_charged=0.3, atm_support=0.2)
    for typed, meant, chosen in (
        ("2", parse("2"), "transfer_fee_charged"),
        (kb.title("atm_support", "en") or "-", parse("x"), "atm_support"),
        ("the card one", parse("the card one", "card_payment_fee_charged"), "card_payment_fee_charged"),
    ):
        memory = Memory()
        await flow.answer(turn("en", "fee?", memory), "card_payment_fee_charged", said)
        (answer,) = await flow.continues(turn("en", typed, memory), meant) or []
        assert answer.text.startswith(kb.answer(chosen, "en") or "-"), typed
        assert memory.flows["service"] == {"intent": chosen, "misses": 0}  # then "did that help?"
    memory = Memory()
    await flow.answer(turn("en", "fee?", memory), "card_payment_fee_charged", said)
    assert await flow.continues(turn("en", "what's my balance", memory),
                                parse("what's my balance", "check_balance")) is None  # a new question
    assert "service" not in memory.flows


async def test_a_sure_or_lone_guess_is_answered_without_asking(kb: KnowledgeBase) -> None:
    flow = ServiceFlow({"sandbox": kb}, Handoffs())
    sure = unsure("where is my card", card_arrival=0.7, card_delivery_estimate=0.25)
    alone = unsure("where is my card", card_arrival=0.5, check_balance=0.3, card_delivery_estimate=0.04)
    for said in (sure, alone):
        (answer,) = await flow.answer(turn("en", said.text), "card_arrival", said)
        assert answer.text.startswith(kb.answer("card_arrival", "en") or "-")


def test_every_question_has_a_title_a_button_can_show(kb: KnowledgeBase) -> None:
    tightest = min(messenger.TITLE_LIMIT, whatsapp.BUTTON_TITLE_LIMIT)
    for lang in LANGS:
        titles = [kb.title(intent, lang) or "" for intent in SERVICE_INTENTS]
        assert all(0 < len(t) <= tightest for t in titles), lang
        assert len({t.casefold() for t in titles}) == 77, lang  # 77 questions, 77 buttons told apart
