"""Service questions over real HTTP (issue #13): the knowledge-base answer in the customer's language, the
customer's own data first once linked (web chat: in the chat; a link-only channel: on the secure page only),
"did that help?" both ways, and a "no" landing in the queue the operator API and the console read."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sarraf.config import load_banks
from sarraf.i18n.replies import catalog
from sarraf.kb import load
from sarraf.sandbox_bank.seed import seed_bank
from sarraf.sandbox_bank.service import NEW_CARDS, RATES, activity_of
from tests.integration.conftest import OPERATOR_TOKEN, Gateway
from tests.integration.helpers import ChatClient


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def _kb_answer(gateway: Gateway, intent: str, lang: str) -> str:
    bank = load_banks(gateway.settings.banks_file)["sandbox"]
    kb = load("sandbox", bank.service.answers, bank.service.overrides, bank.service.values)
    answer = kb.answer(intent, lang)
    assert answer is not None
    return answer


def _texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


async def _queue(http: httpx.AsyncClient, gateway: Gateway) -> list[dict[str, Any]]:
    response = await http.get(f"{gateway.url}/api/banks/sandbox/handoffs",
                              headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert response.status_code == 200, response.text
    return list(response.json()["waiting"])


async def test_not_linked_gets_the_general_answer_and_a_login_that_answers_it_after(gateway: Gateway,
                                                                                  http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    replies = await chat.say("where is my new card? I ordered it last week and it still hasn't come")
    offer, answer = replies
    assert offer["text"] == catalog().text("en", "service_link_offer", bank="Sarraf Sandbox Bank")
    assert "/link/start/" in offer["buttons"][0]["url"]
    assert _kb_answer(gateway, "card_arrival", "en") in answer["text"]
    assert answer["text"].endswith(catalog().text("en", "service_did_it_help"))
    assert [q["payload"] for q in answer["quick_replies"]] == ["service:yes:card_arrival", "service:no:card_arrival"]
    # back from the bank's login, the question is answered again, now with the customer's own card
    after = _texts(await chat.link(replies, "sandbox-en-1"))
    assert f"ending {NEW_CARDS['sandbox-en-1'][0]} was posted on" in after, after


async def test_linked_web_chat_answer_names_the_card_and_its_dates(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("link my account"), "sandbox-en-1")
    replies = await chat.say("where is my new card? it still hasn't arrived")
    last4, status = NEW_CARDS["sandbox-en-1"]
    assert status == "dispatched"
    assert f"ending {last4} was posted on" in replies[0]["text"]
    assert _kb_answer(gateway, "card_arrival", "en") in replies[-1]["text"]

    declined = _texts(await chat.say("why was my card declined at the shop yesterday?"))
    assert "Currys PC World" in declined and "not enough money" in declined

    fees = _texts(await chat.say("why was I charged for taking money out of an atm"))
    assert re.search(r"I found 1 fee .*\n• .*cash withdrawal fee, £4\.00", fees), fees

    # "Yes" typed to "Did that help?" closes the question; no hand-off is queued for it
    (glad,) = await chat.say("yes thanks")
    assert glad["text"] == catalog().text("en", "service_glad")


async def test_that_didnt_help_queues_the_conversation_with_its_transcript(gateway: Gateway,
                                                                          http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.say("jak mogę zmienić PIN do karty?")
    (sorry,) = await chat.say("nie pomogło")
    assert sorry["text"] == catalog().text("pl", "service_not_helped", bank="Sarraf Sandbox Bank")
    waiting = [w for w in await _queue(http, gateway) if any(r.startswith("not_helped:") for r in w["reasons"])]
    assert any("not_helped:change_pin" in w["reasons"] and w["lang"] == "pl"
               and any(line["text"] == "nie pomogło" for line in w["transcript"]) for w in waiting), waiting


async def test_the_no_button_queues_and_two_misunderstandings_offer_a_person(gateway: Gateway,
                                                                             http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    answer = await chat.say("كيف أغير الرقم السري لبطاقتي؟")
    no = answer[-1]["quick_replies"][1]["payload"]
    assert no.startswith("service:no:")
    (sorry,) = await chat.say(payload=no)
    assert sorry["text"] == catalog().text("ar", "service_not_helped", bank="بنك صرّاف التجريبي")

    other = ChatClient(http, gateway.url)
    await other.say("how do I change my PIN?")
    # gibberish may be taken for any language: the reply is the same question in whichever it was
    (first,) = await other.say("qwrtz zzkj")
    assert first["text"] in {catalog().text(lang, "service_unclear") for lang in ("en", "pl", "ar")}
    (second,) = await other.say("blorp fnarg")
    assert second["text"] in {catalog().text(lang, "service_offer_handoff", bank="Sarraf Sandbox Bank")
                              for lang in ("en", "pl")}
    person = [q["payload"] for q in second["quick_replies"]]
    assert person == ["intent:human_agent"]


async def test_which_card_is_asked_when_two_cards_could_be_meant(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("link my account"), "sandbox-en-1")
    (asked,) = await chat.say("there's a card payment on my account I don't recognise")
    assert asked["text"].startswith("Which card do you mean")
    payloads = [q["payload"] for q in asked["quick_replies"]]
    assert payloads == ["service:card:card_payment_not_recognised:4821",
                        "service:card:card_payment_not_recognised:7702"]
    items = activity_of(seed_bank(datetime.now(UTC).date()), "sandbox-en-1")
    credit = next(i for i in items if i["Kind"] == "payment" and i.get("CardLast4") == "7702")
    replies = await chat.say("the credit card, 7702")
    assert credit["Description"] in replies[0]["text"]
    assert [q["payload"] for q in replies[0]["quick_replies"]] == ["intent:freeze_card",
                                                                   "service:dispute:card_payment"]
    assert _kb_answer(gateway, "card_payment_not_recognised", "en") in replies[-1]["text"]
    (queued,) = await chat.say(payload="service:dispute:card_payment")
    assert queued["text"] == catalog().text("en", "human_handoff", bank="Sarraf Sandbox Bank")
    assert any("dispute:card_payment" in w["reasons"] for w in await _queue(http, gateway))


async def test_a_rate_follow_up_in_polish_names_the_banks_rate(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("połącz konto"), "sandbox-pl-1")
    table = _texts(await chat.say("jaki macie dziś kurs wymiany walut?"))
    polish = f"{RATES['PLN']['EUR']:.4f}".replace(".", ",")  # Polish decimal comma
    assert f"EUR {polish}" in table, table
    replies = await chat.say("a w dolarach?")
    said = replies[0]["text"].replace("\u2066", "").replace("\u2069", "")
    assert f"1 PLN = {RATES['PLN']['USD']:.4f} USD".replace(".", ",") in said and "1 USD = 4,0000 PLN" in said
    assert replies[-1]["text"] == catalog().text("pl", "service_did_it_help")
