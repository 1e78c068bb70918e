"""Hand-over at routing: a ready web chat message carrying its payloads is sent in the routing transaction
(row sent, payloads in channel_outbox) unless an older message of the same customer's lane still waits; on
SQLite and on PostgreSQL, through the outbox directly and end to end through router, worker and runtime."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.ports import Routed
from sarraf.alerts.runtime import AlertRuntime
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.messages import CHAT_MESSAGE
from sarraf.store.tables.alerts import alert_outbox, alert_preferences
from sarraf.store.tables.core import channel_outbox
from tests.alerts.pipeline import Bank, add_customers, pipeline
from tests.alerts.worker_proc import WebChatOnly
from tests.support.sealing import addresses_for_tests, opened, sealer_for_tests

LATER = timedelta(days=2)  # past any quiet hours set below


@pytest.fixture
def outbox(engine: AsyncEngine) -> SqlAlertOutbox:
    return SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())


async def received(outbox: SqlAlertOutbox, *names: str, kind: AlertKind = AlertKind.CARD_PAYMENT) -> list[int]:
    """Accept one event per name and return their row ids, waiting to be routed."""
    now = datetime.now(UTC)
    await outbox.accept([BankEvent("bank", name, kind, "c0", now, {"amount": "1.00"}) for name in names])
    rows = {item.event.event_id: item.row_id for item in await outbox.received(100)}
    return [rows[name] for name in names]


def ready(row_id: int, customer: str, *, lane: str = "normal", status: str = "ready",
          available_at: datetime | None = None, payloads: list[dict[str, Any]] | None = None) -> Routed:
    return Routed(row_id, status, customer, "webchat", f"sender-{customer}", [{"text": f"message {row_id}"}],
                  available_at, lane, handed_over=payloads)


def payload(row_id: int) -> list[dict[str, Any]]:
    return [{"text": f"message {row_id}"}]


async def row(engine: AsyncEngine, row_id: int) -> Any:
    t = alert_outbox.c
    async with engine.connect() as conn:
        return (await conn.execute(select(t.status, t.attempts, t.sent_at, t.available_at)
                                   .where(t.id == row_id))).one()


async def handed(engine: AsyncEngine) -> list[tuple[str, str, dict[str, Any]]]:
    c = channel_outbox.c
    async with engine.connect() as conn:
        rows = (await conn.execute(select(c.channel, c.sender, c.payload).order_by(c.id))).all()
    payloads = await opened(engine, CHAT_MESSAGE, [r.payload for r in rows])
    return [(r.channel, r.sender, payload) for r, payload in zip(rows, payloads, strict=True)]


async def deliver_one(outbox: SqlAlertOutbox, at: datetime) -> list[int]:
    """One claim as the worker makes it for web chat: every claimed job marked sent with its payload."""
    async with outbox.claim(10, at) as batch:
        for job in batch.jobs:
            batch.sent(job, [{"text": job.messages[0]["text"]}])
        return [job.row_id for job in batch.jobs]


async def test_ready_result_with_payloads_is_sent_at_routing(engine: AsyncEngine, outbox: SqlAlertOutbox) -> None:
    (row_id,) = await received(outbox, "e1")
    payloads = [{"text": "first bubble"}, {"text": "second bubble"}]
    await outbox.routed([ready(row_id, "cust0", payloads=payloads)])

    status, attempts, sent_at, _ = await row(engine, row_id)
    assert (status, attempts) == ("sent", 1)
    assert sent_at is not None
    assert await handed(engine) == [("webchat", "sender-cust0", p) for p in payloads]
    assert await deliver_one(outbox, datetime.now(UTC) + LATER) == [], "nothing left for a worker to send"
    assert await outbox.counts() == {"sent": 1}


@pytest.mark.parametrize("older_due", ["now", "after quiet hours"])
async def test_an_older_waiting_row_holds_the_hand_over_back(engine: AsyncEngine, outbox: SqlAlertOutbox,
                                                             older_due: str) -> None:
    older, newer = await received(outbox, "e1", "e2")
    quiet_end = datetime.now(UTC) + timedelta(hours=6) if older_due != "now" else None
    await outbox.routed([ready(older, "cust0", available_at=quiet_end)])  # no payloads: a plain ready row
    await outbox.routed([ready(newer, "cust0", payloads=payload(newer))])

    status, attempts, sent_at, _ = await row(engine, newer)
    assert (status, attempts, sent_at) == ("ready", 0, None)
    assert await handed(engine) == []
    if quiet_end is not None:
        assert await deliver_one(outbox, datetime.now(UTC)) == [], "the older row sleeps, the newer waits on it"

    later = datetime.now(UTC) + LATER
    assert await deliver_one(outbox, later) == [older], "only the oldest of the lane is claimable"
    assert await deliver_one(outbox, later) == [newer]
    assert await deliver_one(outbox, later) == []
    assert [p["text"] for _, _, p in await handed(engine)] == [f"message {older}", f"message {newer}"]
    assert (await row(engine, newer))[:2] == ("sent", 1)


async def test_an_earlier_ready_result_in_the_batch_holds_back_its_customer_only(
        engine: AsyncEngine, outbox: SqlAlertOutbox) -> None:
    first, second, other = await received(outbox, "e1", "e2", "e3")
    # Given out of order on purpose: "earlier" means the older row, not the position in the list.
    await outbox.routed([ready(other, "cust1", payloads=payload(other)),
                         ready(second, "cust0", payloads=payload(second)),
                         ready(first, "cust0")])

    assert (await row(engine, first))[:2] == ("ready", 0)
    assert (await row(engine, second))[:2] == ("ready", 0)
    assert (await row(engine, other))[:2] == ("sent", 1)
    assert await handed(engine) == [("webchat", "sender-cust1", {"text": f"message {other}"})]
    later = datetime.now(UTC) + LATER
    assert await deliver_one(outbox, later) == [first]
    assert await deliver_one(outbox, later) == [second]


async def test_the_urgent_lane_is_not_held_back_by_a_waiting_normal_row(engine: AsyncEngine,
                                                                         outbox: SqlAlertOutbox) -> None:
    normal, fraud, behind = await received(outbox, "e1", "e2", "e3")
    quiet_end = datetime.now(UTC) + timedelta(hours=6)
    await outbox.routed([ready(normal, "cust0", available_at=quiet_end)])
    await outbox.routed([ready(fraud, "cust0", lane="urgent", payloads=payload(fraud)),
                         ready(behind, "cust0", payloads=payload(behind))])

    assert (await row(engine, fraud))[:2] == ("sent", 1)
    assert (await row(engine, behind))[:2] == ("ready", 0), "the normal lane still waits for its older row"
    assert await handed(engine) == [("webchat", "sender-cust0", {"text": f"message {fraud}"})]


async def test_filtered_and_superseded_results_are_never_handed_over(engine: AsyncEngine,
                                                                     outbox: SqlAlertOutbox) -> None:
    filtered, superseded, wanted = await received(outbox, "e1", "e2", "e3")
    await outbox.routed([ready(filtered, "cust0", status="filtered", payloads=payload(filtered)),
                         ready(superseded, "cust0", status="superseded", payloads=payload(superseded)),
                         ready(wanted, "cust0", payloads=payload(wanted))])

    assert (await row(engine, filtered))[:3] == ("filtered", 0, None)
    assert (await row(engine, superseded))[:3] == ("superseded", 0, None)
    # Neither of them waits to be sent, so neither holds back the customer's next message.
    assert (await row(engine, wanted))[:2] == ("sent", 1)
    assert await handed(engine) == [("webchat", "sender-cust0", {"text": f"message {wanted}"})]
    assert await deliver_one(outbox, datetime.now(UTC) + LATER) == []


async def quiet_now(engine: AsyncEngine, customer: str) -> None:
    """Quiet hours from an hour ago to an hour ahead (UTC), so routing now falls inside them."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(update(alert_preferences).where(alert_preferences.c.customer_id == customer).values(
            quiet_start=(now - timedelta(hours=1)).strftime("%H:%M"),
            quiet_end=(now + timedelta(hours=1)).strftime("%H:%M"), timezone="UTC"))


