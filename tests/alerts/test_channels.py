"""Alerts on every chat platform, end to end over HTTP on 127.0.0.1: the sandbox bank pushes a signed event →
gateway intake → outbox → routing (policy decision, minimisation) → delivery worker → the fake platform,
which must receive exactly the calls of one correctly rendered alert.

Levels from the default agreement: Messenger and WhatsApp are link_only (the platform never sees an amount
or a merchant, only a link to our secure page), Telegram and Alexa masked (rounded amount, the merchant
generalised to a spending category). Alexa cannot be written to outside a request: an alert waits in the
gateway and is spoken, once, at the start of the customer's next request.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from sarraf.channels import webchat
from sarraf.domain.money import Money
from sarraf.i18n.replies import format_money
from sarraf.policy.minimise import round_amount
from sarraf.store.tables.core import channel_identities
from tests.alerts.channel_world import BOT, WA_NUMBER, ChannelWorld, login_url, world_fixtures
from tests.alerts.conftest import ADMIN
from tests.alerts.helpers import collect, simulate
from tests.integration.helpers import ChatClient

PSID, WA_ID, TG_CHAT, ALEXA_USER = "5001", "966500000009", 8101, "amzn1.ask.account.ALERTS"
# (event, options, bank data that a link-only or masked platform must never see)
EVENTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("card-payment", {"merchant": "Pret A Manger", "amount": "47.85"}, ["Pret A Manger", "47.85", "47,85"]),
    ("receipt", {"merchant": "Boots Chemist"}, ["Boots Chemist", "Coffee", "10.90", "10,90"]),
    ("shipping-update", {"merchant": "Allegro", "order_id": "ORD-77", "status": "shipped", "carrier": "DPD"},
     ["Allegro"]),
    ("suspected-fraud", {"merchant": "ELECTRO SAO PAULO", "amount": "749.99"},
     ["ELECTRO SAO PAULO", "749.99", "749,99"]),
]


world, http = world_fixtures("alert-channels")


def _never_seen(body: Any, secrets: list[str]) -> None:
    text = json.dumps(body, ensure_ascii=False)
    for secret in secrets:
        assert secret not in text, (secret, text)
    assert '"tag"' not in text  # message tags stopped working: never sent


async def _cases_of(http: httpx.AsyncClient, world: ChannelWorld, card: str) -> int:
    response = await http.get(f"{world.bank}/sarraf/v1/admin/cases", headers=ADMIN)
    return sum(1 for case in response.json()["cases"] if case["CardId"] == card)


async def test_messenger_link_only_in_the_window_and_a_utility_template_outside(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    await world.messenger(PSID, "link my account")
    (invite,) = await world.wait_for(PSID, 0, 1)
    await world.link(login_url(invite), "sandbox-en-1")
    await world.messenger(PSID, "turn on alerts")
    await world.wait_for(PSID, 0, 3)
    gw = world.gateway()
    for event, options, secrets in EVENTS:
        start = len(world.sent_to(PSID))
        await simulate(http, gw, event, "sandbox-en-1", **options)
        (call,) = await world.wait_for(PSID, start, 1)
        assert call.path == "/me/messages" and call.body["messaging_type"] == "UPDATE", call.body
        message = call.body["message"]
        (button,) = message["attachment"]["payload"]["buttons"]
        assert button["type"] == "web_url" and button["url"].startswith(f"{world.url}/secure/")
        assert "secure page" in message["attachment"]["payload"]["text"]
        _never_seen(call.body, secrets)
        if event == "suspected-fraud":
            assert [q["title"] for q in message["quick_replies"]] == ["Yes, it was me", "No, it wasn't me"]
            assert [q["payload"].rsplit(":", 1)[1] for q in message["quick_replies"]] == ["yes", "no"]

    await world.close_window("messenger", PSID)
    start = len(world.sent_to(PSID))
    await simulate(http, gw, "card-payment", "sandbox-en-1", merchant="Pret A Manger", amount="47.85")
    (call,) = await world.wait_for(PSID, start, 1)
    assert call.body["messaging_type"] == "UTILITY", call.body
    template = call.body["message"]["template"]
    assert template["name"] == "sarraf_account_update" and template["language"]["code"] == "en_US"
    assert "secure page" in template["components"][0]["parameters"][0]["text"]
    _never_seen(call.body, EVENTS[0][2])


async def test_whatsapp_interactive_buttons_in_the_window_and_a_template_outside(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    await world.whatsapp(WA_ID, "اربط حسابي")
    (invite,) = await world.wait_for(WA_ID, 0, 1)
    await world.link(login_url(invite), "sandbox-ar-1")
    await world.whatsapp(WA_ID, "فعّل التنبيهات")
    await world.wait_for(WA_ID, 0, 3)
    gw = world.gateway()
    for event, options, secrets in EVENTS:
        start = len(world.sent_to(WA_ID))
        await simulate(http, gw, event, "sandbox-ar-1", **options)
        fraud = event == "suspected-fraud"
        calls = await world.wait_for(WA_ID, start, 2 if fraud else 1)
        # One alert: the secure-page link as a call-to-action; a fraud alert adds its reply buttons, because
        # the Cloud API carries one kind of interactive per message.
        assert len(calls) == (2 if fraud else 1), [c.body for c in calls]
        assert all(c.path == f"/{WA_NUMBER}/messages" for c in calls)
        link = calls[0].body["interactive"]
        assert link["type"] == "cta_url" and link["action"]["parameters"]["url"].startswith(f"{world.url}/secure/")
        assert link["body"]["text"].startswith("لديك تنبيه جديد")
        for call in calls:
            _never_seen(call.body, secrets)
        if fraud:
            buttons = calls[1].body["interactive"]
            assert buttons["type"] == "button"
            assert [b["reply"]["title"] for b in buttons["action"]["buttons"]] == ["نعم، أنا", "لا، لست أنا"]
            assert [b["reply"]["id"].rsplit(":", 1)[1] for b in buttons["action"]["buttons"]] == ["yes", "no"]

    await world.close_window("whatsapp", WA_ID)
    start = len(world.sent_to(WA_ID))
    await simulate(http, gw, "card-payment", "sandbox-ar-1", merchant="Pret A Manger", amount="47.85")
    (call,) = await world.wait_for(WA_ID, start, 1)
    assert call.body["type"] == "template" and "interactive" not in call.body
    assert call.body["template"]["language"]["code"] == "ar"
    _never_seen(call.body, EVENTS[0][2])


def _masked(amount: str, currency: str, lang: str) -> str:
    return format_money(Money(round_amount(Decimal(amount)), currency), lang)


async def test_telegram_masked_with_an_inline_keyboard_and_the_button_freezes_the_card(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    chat = str(TG_CHAT)
    await world.telegram(TG_CHAT, "połącz moje konto", "pl")
    (invite,) = await world.wait_for(chat, 0, 1)
    await world.link(login_url(invite), "sandbox-pl-1")
    await world.telegram(TG_CHAT, "włącz powiadomienia", "pl")
    await world.wait_for(chat, 0, 3, settle=1.2)
    gw = world.gateway()
    expected = {"card-payment": ["Płatność kartą", _masked("47.85", "PLN", "pl"), "w zakupy"],
                "receipt": ["Paragon z zakupy", _masked("10.90", "PLN", "pl")],
                "shipping-update": ["ORD-77", "zakupy", "DPD"],
                "suspected-fraud": ["Podejrzana płatność", _masked("749.99", "PLN", "pl"), "Czy to Ty?"]}
    fraud: dict[str, Any] = {}
    for event, options, secrets in EVENTS:
        start = len(world.sent_to(chat))
        await simulate(http, gw, event, "sandbox-pl-1", **options)
        (call,) = await world.wait_for(chat, start, 1)
        assert call.path == f"{BOT}/sendMessage"
        for fragment in expected[event]:
            assert fragment in call.body["text"], (event, call.body["text"])
        _never_seen(call.body, secrets)
        fraud = call.body
    ((yes, no),) = fraud["reply_markup"]["inline_keyboard"]
    assert (yes["text"], no["text"]) == ("Tak, to ja", "Nie, to nie ja")
    assert len(no["callback_data"].encode()) <= 64 and no["callback_data"].endswith(":no")

    start = len(world.fake.calls)
    query_id = await world.telegram_button(TG_CHAT, no["callback_data"], "pl")
    answered, reply = world.fake.calls[start:]
    assert answered.path == f"{BOT}/answerCallbackQuery" and answered.body == {"callback_query_id": query_id}
    assert reply.body["text"].startswith("Twoja karta z końcówką") and "jest zablokowana" in reply.body["text"]
    assert await world.card_status("sandbox-pl-1-debit") == "frozen"


async def test_fraud_alert_on_the_web_chat_answered_on_telegram(world: ChannelWorld, http: httpx.AsyncClient) -> None:
    """The customer of the Telegram test also chats on the web; alerts go there; they answer on Telegram."""
    engine = world.app.state.container.engine
    web = ChatClient(http, world.url)
    customers = world.app.state.container.customers
    async with engine.begin() as conn:  # stored under its keyed hash, never the chat id itself
        customer_id = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.channel == "telegram",
            channel_identities.c.sender == await customers.lookup_of("telegram", str(TG_CHAT))))).scalar_one()
    await customers.bind("sandbox", "webchat", webchat.address(web.session), customer_id)
    (on,) = await web.say("włącz powiadomienia")
    assert on["lang"] == "pl"
    telegram_before = len(world.sent_to(str(TG_CHAT)))
    cases_before = await _cases_of(http, world, "sandbox-pl-1-debit")
    await simulate(http, world.gateway(), "suspected-fraud", "sandbox-pl-1")
    (alert,) = await collect(web, 1)
    assert alert["text"].startswith("Podejrzana płatność") and len(world.sent_to(str(TG_CHAT))) == telegram_before
    no = next(q["payload"] for q in alert["quick_replies"] if q["payload"].endswith(":no"))

    start = len(world.fake.calls)
    await world.telegram_button(TG_CHAT, no, "pl")
    answered, reply = world.fake.calls[start:]
    assert answered.path == f"{BOT}/answerCallbackQuery"
    assert reply.body["chat_id"] == str(TG_CHAT) and "jest zablokowana" in reply.body["text"], reply.body
    assert await world.card_status("sandbox-pl-1-debit") == "frozen"
    assert await _cases_of(http, world, "sandbox-pl-1-debit") == cases_before + 1  # this payment's dispute
    (again,) = await web.say(payload=no)
    assert again["text"].startswith("Już odpowiedziałeś")
    assert await collect(web, 0, settle=0.3) == []


async def test_alexa_has_no_push_so_the_alert_is_spoken_once_at_the_next_request(
        world: ChannelWorld, http: httpx.AsyncClient) -> None:
    invite = await world.alexa(ALEXA_USER, "en-GB", intent="QueryIntent",
                               slots={"query": {"name": "query", "value": "link my account"}})
    await world.link(next(w for w in invite["card"]["content"].split() if w.startswith("http")), "sandbox-en-2")
    await world.alexa(ALEXA_USER, "en-GB", intent="QueryIntent",
                      slots={"query": {"name": "query", "value": "turn on alerts"}})
    await world.alexa(ALEXA_USER, "en-GB")  # anything said while linking has been spoken now
    calls = len(world.fake.calls)
    gw = world.gateway()
    await simulate(http, gw, "card-payment", "sandbox-en-2", merchant="Pret A Manger", amount="47.85")
    await simulate(http, gw, "suspected-fraud", "sandbox-en-2", merchant="ELECTRO SAO PAULO", amount="749.99")
    await collect_nothing(world, calls)

    spoken = (await world.alexa(ALEXA_USER, "en-GB"))
    speech = spoken["outputSpeech"]["text"]
    assert speech.startswith(f"Card payment: {_masked('47.85', 'GBP', 'en')} at shopping, card ending "), speech
    assert f"Suspicious payment: {_masked('749.99', 'GBP', 'en')} at shopping" in speech
    assert "Yes, it was me" in speech and spoken["shouldEndSession"] is False  # the question waits for an answer
    _never_seen(spoken, ["Pret A Manger", "47.85", "ELECTRO", "749.99"])
    again = (await world.alexa(ALEXA_USER, "en-GB"))["outputSpeech"]["text"]
    assert "Card payment" not in again and "Suspicious" not in again  # spoken once
    assert len(world.fake.calls) == calls


async def collect_nothing(world: ChannelWorld, calls: int) -> None:
    """Give delivery time to happen: Alexa has no platform to call, so nothing may reach the fake platform."""
    await world.wait_for("never", 0, 1, timeout=1.0, settle=0)
    assert len(world.fake.calls) == calls, [c.body for c in world.fake.calls[calls:]]
