"""The payment status follower over a real database (two engines: two replicas): the schedule is claimed so
only one replica asks the bank at a time, back-off between checks, the payment moved once through the state
machine, and the outcome message keyed by the payment id — one message whatever repeats (a re-poll, two
replicas, a check that settled the payment and stopped before telling)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.payment_follow import MARK, Backoff, PaymentFollower, outcome_id
from sarraf.config import Settings
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.domain.payments import BankPayment, Payee, Payment, PaymentState, SourceAccount
from sarraf.store.address_sealing import Addresses
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine, migrate
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import open_envelope_cipher
from sarraf.store.payment_follow import SqlPaymentFollow
from sarraf.store.payments import SqlPayments
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_outbox
from sarraf.store.tables.payments import payments
from tests.support.postgres import temporary_database

START = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
S = PaymentState


@dataclass
class Bank:
    """The bank's answer to a status read, and how many reads it served (the door's `status`)."""

    status: str = "PDNG"
    reason: str | None = None
    reads: int = 0
    garbled: set[str] = field(default_factory=set)

    async def status_of(self, tenant: str, bank_payment_id: str, *, international: bool = False) -> BankPayment:
        self.reads += 1
        if bank_payment_id in self.garbled:
            raise KeyError("Data")  # an answer the connector could not read
        await asyncio.sleep(0.01)  # a round trip: the other replica runs meanwhile
        return BankPayment(bank_payment_id, self.status, self.reason)


class Door:
    def __init__(self, bank: Bank) -> None:
        self.status = bank.status_of


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Replica:
    follower: PaymentFollower
    repo: SqlPayments


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
        return
    with temporary_database() as url:
        yield url


@pytest.fixture
async def world(database: str, tmp_path: Path) -> AsyncIterator[tuple[list[Replica], Bank, Clock, AsyncEngine]]:
    url = database
    await migrate(url)
    engines = [make_engine(url), make_engine(url)]
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", banks_file=tmp_path / "banks.yaml",
                        public_url="http://x")
    bank, clock = Bank(), Clock()
    replicas = []
    for engine in engines:
        cipher = open_envelope_cipher(settings, engine)
        repo = SqlPayments(engine, cipher, Addresses(IdentityCodec(cipher.keys)))
        runs = PaymentRuns(Door(bank), repo, clock)  # type: ignore[arg-type]
        outbox = SqlAlertOutbox(engine, JsonSealer(cipher.keys), Addresses(IdentityCodec(cipher.keys)))
        follower = PaymentFollower(SqlPaymentFollow(engine, repo), runs, outbox, {"sandbox": "Sarraf Sandbox Bank"},
                                   backoff=Backoff(5, 60), clock=clock)
        replicas.append(Replica(follower, repo))
    try:
        yield replicas, bank, clock, engines[0]
    finally:
        for engine in engines:
            await engine.dispose()


def submitted(**changes: Any) -> Payment:
    p = Payment(payment_id="pay-1", tenant="sandbox", customer_id="cust-1", channel="webchat", sender="s-1",
                lang="pl", state=S.SUBMITTED, created_at=START, expires_at=START + timedelta(minutes=15),
                consent_key="c" * 32, payment_key="p" * 32, amount_minor=15000, currency="PLN",
                payee=Payee("Katarzyna Nowak", "UK.OBIE.IBAN", "PL27114020040000300201355387", "acc-1"),
                source=SourceAccount("acc-1", "UK.OBIE.IBAN", "PL48105014451000009123456789", "PLN", "Konto"),
                bank_payment_id="dp-123456789", bank_status="PDNG", version=4)
    return p.with_(**changes)


async def messages(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        return [(r.event_id, r.kind) for r in await conn.execute(select(alert_outbox.c.event_id, alert_outbox.c.kind))]


async def schedule(engine: AsyncEngine) -> tuple[datetime | None, int]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(payments.c.next_check_at, payments.c.checks))).one()
    return (row.next_check_at.replace(tzinfo=UTC) if row.next_check_at else None), row.checks


async def test_checks_back_off_while_pending_then_one_message_when_settled(world: Any) -> None:
    (one, _), bank, clock, engine = world
    await one.repo.create(submitted())
    clock.now = START + timedelta(seconds=1)  # just submitted: the callback's turn, not checked yet
    assert await one.follower.round() == 0 and bank.reads == 0
    waits = []
    for _ in range(3):  # pending at the bank: asked after 5, 10, 20 seconds
        clock.now += timedelta(minutes=10) if not waits else waits[-1]
        await one.follower.round()
        due, _ = await schedule(engine)
        assert due is not None
        waits.append(due - clock.now)
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)] and bank.reads == 3
    assert await one.follower.round() == 0 and bank.reads == 3  # not due yet: the bank is not asked
    bank.status = "ACSC"
    clock.now += waits[-1]
    assert await one.follower.round() == 1
    assert (await one.repo.get("pay-1")).state is S.COMPLETED  # type: ignore[union-attr]
    assert await messages(engine) == [(outcome_id("pay-1"), "payment_outcome")]
    assert await schedule(engine) == (None, 4)  # no more checks
    clock.now += timedelta(hours=1)
    assert await one.follower.round() == 0 and bank.reads == 4


async def test_two_replicas_racing_ask_once_and_tell_once(world: Any) -> None:
    (one, two), bank, clock, engine = world
    await one.repo.create(submitted())
    bank.status, bank.reason = "RJCT", "AM04"
    clock.now = START + timedelta(minutes=1)
    told = await asyncio.gather(one.follower.round(), two.follower.round())
    assert sorted(told) == [0, 1] and bank.reads == 1
    p = await one.repo.get("pay-1")
    assert p is not None and p.state is S.REJECTED and p.reason == "AM04"
    assert len(await messages(engine)) == 1


async def test_a_check_that_settled_but_stopped_before_telling_is_finished_once(world: Any) -> None:
    (one, two), bank, clock, engine = world
    p = submitted()
    await one.repo.create(p)
    # What a replica that died between the move and the message leaves: settled by a check, still scheduled.
    moved = p.with_(state=S.COMPLETED, bank_status="ACSC", extra={**MARK})
    assert await one.repo.update(p, moved)
    async with engine.begin() as conn:
        await conn.execute(payments.update().values(next_check_at=START + timedelta(seconds=30)))
    clock.now = START + timedelta(minutes=1)
    assert await two.follower.round() == 1 and bank.reads == 0
    assert await one.follower.round() == 0
    assert await messages(engine) == [(outcome_id("pay-1"), "payment_outcome")]


async def test_settled_by_the_customer_asking_in_chat_is_not_told_again(world: Any) -> None:
    (one, _), bank, clock, engine = world
    p = submitted()
    await one.repo.create(p)
    clock.now = START + timedelta(minutes=1)
    await one.follower.round()  # pending: scheduled
    bank.status = "ACSC"
    runs = PaymentRuns(Door(bank), one.repo, clock)  # type: ignore[arg-type]
    current = await one.repo.get("pay-1")
    assert current is not None and (await runs.refresh(current)).moved  # the chat's "did it go through?"
    clock.now += timedelta(minutes=5)
    assert await one.follower.round() == 0
    assert await messages(engine) == [] and await schedule(engine) == (None, 2)  # seen settled: done


async def test_one_unreadable_answer_does_not_hold_back_the_others(world: Any) -> None:
    (one, _), bank, clock, engine = world
    await one.repo.create(submitted())
    await one.repo.create(submitted(payment_id="pay-2", bank_payment_id="dp-garbled"))
    bank.status, bank.garbled = "ACSC", {"dp-garbled"}
    clock.now = START + timedelta(minutes=1)
    assert await one.follower.round() == 1
    assert await messages(engine) == [(outcome_id("pay-1"), "payment_outcome")]
    stuck = await one.repo.get("pay-2")
    assert stuck is not None and stuck.state is S.SUBMITTED  # asked again after its back-off
