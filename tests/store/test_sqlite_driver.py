"""store/sqlite_driver.py under SQLAlchemy: what the gateway's statements rely on behaves as with aiosqlite's
own cursor, with one trip to the connection's thread per statement (none for a small read, which runs on the event
loop, and none to give back a connection that only read)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

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
    """The name of every call made on a connection's thread by this test (its event loop runs in this thread; a
    server another test left running in a thread of its own has connections of its own)."""
    made: list[str] = []
    run = sqlite_driver.OneTripConnection._execute
    test_thread = threading.get_ident()

    async def counted(self: sqlite_driver.OneTripConnection, fn: object, *args: object, **kwargs: object) -> object:
        if threading.get_ident() == test_thread:
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
    assert trips == []  # small reads run on the loop; the read-only connection is given back without a trip


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


# Reads on the event loop (issue #15): a SELECT with the connection's thread idle and no write transaction open
# runs on the loop against the same sqlite3 connection; anything it cannot finish there runs on the thread.

accounts = Table("accounts", metadata, Column("id", Integer, primary_key=True), Column("balance", Integer))


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per read this test tried on its event loop: whether the loop answered it (False: the thread ran
    it). Reads of servers other tests left running in threads of their own are not counted."""
    tried: list[bool] = []
    read_here = sqlite_driver.OneTripCursor._read_here
    test_thread = threading.get_ident()

    def counted(self: sqlite_driver.OneTripCursor, call: Any) -> Any:
        done = read_here(self, call)
        if threading.get_ident() == test_thread:
            tried.append(done is not None)
        return done

    monkeypatch.setattr(sqlite_driver.OneTripCursor, "_read_here", counted)
    return tried


async def driver_of(conn: AsyncConnection) -> sqlite_driver.OneTripConnection:
    raw = (await conn.get_raw_connection()).driver_connection
    assert isinstance(raw, sqlite_driver.OneTripConnection)
    return raw


async def test_a_small_read_runs_on_the_loop_and_leaves_the_connection_as_it_was(
        engine: AsyncEngine, trips: list[str], here: list[bool]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": f"n{i}"} for i in range(5)])
    async with engine.connect() as conn:
        raw = await driver_of(conn)
        await raw.create_function("thread_id", 0, threading.get_ident)  # where SQLite evaluates the statement
        trips.clear()
        assert (await conn.execute(text("SELECT thread_id()"))).scalar() == threading.get_ident()
        assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == \
            [f"n{i}" for i in range(5)]
        empty = await conn.execute(select(items.c.id).where(items.c.name == "zzz"))
        assert empty.first() is None
        assert trips == [] and here == [True, True, True]
        # a PRAGMA runs on the thread: it finds sqlite3's busy timeout put back (the engine's 30 s)
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 30_000
        assert trips == ["_run"]


async def test_a_read_refused_a_lock_on_the_loop_waits_for_it_on_the_thread(
        tmp_path: Path, trips: list[str], here: list[bool]) -> None:
    """A writer of another connection holds an exclusive lock (a rollback journal: in WAL mode readers are not
    kept out). The loop never waits for it; the thread does, with the busy timeout, while the loop runs on."""
    path = tmp_path / "journal.db"
    eng = create_async_engine(f"sqlite+aiosqlite:///{path}",
                              connect_args={"async_creator_fn": sqlite_driver.connect, "timeout": 30})
    try:
        async with eng.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(insert(items).values(name="a"))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO items (name) VALUES ('held')")
        trips.clear()

        async def read() -> list[str]:
            async with eng.connect() as conn:
                return list((await conn.execute(select(items.c.name).order_by(items.c.id))).scalars())

        reading = asyncio.create_task(read())
        began = time.monotonic()
        await asyncio.sleep(0.3)  # returns on time only if the loop is not stuck in SQLite's busy handler
        assert time.monotonic() - began < 1.0 and not reading.done()
        assert here == [False]
        holder.execute("COMMIT")
        holder.close()
        assert await asyncio.wait_for(reading, 10) == ["a", "held"]
        assert trips == ["_run"]
    finally:
        await eng.dispose()


async def test_a_read_of_many_rows_goes_on_on_the_thread(
        engine: AsyncEngine, trips: list[str], here: list[bool]) -> None:
    names = [f"n{i:03}" for i in range(250)]
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": name} for name in names])
    trips.clear()
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == names
        assert here == [True] and trips == ["fetch"]  # the first LOOP_ROWS on the loop, the rest from the thread
        trips.clear()
        exactly = select(items.c.name).order_by(items.c.id).limit(sqlite_driver.LOOP_ROWS)
        assert (await conn.execute(exactly)).scalars().all() == names[:sqlite_driver.LOOP_ROWS]
        assert trips == ["fetch"]  # the thread finds there is no more
        trips.clear()
        fewer = select(items.c.name).order_by(items.c.id).limit(sqlite_driver.LOOP_ROWS - 1)
        assert (await conn.execute(fewer)).scalars().all() == names[:sqlite_driver.LOOP_ROWS - 1]
        assert trips == []
        result = await conn.stream(select(items.c.name).order_by(items.c.id).execution_options(yield_per=30))
        assert [name async for partition in result.partitions(30) for (name,) in partition] == names
        half = await conn.stream(select(items.c.name).order_by(items.c.id).execution_options(yield_per=7))
        assert len(await half.fetchmany(10)) == 10
        await half.close()  # the cursor the loop opened is closed on the thread
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 250
        assert all(here)


async def test_a_long_read_is_stopped_on_the_loop_and_run_on_the_thread(
        engine: AsyncEngine, trips: list[str], here: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": f"n{i}"} for i in range(300)])
    pairs = text("SELECT count(*) FROM items AS a, items AS b WHERE a.name < b.name")  # 90 000 rows scanned
    trips.clear()
    async with engine.connect() as conn:
        began = time.perf_counter()
        assert (await conn.execute(pairs)).scalar() == 300 * 299 // 2  # the thread runs without a step limit
        assert here == [False] and trips == ["_run"]
        monkeypatch.setattr(sqlite_driver, "LOOP_STEPS", 10**9)  # the limit is what sent it to the thread
        here.clear()
        trips.clear()
        assert (await conn.execute(pairs)).scalar() == 300 * 299 // 2
        assert here == [True] and trips == []
    assert time.perf_counter() - began < 10


async def test_reads_in_a_write_transaction_stay_on_the_thread(
        engine: AsyncEngine, trips: list[str], here: list[bool]) -> None:
    async with engine.begin() as conn:
        raw = await driver_of(conn)
        await raw.create_function("thread_id", 0, threading.get_ident)
        assert (await conn.execute(text("SELECT thread_id()"))).scalar() == threading.get_ident()
        await conn.execute(insert(items).values(name="a"))
        here.clear()
        trips.clear()
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["a"]  # its own uncommitted row
        assert (await conn.execute(text("SELECT thread_id()"))).scalar() == raw._thread.ident
        assert here == [] and trips == ["_run", "_run"]
        async with engine.connect() as other:  # another connection reads on the loop: only what is committed
            assert (await other.execute(select(func.count()).select_from(items))).scalar() == 0
            assert here == [True]
        await conn.execute(update(items).values(name="b"))
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="c"))
        await conn.rollback()
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["b"]


