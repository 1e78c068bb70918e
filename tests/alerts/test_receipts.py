"""Delivery and read receipts, end to end over HTTP on 127.0.0.1: an alert sent on Messenger or WhatsApp is
marked delivered, then read, when the platform's signed webhook says so (by the message id the platform
gave our send call, or by Messenger's read watermark). Parsers and the store are tested below too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select

from sarraf.alerts.outbound import KIND as OUT_OF_TURN
from sarraf.channels import messenger, whatsapp
from sarraf.domain.messages import InboundKind, Receipt
from sarraf.store.alert_receipts import SqlAlertReceipts
from sarraf.store.database import make_engine
from sarraf.store.tables.alerts import alert_outbox, alert_platform_messages
from tests.alerts.channel_world import WA_NUMBER, ChannelWorld, login_url, world_fixtures
from tests.alerts.helpers import simulate
from tests.alerts.pipeline import create_schema
from tests.channels.fake_platform import Call
from tests.support.sealing import addresses_for_tests

PSID, WA_ID = "5011", "966500000019"
world, http = world_fixtures("alert-receipts")


async def _alert_rows(world: ChannelWorld, sender: str) -> list[Any]:
    container = world.app.state.container
    # the alerts only, not the answers outside a turn (the login's); the outbox names the customer by the keyed
    # hash of their address, as their channel identity does
    stored = [await container.addresses.stored(channel, sender) for channel in ("messenger", "whatsapp")]
    async with container.engine.connect() as conn:
        t = alert_outbox.c
        return list((await conn.execute(select(t.status, t.sent_at, t.delivered_at, t.read_at)
                                         .where(t.sender.in_(stored), t.kind != OUT_OF_TURN).order_by(t.id))).all())


async def _until(check: Any, timeout: float = 30.0) -> None:  # a guard: returns as soon as check() holds
    deadline = time.monotonic() + timeout
    while not await check() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def _mid_of(world: ChannelWorld, call: Any) -> int:
    return world.fake.calls.index(call) + 1  # the fake platform numbers its answers by call


async def _one_alert_sent(world: ChannelWorld, http: httpx.AsyncClient, say: Callable[[str, str], Awaitable[None]],
                          sender: str, customer: str) -> tuple[Call, int]:
    """Link `customer` by chatting as `sender`, opt in, make the bank push one card payment; returns the
    platform call that carried the alert and how many calls the sender had before it."""
    await say(sender, "link my account")
    (invite,) = await world.wait_for(sender, 0, 1)
    await world.link(login_url(invite), customer)
    await say(sender, "turn on alerts")
    await world.wait_for(sender, 0, 3)
    start = len(world.sent_to(sender))
    await simulate(http, world.gateway(), "card-payment", customer, merchant="Kiosk", amount="3.20")
    (call,) = await world.wait_for(sender, start, 1)
    return call, start


async def test_messenger_alert_is_marked_delivered_then_read(world: ChannelWorld, http: httpx.AsyncClient) -> None:
    call, start = await _one_alert_sent(world, http, world.messenger, PSID, "sandbox-en-1")
    (row,) = await _alert_rows(world, PSID)
    assert row.status == "sent" and row.delivered_at is None and row.read_at is None

    delivered_ms = int(time.time() * 1000)
    await world.meta("/channels/messenger/webhook", {"object": "page", "entry": [{"id": "PAGE", "time": 1,
        "messaging": [{"sender": {"id": PSID}, "recipient": {"id": "PAGE"}, "timestamp": delivered_ms,
                       "delivery": {"mids": [f"m_{_mid_of(world, call)}"], "watermark": delivered_ms}}]}]})
    await _until(lambda: _delivered(world, PSID))
    (row,) = await _alert_rows(world, PSID)
    assert row.delivered_at is not None and row.read_at is None

    read_ms = delivered_ms + 5000
    await world.meta("/channels/messenger/webhook", {"object": "page", "entry": [{"id": "PAGE", "time": 1,
        "messaging": [{"sender": {"id": PSID}, "recipient": {"id": "PAGE"}, "timestamp": read_ms,
                       "read": {"watermark": read_ms}}]}]})
    await _until(lambda: _read(world, PSID))
    (row,) = await _alert_rows(world, PSID)
    assert row.read_at is not None and row.read_at > row.delivered_at
    assert len(world.sent_to(PSID)) == start + 1, "a receipt is never answered"


async def test_whatsapp_alert_is_marked_delivered_then_read(world: ChannelWorld, http: httpx.AsyncClient) -> None:
    call, _ = await _one_alert_sent(world, http, world.whatsapp, WA_ID, "sandbox-en-2")
    wamid = f"wamid.{_mid_of(world, call)}"
    for state in ("sent", "delivered", "read"):
        await world.meta("/channels/whatsapp/webhook", {"object": "whatsapp_business_account", "entry": [{
            "id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1555",
                                                              "phone_number_id": WA_NUMBER},
                "statuses": [{"id": wamid, "status": state, "timestamp": str(int(time.time())),
                              "recipient_id": WA_ID}]}}]}]})
    await _until(lambda: _read(world, WA_ID))
    (row,) = await _alert_rows(world, WA_ID)
    assert row.delivered_at is not None and row.read_at is not None


async def _delivered(world: ChannelWorld, sender: str) -> bool:
    return all(r.delivered_at is not None for r in await _alert_rows(world, sender))


async def _read(world: ChannelWorld, sender: str) -> bool:
    return all(r.read_at is not None for r in await _alert_rows(world, sender))


def test_messenger_receipts_parse_to_message_ids_or_a_watermark() -> None:
    at = int(datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp() * 1000)
    delivery = messenger._event({"sender": {"id": "9"}, "delivery": {"mids": ["m_1", "m_2"], "watermark": at}},
                                "sandbox", "sandbox")
    read = messenger._event({"sender": {"id": "9"}, "read": {"watermark": at}}, "sandbox", "sandbox")
    assert delivery is not None and delivery.kind is InboundKind.RECEIPT
    assert delivery.receipt == Receipt("delivered", ("m_1", "m_2"), datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert read is not None and read.receipt == Receipt("read", (), datetime(2026, 11, 25, 12, tzinfo=UTC))


def test_whatsapp_statuses_other_than_delivered_and_read_carry_no_receipt() -> None:
    assert whatsapp._receipt({"id": "wamid.1", "status": "sent", "timestamp": "1"}) is None
    assert whatsapp._receipt({"id": "wamid.1", "status": "failed"}) is None
    assert whatsapp._receipt({"status": "read"}) is None  # no id: nothing to mark
    assert whatsapp._receipt({"id": "wamid.1", "status": "read", "timestamp": "1764072000"}) == Receipt(
        "read", ("wamid.1",), datetime.fromtimestamp(1764072000, UTC))


async def test_receipts_by_id_and_by_watermark_in_the_store(db_url: str) -> None:
    engine = make_engine(db_url)
    await create_schema(engine)
    t0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
    addresses = addresses_for_tests()  # the rows name the customer as the outbox stores them: a keyed hash
    stored = await addresses.stored("messenger", "psid-1")
    rows = [{"tenant": "bank", "event_id": f"e{n}", "kind": "card_payment", "consent_id": "c", "stream": None,
             "occurred_at": t0, "received_at": t0, "data": {}, "status": "sent", "lane": "normal", "attempts": 1,
             "available_at": t0, "channel": "messenger", "sender": stored, "customer_id": "cust",
             "sent_at": t0 + timedelta(minutes=n)} for n in range(3)]
    async with engine.begin() as conn:
        ids = [(await conn.execute(insert(alert_outbox).values(**row).returning(alert_outbox.c.id))).scalar_one()
               for row in rows]
        await conn.execute(insert(alert_platform_messages), [
            {"channel": "messenger", "message_id": f"m_{n}", "outbox_id": ids[n]} for n in range(3)])
    receipts = SqlAlertReceipts(engine, addresses)
    try:
        assert await receipts.record_receipt("messenger", "psid-1", Receipt("delivered", ("m_0", "m_9"),
                                                                            t0 + timedelta(minutes=5))) == 1
        assert await receipts.record_receipt("whatsapp", "psid-1", Receipt("delivered", ("m_1",), t0)) == 0
        # Read up to minute 1: the first two alerts, not the third (sent at minute 2).
        assert await receipts.record_receipt("messenger", "psid-1", Receipt("read", (), t0 + timedelta(minutes=1,
                                                                                                  seconds=30))) == 2
        assert await receipts.record_receipt("messenger", "psid-1", Receipt("read")) == 0  # no id, no watermark
        async with engine.connect() as conn:
            got = (await conn.execute(select(alert_outbox.c.delivered_at, alert_outbox.c.read_at)
                                      .order_by(alert_outbox.c.id))).all()

        def utc(value: datetime | None) -> datetime | None:
            return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
        assert [(utc(d), utc(r)) for d, r in got] == [
            (t0 + timedelta(minutes=5), t0 + timedelta(minutes=1, seconds=30)),  # the first delivery time stands
            (t0 + timedelta(minutes=1, seconds=30),) * 2,  # read implies delivered
            (None, None)]
    finally:
        await engine.dispose()
