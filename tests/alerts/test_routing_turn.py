"""Routing is single-flight across processes, on PostgreSQL and SQLite (events become ready in their order,
each decision is audited once), and released when its holder's turn ends."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.database import make_engine
from tests.alerts.pipeline import create_schema

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


async def test_one_routing_turn_at_a_time_across_engines(pg_url: str) -> None:
    first_engine, second_engine = make_engine(pg_url), make_engine(pg_url)  # as two processes would
    await create_schema(first_engine)
    first, second = SqlAlertOutbox(first_engine), SqlAlertOutbox(second_engine)
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
    first, second = SqlAlertOutbox(first_engine), SqlAlertOutbox(second_engine)
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
