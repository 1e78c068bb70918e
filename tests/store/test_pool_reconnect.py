"""PostgreSQL connections dropped while pooled are replaced before use (store/database.py checks a connection
that idled past PING_AFTER_IDLE_S instead of pinging on every checkout)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from sarraf.store import database
from sarraf.store.database import make_engine
from tests.support.postgres import temporary_database

pytestmark = pytest.mark.postgres


async def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    admin = make_engine(url)
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()
    await admin.dispose()
    await asyncio.sleep(0.1)  # the server closes the socket after answering


def test_a_connection_killed_while_idle_is_replaced_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)

    async def scenario(url: str) -> None:
        engine = make_engine(url)
        first = await _backend_pid(engine)  # back in the pool, idle
        await _terminate(url, first)
        second = await _backend_pid(engine)  # the check finds it dead: a fresh connection, no error
        assert second != first
        await engine.dispose()

    with temporary_database("sarraf_pool") as url:
        asyncio.run(scenario(url))


def test_a_recently_used_connection_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 3600.0)

    async def scenario(url: str) -> None:
        engine = make_engine(url)
        pings = 0
        original = engine.dialect.do_ping

        def counting(dbapi_conn):  # type: ignore[no-untyped-def]
            nonlocal pings
            pings += 1
            return original(dbapi_conn)

        engine.dialect.do_ping = counting  # type: ignore[method-assign]
        for _ in range(5):
            await _backend_pid(engine)
        assert pings == 0
        monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)
        await _backend_pid(engine)
        assert pings == 1
        await engine.dispose()

    with temporary_database("sarraf_pool") as url:
        asyncio.run(scenario(url))
