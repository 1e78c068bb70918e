"""aiosqlite with one trip to its thread per statement instead of four.

aiosqlite runs every call on the connection's own thread and hands the result back to the event loop: SQLAlchemy's
adapter makes four such calls per statement (open a cursor, execute, fetch all rows, close the cursor), each a
queue hand-off, a thread wake-up and a loop wake-up. Under a few dozen concurrent chat turns those hand-offs were
most of what a statement cost the gateway (about 85 µs of CPU each; issue #15). Here `execute` does all four in
one call on the thread and keeps the answer (description, rows, row count, last row id); the adapter's later
`fetchall` and `close` are answered from it without a trip.

Writers of this process queue for the database in order (OneTripConnection.writing) instead of sleeping in
SQLite's busy handler.

A statement with many rows (a server-side cursor streaming the audit log) gets its first PREFETCH_ROWS with the
execute and the rest as asked, from the same cursor, kept open until then.

A small read makes no trip at all (OneTripCursor._read_here): a SELECT on a connection with no write transaction
open, outside this process's writer queue, runs on the event loop against the same sqlite3 connection while that
connection's thread has nothing queued or running (_Calls counts the calls handed to it and those it finished), so
the two threads never use it at once. On the loop a read may not wait (busy timeout 0), may fetch LOOP_ROWS rows
and take LOOP_STEPS of SQLite's VM steps; a read that is refused the database, stopped, or fails in any way is run
again on the thread as before, and one with more rows goes on there from the same cursor. In WAL mode a reader
is almost never refused, and most of a chat turn's statements are such reads (issue #15).

Built on aiosqlite 0.22's Connection (`_execute`, `_conn`, `_tx`, `_thread`, `_connection_worker_thread`);
tests/store/test_sqlite_driver.py holds it to the behaviour SQLAlchemy relies on.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from queue import SimpleQueue
from threading import Thread
from typing import Any

import aiosqlite
import aiosqlite.core

PREFETCH_ROWS = 1000
LOOP_ROWS = 100  # a read fetches at most this many rows on the event loop; the rest come from the thread
LOOP_STEPS = 50_000  # SQLite VM steps (~1 ms) a read may take on the loop before it is run on the thread instead
WRITER_WAIT_S = 30.0  # the busy timeout store/database.py gives sqlite3
_READS = ("SELECT", "PRAGMA", "EXPLAIN")  # never begin a transaction; anything else may write (WITH: either)
_LOOP_READS = ("SELECT",)  # and never write (a PRAGMA may: wal_checkpoint, optimize, user_version = 1)
_Call = tuple["asyncio.Future[Any] | None", Callable[[], Any]]
_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = \
    weakref.WeakKeyDictionary()
Description = tuple[tuple[Any, ...], ...] | None


class OneTripCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses."""

    def __init__(self, conn: OneTripConnection) -> None:
        self._conn = conn
        self._open: sqlite3.Cursor | None = None  # still holding rows past the prefetch
        self._rows: deque[Any] = deque()
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _run(self, call: Callable[[sqlite3.Cursor], object]) -> _Done:
        """On the connection's thread: a fresh cursor, the statement, its first rows; closed unless rows remain."""
        connection = self._conn._conn
        cursor = connection.cursor()
        try:
            call(cursor)
            rows: list[Any] = []
            more = False
            if cursor.description is not None:
                rows = cursor.fetchmany(PREFETCH_ROWS)
                more = len(rows) == PREFETCH_ROWS
            done = _Done(cursor.description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction)
        except BaseException:
            cursor.close()
            raise
        if more:
            self._open = cursor
        else:
            cursor.close()
        return done

    def _read_here(self, call: Callable[[sqlite3.Cursor], object]) -> _Done | None:
        """On the event loop, with the connection's thread idle: the read and its first LOOP_ROWS rows, or None if
        it must run on the thread (the database refused without waiting, LOOP_STEPS ran out, or anything failed:
        the thread's run gives the answer or the error as before). No await in here: nothing else can reach the
        connection meanwhile."""
        connection = self._conn._conn
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 0")  # never wait for a lock on the loop
            connection.set_progress_handler(_stop, LOOP_STEPS)
            call(cursor)
            rows: list[Any] = [] if cursor.description is None else cursor.fetchmany(LOOP_ROWS)
            done = _Done(cursor.description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction)
        except Exception:
            cursor.close()
            return None
        finally:  # the thread must find the connection as it left it
            connection.set_progress_handler(None, 0)
            connection.execute(f"PRAGMA busy_timeout = {self._conn.busy_ms}").close()
        if len(rows) == LOOP_ROWS:
            self._open = cursor  # maybe more: the thread goes on from here (_more), in the same read
        else:
            cursor.close()
        return done

    async def _start(self, sql: str, call: Callable[[sqlite3.Cursor], object], one: bool = False) -> OneTripCursor:
        """`one`: a single statement (execute, not executemany), which may then run on the loop if it reads."""
        await self.close()  # a cursor executed twice: the rows of the first statement are gone, as with sqlite3
        conn = self._conn
        verb = sql.lstrip()[:7].upper()
        done: _Done | None = None
        if one and verb.startswith(_LOOP_READS) and conn.may_read_here():
            done = self._read_here(call)
        if done is None:
            if not verb.startswith(_READS):
                await conn.writing()
            try:
                done = await conn._execute(self._run, call)
            except BaseException:
                await conn.settle()
                raise
        self.description, self.rowcount, self.lastrowid = done.description, done.rowcount, done.lastrowid
        self._rows = deque(done.rows)
        conn.transaction_open = done.in_transaction
        if not done.in_transaction:
            conn.done_writing()
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> OneTripCursor:
        params: Sequence[Any] | dict[str, Any] = [] if parameters is None else parameters
        return await self._start(sql, lambda cursor: cursor.execute(sql, params), one=True)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        return await self._start(sql, lambda cursor: cursor.executemany(sql, parameters))  # type: ignore[arg-type]

    async def _more(self, size: int | None) -> None:
        """Rows past the prefetch, from the cursor kept open (closed once it has none left)."""
        cursor = self._open
        if cursor is None:
            return

        def fetch() -> list[Any]:
            rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
            if size is None or len(rows) < size:
                cursor.close()
            return rows

        rows = await self._conn._execute(fetch)
        if size is None or len(rows) < size:
            self._open = None
        self._rows.extend(rows)

    async def fetchone(self) -> Any | None:
        if not self._rows:
            await self._more(self.arraysize)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        want = self.arraysize if size is None else size
        if len(self._rows) < want:
            await self._more(max(want - len(self._rows), PREFETCH_ROWS))
        return [self._rows.popleft() for _ in range(min(want, len(self._rows)))]

    async def fetchall(self) -> Sequence[Any]:
        await self._more(None)
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()
        if self._open is not None:
            cursor, self._open = self._open, None
            await self._conn._execute(cursor.close)