async def outbox_rows(engine: AsyncEngine) -> dict[str, Any]:
    t = alert_outbox.c
    async with engine.connect() as conn:
        return {r.customer_id: r for r in await conn.execute(
            select(t.customer_id, t.status, t.attempts, t.sent_at, t.available_at))}


async def test_runtime_hands_web_chat_alerts_over_at_routing_except_in_quiet_hours(engine: AsyncEngine) -> None:
    await add_customers(engine, 2)
    await quiet_now(engine, "cust1")
    bank = Bank()
    intake, router, outbox = pipeline(engine, bank)
    worker = DeliveryWorker(outbox, WebChatOnly(), DeliveryPolicy(idle_poll_s=0.01))
    runtime = AlertRuntime(router, worker, None, route_idle_s=0.01)
    await runtime.start()
    try:
        await intake.accept("bank", bank.card_payment(0, 1))
        await intake.accept("bank", bank.card_payment(1, 2))
        runtime.notify()
        deadline = time.monotonic() + 60  # a guard: the loop ends as soon as both rows moved on
        while time.monotonic() < deadline:
            rows = await outbox_rows(engine)
            if len(rows) == 2 and all(r.status != "received" for r in rows.values()):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # give the worker's loop a few rounds to claim anything claimable
    finally:
        await runtime.stop()

    rows = await outbox_rows(engine)
    assert (rows["cust0"].status, rows["cust0"].attempts) == ("sent", 1)
    assert rows["cust0"].sent_at is not None
    delivered = await handed(engine)
    assert len(delivered) == 1, delivered
    channel, sender, body = delivered[0]
    assert (channel, sender) == ("webchat", "session-0000-xxxxxxxx")
    assert "M1#" in body["text"], body
    assert worker.sent == 0, "the worker's claim never had to deliver it: routing handed it over"

    quiet = rows["cust1"]
    assert (quiet.status, quiet.attempts, quiet.sent_at) == ("ready", 0, None)
    available_at = quiet.available_at if quiet.available_at.tzinfo else quiet.available_at.replace(tzinfo=UTC)
    assert available_at > datetime.now(UTC), "held until quiet hours end, not handed over"
