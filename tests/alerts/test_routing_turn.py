"""Routing is single-flight across processes, on PostgreSQL and SQLite (events become ready in their order,
each decision is audited once), and released when its holder's turn ends."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg
import pytest

from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine
from tests.alerts.pipeline import create_schema
from tests.support.sealing import addresses_for_tests, sealer_for_tests

PG_ADMIN = os.environ.get("SARRAF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    name = f"sarraf_turn_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_one_routing_turn_at_a_time_across_engines(pg_url: str) -> None:
    first_engine, second_engine = make_engine(pg_url), make_engine(pg_url)  # as two processes would
    await create_schema(first_engine)
    first, second = (SqlAlertOutbox(e, sealer_for_tests(), addresses_for_tests())
                     for e in (first_engine, second_engine))
    try:
        async with first.routing_turn() as mine:
            assert mine
            async with second.routing_turn() as theirs:
                assert not theirs, "another process is routing: this one skips its turn"
        async with second.routing_turn() as theirs:
            assert theirs, "released when the first router's turn ended"
        assert await first.unrouted() == 0
    finally:
        await first_engine.dispose()
        await second_engine.dispose()


async def test_one_routing_turn_at_a_time_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turn.db'}"
    first_engine, second_engine = make_engine(url), make_engine(url)
    await create_schema(first_engine)
    first, second = (SqlAlertOutbox(e, sealer_for_tests(), addresses_for_tests())
                     for e in (first_engine, second_engine))
    try:
        async with first.routing_turn() as mine:
            assert mine
            async with second.routing_turn() as theirs:
                assert not theirs
        async with second.routing_turn() as theirs:
            assert theirs
    finally:
        await first_engine.dispose()
        await second_engine.dispose()


async def test_one_turn_routes_round_after_round_while_events_keep_coming(tmp_path: Path) -> None:
    """Events accepted while a round runs are routed in the same turn; `on_round` hears each round's count and
    how many messages were left for the delivery worker (none: web chat is handed over at routing)."""
    from sarraf.alerts.delivery import DeliveryWorker
    from sarraf.alerts.ports import Routed
    from sarraf.alerts.sets import SetVerifier
    from sarraf.domain.events import BankEvent
    from tests.alerts.pipeline import Bank, add_customers, router_for
    from tests.alerts.worker_proc import WebChatOnly

    class BankKeepsSending(SqlAlertOutbox):
        """After the first round's commit, the bank's next events arrive (the turn is still held)."""

        late: tuple[BankEvent, ...] = ()

        async def routed(self, results: Sequence[Routed]) -> int:
            left = await super().routed(results)
            if self.late:
                await self.accept(self.late)
                self.late = ()
            return left

    url = f"sqlite+aiosqlite:///{tmp_path / 'rounds.db'}"
    engine = make_engine(url)
    await create_schema(engine)
    await add_customers(engine, 5)
    outbox, bank = BankKeepsSending(engine, sealer_for_tests(), addresses_for_tests()), Bank()
    router = router_for(engine, outbox)
    router.hand_over_with(DeliveryWorker(outbox, WebChatOnly()).pull_payloads)

    async def jwks(refresh: bool) -> dict[str, object]:
        return bank.jwks()

    verifier = SetVerifier("bank", "sarraf", jwks)
    events = [await verifier.verify(bank.card_payment(n % 5, n)) for n in range(7)]
    await outbox.accept(events[:3])
    outbox.late = tuple(events[3:])
    rounds: list[tuple[int, int]] = []
    try:
        handled = await router.route_pending(limit=3, on_round=lambda n, ready: rounds.append((n, ready)))
        assert handled == 7
        assert rounds == [(3, 0), (3, 0), (1, 0)]
        assert await outbox.counts() == {"sent": 7}
    finally:
        await engine.dispose()