@dataclass(frozen=True, slots=True)
class _Done:
    description: Description
    rows: list[Any]
    rowcount: int
    lastrowid: int | None
    in_transaction: bool  # sqlite3 opens one before a write, never before a read


def _stop() -> int:
    """SQLite's progress handler on the loop: called after LOOP_STEPS VM steps, stops the statement."""
    return 1


class _Calls(SimpleQueue[_Call]):
    """aiosqlite's queue of calls to a connection's thread, counting those put (by the loop) and those finished (by
    the thread): while the two are equal nothing is queued or running, and the loop may use the sqlite3
    connection itself. Every call goes through here: `_execute`, connecting, closing, and SQLAlchemy's own
    isolation-level setter, which puts to `_tx` directly."""

    def __init__(self) -> None:
        self.put_calls = 0
        self.finished_calls = 0  # written by the connection's thread only

    def idle(self) -> bool:
        return self.put_calls == self.finished_calls

    def put_nowait(self, item: _Call) -> None:
        future, function = item

        def counted() -> Any:
            try:
                return function()
            finally:  # the call's last touch of the connection is behind it
                self.finished_calls += 1

        self.put_calls += 1
        super().put_nowait((future, counted))

    def put(self, item: _Call, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)


def _writers(database: str) -> asyncio.Lock:
    """This process's queue of writers to `database` (per event loop: an asyncio lock belongs to one)."""
    return _WRITERS.setdefault(asyncio.get_running_loop(), {}).setdefault(database, asyncio.Lock())