async def test_no_read_on_the_loop_while_the_thread_has_a_call(engine: AsyncEngine, here: list[bool]) -> None:
    """Not while a call is queued or running, nor after its caller gave up waiting for it: the thread still
    runs it."""
    async with engine.connect() as conn:
        raw = await driver_of(conn)
        assert raw.may_read_here()
        gate = threading.Event()
        waiting = asyncio.create_task(raw._execute(gate.wait, 10))
        await asyncio.sleep(0.05)
        assert not raw.may_read_here()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not raw.may_read_here()  # the thread is still in gate.wait
        reading = asyncio.create_task(conn.execute(select(func.count()).select_from(items)))
        await asyncio.sleep(0.05)
        assert not reading.done() and here == []  # queued behind the call on the thread
        gate.set()
        assert (await asyncio.wait_for(reading, 5)).scalar() == 0
        assert raw.may_read_here()
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 0
        assert here == [True]


async def test_reads_and_writes_of_many_tasks_stay_consistent(engine: AsyncEngine, here: list[bool]) -> None:
    """Sixty transfers between ten accounts (one write transaction each, reading a balance first) while ten
    auditors read the total and the transfer count: every read sees a whole number of transfers."""
    async with engine.begin() as conn:
        await conn.execute(insert(accounts), [{"id": i, "balance": 100} for i in range(10)])
    moves = [(i % 10, (i * 7 + 3) % 10) for i in range(60)]

    async def transfer(i: int) -> None:
        source, target = moves[i]
        async with engine.begin() as conn:
            balance = (await conn.execute(select(accounts.c.balance).where(accounts.c.id == source))).scalar()
            assert balance is not None
            await conn.execute(update(accounts).where(accounts.c.id == source).values(balance=accounts.c.balance - 1))
            await asyncio.sleep(0)
            await conn.execute(update(accounts).where(accounts.c.id == target).values(balance=accounts.c.balance + 1))
            await conn.execute(insert(items).values(name=f"t{i}"))

    async def audit() -> int:
        seen = 0
        for _ in range(15):
            async with engine.connect() as conn:
                assert (await conn.execute(select(func.sum(accounts.c.balance)))).scalar() == 1000
                count = (await conn.execute(select(func.count()).select_from(items))).scalar()
                assert count is not None and count >= seen  # commits are never unseen once seen
                seen = count
            await asyncio.sleep(0)
        return seen

    await asyncio.gather(*(transfer(i) for i in range(60)), *(audit() for _ in range(10)))
    expected = {i: 100 - sum(s == i for s, _ in moves) + sum(t == i for _, t in moves) for i in range(10)}
    async with engine.connect() as conn:
        assert dict((await conn.execute(select(accounts.c.id, accounts.c.balance))).all()) == expected
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 60
    assert here.count(True) > 100
