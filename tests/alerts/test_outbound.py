"""The one outbound path for messages outside a turn (alerts/outbound.py, behind Container.deliver): written to
the alert outbox first, then sent by the delivery worker. A message accepted by a process that dies before
sending it is delivered by a later worker, once; a failure half-way through a list resends only the message
that failed; the same telling again adds nothing; web chat gets its message in the same commit; on SQLite and
on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.outbound import KIND, LANE, WAIT_S, Addressee, Bell, OutOfTurn
from sarraf.channels import webchat
from sarraf.domain.messages import Button, Outbound
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.customers import SqlCustomers
from sarraf.store.database import make_engine
from sarraf.store.messages import SqlMessageLog
from sarraf.store.tables.alerts import alert_outbox
from tests.support.sealing import addresses_for_tests, identities_for_tests, sealer_for_tests

CHAT = "8001"  # a Telegram chat id
ANSWER = [Outbound("Your bank account is linked.", "en", quick_replies=(Button("Balance", payload="intent:b"),)),
          Outbound("You asked: what is my balance?", "en"),
          Outbound("Your balance is 12.00 GBP.", "en")]


@dataclass
class Platform:
    """A push platform (the delivery worker's Transport): records what it was sent, failing when told to."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_on: set[str] = field(default_factory=set)  # texts that fail once

    def pull(self, channel: str) -> bool:
        return channel == webchat.NAME

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        for m in messages:
            if m.text in self.fail_on:
                self.fail_on.discard(m.text)
                raise ConnectionError("platform answered 502")
            self.sent.append((sender, m.text))
        return [f"id-{len(self.sent)}"]


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


async def customer(engine: AsyncEngine, channel: str, sender: str) -> Addressee:
    found = await SqlCustomers(engine, identities_for_tests()).identify("bank", channel, sender)
    return Addressee("bank", found.id, channel, sender)


def path(engine: AsyncEngine, platform: Platform, bell: Bell | None = None) -> OutOfTurn:
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())
    return OutOfTurn(outbox, platform, {"telegram", "webchat", "terminal"}, bell=bell)


def worker(engine: AsyncEngine, platform: Platform, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
           bell: Bell | None = None) -> DeliveryWorker:
    """A delivery worker on connections of its own (a process started later, or this one's)."""
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())
    return DeliveryWorker(outbox, platform, DeliveryPolicy(base_delay_s=1.0, max_delay_s=1.0), clock,
                          bell=bell)


async def statuses(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    t = alert_outbox.c
    async with engine.connect() as conn:
        rows = await conn.execute(select(t.event_id, t.status, t.lane).where(t.kind == KIND).order_by(t.id))
        return [(r.event_id, r.status, r.lane) for r in rows]


async def test_a_message_accepted_before_a_crash_is_delivered_by_a_later_worker_exactly_once(
        db_url: str, engine: AsyncEngine) -> None:
    to = await customer(engine, "telegram", CHAT)
    crashed = make_engine(db_url)  # the process that accepts the answer, then dies before any worker sends it
    bell = Bell()
    assert await path(crashed, Platform(), bell).send(to, ANSWER, "login:abc") == 3
    await crashed.dispose()
    assert bell.wake.is_set()  # its own worker would have been woken at once
    assert [status for _, status, _ in await statuses(engine)] == ["ready"] * 3

    platform, clock = Platform(), Clock()
    later = worker(engine, platform, clock)
    while await later.run_once():  # one message of the customer's lane per round: in order
        pass
    assert platform.sent == [(CHAT, m.text) for m in ANSWER]
    assert await statuses(engine) == [(f"login:abc:{n}", "sent", LANE) for n in range(3)]
    # The same telling again (a replayed callback, a retried request) adds nothing and sends nothing.
    assert await path(engine, Platform()).send(to, ANSWER, "login:abc") == 0
    clock.now += timedelta(hours=1)
    assert await later.run_once() == 0
    assert len(platform.sent) == 3


async def test_a_failure_half_way_through_a_list_resends_only_the_message_that_failed(engine: AsyncEngine) -> None:
    to = await customer(engine, "telegram", CHAT)
    await path(engine, Platform()).send(to, ANSWER, "payment-status:p1:completed")
    platform, clock = Platform(fail_on={ANSWER[1].text}), Clock()
    sending = worker(engine, platform, clock)
    for _ in range(3):
        await sending.run_once()
    assert platform.sent == [(CHAT, ANSWER[0].text)]  # the second failed; the third waits behind it
    clock.now += timedelta(seconds=2)  # past its back-off
    while await sending.run_once():
        pass
    assert platform.sent == [(CHAT, m.text) for m in ANSWER]


async def test_web_chat_has_its_message_in_the_same_commit_and_once(engine: AsyncEngine) -> None:
    to = await customer(engine, webchat.NAME, "session-outbound-0001")
    bell = Bell()
    out = path(engine, Platform(), bell)
    assert await out.send(to, ANSWER[:2], "consent-reminder:x:0") == 2
    assert await out.send(to, ANSWER[:2], "consent-reminder:x:0") == 0
    log = SqlMessageLog(engine, sealer_for_tests(), identities_for_tests())
    pushed, _ = await log.collect(webchat.NAME, "session-outbound-0001")
    assert [payload["text"] for _, payload in pushed] == [m.text for m in ANSWER[:2]]
    assert [status for _, status, _ in await statuses(engine)] == ["sent", "sent"]
    assert not bell.wake.is_set()  # nothing left for a worker to send


async def test_a_channel_that_is_not_enabled_is_refused_and_the_terminal_is_handed_its_messages(
        engine: AsyncEngine) -> None:
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())
    terminal = Platform()
    out = OutOfTurn(outbox, Platform(), {"terminal"}, direct={"terminal": terminal})
    with pytest.raises(LookupError):
        await out.send(Addressee("bank", "c1", "telegram", CHAT), ANSWER, "k")
    assert await out.send(Addressee("bank", "c1", "terminal", "me"), ANSWER[:1], "k") == 1
    assert terminal.sent == [("me", ANSWER[0].text)]
    assert await statuses(engine) == []


async def test_the_request_returns_once_this_process_worker_has_sent_its_messages(engine: AsyncEngine) -> None:
    to = await customer(engine, "telegram", CHAT)
    platform, bell = Platform(), Bell()
    stop = asyncio.Event()
    running = asyncio.create_task(worker(engine, platform, bell=bell).run(stop))
    try:
        while not bell.workers:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        assert await path(engine, Platform(), bell).send(to, ANSWER, "step-up:h1") == 3
        # told by the time the browser's page answers, long before the worker's next poll would come
        assert platform.sent == [(CHAT, m.text) for m in ANSWER]
        assert time.monotonic() - started < WAIT_S
    finally:
        stop.set()
        await running