class OneTripConnection(aiosqlite.Connection):
    # Whether a transaction may be open: known after each statement (OneTripCursor._start), assumed after any
    # other call. The pool rolls back every connection given back to it; after a read nothing is open (SQLite's
    # transactions begin at the first write), so that rollback, a trip to the thread, is skipped.
    transaction_open = True
    database = ""
    busy_ms = 5000  # the busy timeout sqlite3 was given (its `timeout`), put back after each read on the loop
    _writing: asyncio.Lock | None = None  # this process's writer queue, held from the first write to the end

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = self._calls = _Calls()  # a counting queue for the same worker, before the thread starts
        self._thread = Thread(target=aiosqlite.core._connection_worker_thread, args=(self._tx,))

    def may_read_here(self) -> bool:
        """Whether a read may run on the loop now: connected, the thread idle, no write transaction open, not
        holding the writer queue."""
        connection = self._connection
        return (connection is not None and self._running and self._writing is None and self._calls.idle()
                and not connection.in_transaction)

    async def writing(self) -> None:
        """Wait for this process's other writers to the database to finish before writing: SQLite lets one write
        at a time, and its busy handler makes the others sleep and retry, up to 100 ms a time, not in the order
        they came. With a few dozen turns writing at once the waits grew to ~90 ms a statement (issue #15).
        Other processes are still kept apart by SQLite itself. After WRITER_WAIT_S, "database is locked", as
        SQLite's own busy timeout says it."""
        if self._writing is not None:
            return
        writers = _writers(self.database)
        try:
            async with asyncio.timeout(WRITER_WAIT_S):
                await writers.acquire()
        except TimeoutError as exc:
            raise sqlite3.OperationalError("database is locked") from exc
        self._writing = writers

    def done_writing(self) -> None:
        if self._writing is not None:
            writers, self._writing = self._writing, None
            writers.release()

    async def settle(self) -> None:
        """After a failed statement: let the other writers go unless it left a transaction open (a rollback
        ends that)."""
        if self._writing is not None and self._connection is not None:
            connection = self._connection
            if not await self._execute(lambda: connection.in_transaction):
                self.done_writing()

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """No trip to the thread: the sqlite3 cursor is made with the statement (OneTripCursor._run)."""
        return OneTripCursor(self)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.transaction_open = True
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    async def commit(self) -> None:
        await super().commit()
        self.transaction_open = False
        self.done_writing()

    async def rollback(self) -> None:
        try:
            if self.transaction_open:
                await super().rollback()
                self.transaction_open = False
        finally:
            self.done_writing()

    async def close(self) -> None:
        self.done_writing()
        await super().close()


def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> OneTripConnection:
    """aiosqlite.connect's counterpart: what SQLAlchemy's aiosqlite dialect calls with the URL's connect arguments
    (connect_args={"async_creator_fn": connect})."""

    # made on the connection's thread, used from the loop too (never both at once: OneTripConnection.may_read_here)
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(str(database), **kwargs)
        return connection

    connection = OneTripConnection(connector, iter_chunk_size)
    connection.database = str(database)
    connection.busy_ms = round(float(kwargs.get("timeout", 5.0)) * 1000)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own: never holds the process open
    return connection
