"""Bank push → gateway intake → outbox → routing (policy + audit) → delivery → the web chat, over HTTP."""

from __future__ import annotations

import httpx

from tests.alerts.conftest import AlertGateway
from tests.alerts.helpers import collect, linked_chat, simulate


async def test_card_payment_reaches_the_web_chat_exactly_once(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-en-1")
    issued = await simulate(http, gateway, "card-payment", "sandbox-en-1", merchant="Pret A Manger", amount="7.85")
    assert [e["pushed"] for e in issued][-1] == 202
    got = await collect(chat, 1)
    assert len(got) == 1, got
    assert got[0]["text"].startswith("Card payment: £7.85 at Pret A Manger, card ending ")
    assert got[0]["lang"] == "en" and got[0]["dir"] == "ltr"


EVERY_EVENT = [
    ("card-payment", {"merchant": "Biedronka", "amount": "45.10"}, ["Płatność kartą", "Biedronka"]),
    ("large-purchase", {"merchant": "Media Expert", "amount": "3999.00"}, ["Duży zakup", "Media Expert"]),
    ("foreign-purchase", {"merchant": "Fnac Paris", "amount": "120.00", "country": "FR"}, ["za granicą (FR)"]),
    ("low-balance", {"amount": "35.20"}, ["Niskie saldo"]),
    ("receipt", {"merchant": "Żabka"}, ["Paragon z Żabka"]),
    ("shipping-update", {"merchant": "Allegro", "order_id": "ORD-1", "status": "shipped", "carrier": "DPD"},
     ["ORD-1", "w drodze", "DPD"]),
    ("suspected-fraud", {}, ["Podejrzana płatność", "Czy to Ty?"]),
    ("resource-update", {}, ["zaktualizował"]),
    ("consent-revoked", {}, ["wycofana"]),
]


async def test_every_event_type_renders_in_the_customers_language(gateway: AlertGateway,
                                                                  http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-pl-1", phrase="włącz powiadomienia")
    for event, options, expected in EVERY_EVENT:
        await simulate(http, gateway, event, "sandbox-pl-1", **options)
        got = await collect(chat, 1)
        assert len(got) == 1, (event, got)
        for fragment in expected:
            assert fragment in got[0]["text"], (event, got[0]["text"])
        assert got[0]["lang"] == "pl"
        if event == "receipt":
            (card,) = got[0]["cards"]
            assert card["subtitle"] == "2 pozycje" and card["lines"][0][0] == "2 × Coffee"
        if event == "shipping-update":
            assert got[0]["cards"][0]["title"] == "Allegro"
        if event == "suspected-fraud":
            assert [q["title"] for q in got[0]["quick_replies"]] == ["Tak, to ja", "Nie, to nie ja"]


async def test_arabic_customer_turns_alerts_off_and_only_fraud_still_comes(gateway: AlertGateway,
                                                                           http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, gateway, "sandbox-ar-1", phrase="فعّل التنبيهات")
    off = await chat.say("أوقف التنبيهات")
    assert off[0]["text"].startswith("تم إيقاف جميع التنبيهات") and off[0]["dir"] == "rtl"
    await simulate(http, gateway, "card-payment", "sandbox-ar-1")
    await simulate(http, gateway, "suspected-fraud", "sandbox-ar-1")
    got = await collect(chat, 1)
    assert len(got) == 1 and got[0]["text"].startswith("دفعة مشبوهة"), got
    assert [q["title"] for q in got[0]["quick_replies"]] == ["نعم، أنا", "لا، لست أنا"]

