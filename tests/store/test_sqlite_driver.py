"""store/sqlite_driver.py under SQLAlchemy: what the gateway's statements rely on behaves as with aiosqlite's
own cursor, with one trip to the connection's thread per statement (and none to give back a connection that
only read)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store import sqlite_driver
from sarraf.store.database import make_engine

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every call made on a connection's thread."""
    made: list[str] = []
    run = sqlite_driver.OneTripConnection._execute

    async def counted(self: sqlite_driver.OneTripConnection, fn: object, *args: object, **kwargs: object) -> object:
        made.append(getattr(fn, "__name__", type(fn).__name__))
        return await run(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_driver.OneTripConnection, "_execute", counted)
    return made


async def test_the_engine_uses_the_one_trip_driver(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.OneTripConnection)


async def test_reads_writes_and_returning(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(items).values(name="a"))
        assert first.inserted_primary_key == (1,)
        await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}])  # executemany
        moved = await conn.execute(update(items).where(items.c.id > 1).values(name=items.c.name + "!"))
        assert moved.rowcount == 2
        back = await conn.execute(insert(items).values(name="d").returning(items.c.id, items.c.name))
        assert back.all() == [(4, "d")]
    assert trips.count("commit") == 1 and "rollback" not in trips  # after the commit nothing is left to undo
    trips.clear()
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == \
            ["a", "b!", "c!", "d"]
        assert (await conn.execute(select(items.c.id).where(items.c.name == "zzz"))).first() is None
    assert trips == ["_run", "_run"]  # one trip per statement; the read-only connection is given back without one


async def test_a_failed_transaction_is_rolled_back_and_the_connection_stays_usable(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="x"))
            await conn.execute(insert(items).values(name="x"))
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="y"))
            raise RuntimeError("the caller gives up")
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 0
        await conn.execute(insert(items).values(name="z"))  # a write on a plain connection, never committed
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 0


async def test_many_rows_stream_past_the_prefetch(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "PREFETCH_ROWS", 7)
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": f"n{i:03}"} for i in range(50)])
    async with engine.connect() as conn:
        assert len((await conn.execute(select(items))).all()) == 50
        result = await conn.stream(select(items.c.name).order_by(items.c.id).execution_options(yield_per=5))
        names = [name async for partition in result.partitions(5) for (name,) in partition]
        assert names == [f"n{i:03}" for i in range(50)]
        half = await conn.stream(select(items.c.name).order_by(items.c.id).execution_options(yield_per=3))
        assert len(await half.fetchmany(10)) == 10
        await half.close()  # the cursor kept open for the rest is closed on its thread
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 50


async def test_writers_of_one_process_take_turns(engine: AsyncEngine) -> None:
    """Each writer holds the database from its first write to its commit; the others wait their turn (woken as
    it ends) instead of sleeping in SQLite's busy handler."""
    import asyncio
    import time

    order: list[int] = []
    first_in = asyncio.Event()

    async def write(i: int) -> float:
        began = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name=f"w{i}"))
            order.append(i)
            if i == 0:
                first_in.set()
                await asyncio.sleep(0.2)  # holds the write lock meanwhile
        return time.monotonic() - began

    first = asyncio.create_task(write(0))
    await first_in.wait()
    waits = await asyncio.gather(*(write(i) for i in range(1, 8)))
    await first
    assert order[0] == 0 and sorted(order) == list(range(8))
    assert max(waits) < 1.0  # woken as the lock is let go, not after the busy handler's growing sleeps
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 8


async def test_the_write_turn_is_let_go_after_a_failure_a_rollback_and_a_read(engine: AsyncEngine) -> None:
    import asyncio

    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(id=1, name="a"))
            await conn.execute(insert(items).values(id=1, name="b"))
    async with engine.connect() as conn:
        with pytest.raises(OperationalError):  # it began no transaction: the failure lets the turn go at once
            await conn.execute(text("INSERT INTO nowhere VALUES (1)"))
        async with engine.begin() as other:  # another connection writes meanwhile
            await asyncio.wait_for(other.execute(insert(items).values(name="c")), 5)
    async with engine.begin() as conn:
        await conn.execute(select(items))  # a read takes no turn
        await asyncio.wait_for(conn.execute(insert(items).values(name="d")), 5)


async def test_a_writer_waiting_too_long_is_told_the_database_is_locked(
        engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "WRITER_WAIT_S", 0.2)
    async with engine.begin() as holder:
        await holder.execute(insert(items).values(name="held"))
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(insert(items).values(name="late"))
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["held"]
