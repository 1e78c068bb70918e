"""Offers end to end on web chat over HTTP on 127.0.0.1: the sandbox bank pushes a signed offer event → intake →
routing (direct-marketing decision, audited either way) → the chat. Opt-in and opt-out by chatting in en/pl/ar,
"why am I seeing this?", the one-tap stop, caps, quiet hours and the day of a fraud alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sarraf.i18n.replies import catalog
from tests.alerts.conftest import AlertGateway
from tests.alerts.helpers import collect, simulate
from tests.integration.helpers import ChatClient
from tests.offers.support import (
    customer_of,
    forget_offers,
    marketing_decisions,
    never_quiet,
    quiet_hours,
    row_of,
)

LINK = {"en": "link my account", "pl": "połącz moje konto", "ar": "اربط حسابي"}
OPT_IN = {"en": "send me offers", "pl": "chcę dostawać oferty", "ar": "أرسل لي العروض"}
OPT_OUT = {"en": "stop offers", "pl": "nie chcę ofert", "ar": "أوقف العروض"}
CUSTOMER = {"en": "sandbox-en-1", "pl": "sandbox-pl-1", "ar": "sandbox-ar-1"}


@pytest.fixture(autouse=True)
async def fresh(gateway: AlertGateway) -> None:
    await forget_offers(gateway.services.container.engine)


async def _chat(http: httpx.AsyncClient, gw: AlertGateway, lang: str) -> tuple[ChatClient, str]:
    chat = ChatClient(http, gw.url)
    await chat.link(await chat.say(LINK[lang]), CUSTOMER[lang])
    await chat.updates()
    customer_id = await customer_of(gw.services.container.engine, chat.session)
    await never_quiet(gw.services.container.engine, customer_id)
    return chat, customer_id


async def _offer(http: httpx.AsyncClient, gw: AlertGateway, customer: str, customer_id: str
                 ) -> tuple[dict[str, Any], Any]:
    """One offer pushed by the bank: one event per consent the customer gave (earlier tests linked too); the
    one routed to this chat's customer, and its outbox row."""
    for issued in await simulate(http, gw, "offer", customer):
        row = await row_of(gw.services.container.engine, issued["jti"])
        if row.customer_id == customer_id:
            return issued, row
    raise AssertionError(f"no offer event reached {customer_id}")


def _offers_in(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Offer messages: they carry both the stop and the why buttons."""
    return [m for m in messages if {b.get("payload") for b in m.get("buttons") or []} >= {"offers:stop", "offers:why"}]


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
async def test_opt_in_offer_why_and_one_tap_stop(gateway: AlertGateway, http: httpx.AsyncClient, lang: str) -> None:
    chat, customer_id = await _chat(http, gateway, lang)
    c = catalog()
    bank = gateway.services.container.bank_names["sandbox"]

    before, row = await _offer(http, gateway, CUSTOMER[lang], customer_id)  # not opted in: decided, audited, denied
    assert (row.status, row.customer_id) == ("filtered", customer_id)
    assert row.last_error.startswith("denied by consent"), row.last_error
    assert await collect(chat, 0, timeout=0.5) == []

    (said,) = await chat.say(OPT_IN[lang])
    assert said["text"] == c.text(lang, "offers_opted_in", bank=bank, cap=c.text(lang, "offers_per_week", count=2))
    assert [b["payload"] for b in said["buttons"]] == ["offers:stop"]

    issued, row = await _offer(http, gateway, CUSTOMER[lang], customer_id)
    assert row.status in ("ready", "sent"), row.last_error
    (message,) = await collect(chat, 1)
    data = issued["data"]
    assert message["text"] == c.text(lang, "offers_message", bank=bank, description=data["description"],
                                     term=data["term"])
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        (c.text(lang, "offers_stop_button"), "offers:stop"), (c.text(lang, "offers_why_button"), "offers:why")]

    (why,) = await chat.say(payload="offers:why")
    assert why["text"].startswith(c.text(lang, "offers_why", bank=bank, date="\x00").split("\x00")[0])
    (stopped,) = await chat.say(payload="offers:stop")  # the one tap
    assert stopped["text"] == c.text(lang, "offers_opted_out", bank=bank)

    _, row = await _offer(http, gateway, CUSTOMER[lang], customer_id)
    assert row.status == "filtered" and row.last_error.startswith("denied by consent"), row.last_error
    assert await collect(chat, 0, timeout=0.5) == []
    assert (await marketing_decisions(gateway.services.container, customer_id))[-3:] == [
        ("deny", "consent", "webchat"), ("allow", "permit-direct-marketing-offers", "webchat"),
        ("deny", "consent", "webchat")]
    assert before["data"]["offer_id"]


async def test_typed_opt_out_and_why_without_consent(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat, _ = await _chat(http, gateway, "pl")
    bank = gateway.services.container.bank_names["sandbox"]
    await chat.say(OPT_IN["pl"])
    (reply,) = await chat.say(OPT_OUT["pl"])
    assert reply["text"] == catalog().text("pl", "offers_opted_out", bank=bank)
    (why,) = await chat.say("dlaczego dostaję oferty?")
    assert why["text"] == catalog().text("pl", "offers_why_none", bank=bank)


async def test_at_most_two_a_week(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat, customer_id = await _chat(http, gateway, "en")
    await chat.say(OPT_IN["en"])
    rows = [(await _offer(http, gateway, "sandbox-en-1", customer_id))[1] for _ in range(3)]
    assert [r.status in ("ready", "sent") for r in rows] == [True, True, False]
    assert rows[2].last_error == "cap: 2 offers a week per customer"
    assert len(_offers_in(await collect(chat, 2))) == 2


async def test_no_offer_on_the_day_of_a_fraud_alert(gateway: AlertGateway, http: httpx.AsyncClient) -> None:
    chat, customer_id = await _chat(http, gateway, "ar")
    await chat.say(OPT_IN["ar"])
    frauds = [await row_of(gateway.services.container.engine, f["jti"])
              for f in await simulate(http, gateway, "suspected-fraud", "sandbox-ar-1")]
    assert [f.status for f in frauds if f.customer_id == customer_id] in (["ready"], ["sent"])
    _, row = await _offer(http, gateway, "sandbox-ar-1", customer_id)
    assert (row.status, row.last_error) == ("filtered", "no offer on the day of a fraud alert")


async def test_quiet_hours_hold_an_offer_and_stopping_withdraws_it(gateway: AlertGateway,
                                                                  http: httpx.AsyncClient) -> None:
    chat, customer_id = await _chat(http, gateway, "en")
    await chat.say(OPT_IN["en"])
    engine = gateway.services.container.engine
    await quiet_hours(engine, customer_id, datetime.now(UTC) - timedelta(minutes=30), minutes=120)
    _, row = await _offer(http, gateway, "sandbox-en-1", customer_id)
    assert row.status == "ready"
    assert row.available_at.replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(minutes=60)
    assert await collect(chat, 0, timeout=0.5) == []
    await chat.say(OPT_OUT["en"])  # the opt-out also withdraws what waits for the morning
    after = await row_of(engine, row.event_id)
    assert (after.status, after.last_error) == ("filtered", "the customer stopped offers")
