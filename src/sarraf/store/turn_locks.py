"""One turn at a time per conversation, across every gateway process on the database.

Two messages of one customer that reach two worker processes (or two replicas) are answered one after the
other, in the order their turns took the lock: the second waits until the first's replies are sent. Without
it both turns would read the same conversation memory and race to the platform.

- In a process: an asyncio lock per conversation (first come, first served).
- Across processes on PostgreSQL: a session advisory lock (two-int form, its own key space next to alert
  routing's one-bigint lock), taken on a connection of a small pool of its own, so a turn waiting for a lock
  never holds a connection that the turn holding it needs. PostgreSQL queues waiters in order, and releases
  the lock of a process that dies (its connection closes).
- Across processes on SQLite (one machine): a POSIX record lock on one byte of a file beside the database,
  the byte chosen by the conversation's hash (4096 of them); the kernel releases it when the process dies.
  Taking it does not block a thread: it is tried, and retried after a short sleep while another process
  holds it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sarraf.store.database import sqlite_file

TURN_LOCK_SPACE = 0x5A7F  # the first int of the two-int advisory lock: turn locks only
SQLITE_SLOTS = 4096
RETRY_S = 0.002
RETRY_MAX_S = 0.05
LOCK_POOL = 20  # turns of this process holding or waiting for a lock at the same time, across customers


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)


class TurnLocks:
    def __init__(self, database_url: str) -> None:
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}
        self._engine: AsyncEngine | None = None
        self._file: int | None = None
        self._path: str | None = None
        if database_url.startswith("postgresql"):
            self._engine = create_async_engine(database_url, pool_size=LOCK_POOL, max_overflow=0)
        else:
            if (database := sqlite_file(database_url)) is not None:  # in memory: private to this process
                self._path = f"{database}.turns.lock"
        self._slot_locks: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the conversation `key` (channel and sender) for the duration of one turn."""
        lock, users = self._local.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._local[key] = (lock, users + 1)
        try:
            async with lock:
                if self._engine is not None:
                    async with self._advisory(key):
                        yield
                elif self._path is not None:
                    async with self._record_lock(key):
                        yield
                else:
                    yield
        finally:
            lock, users = self._local[key]
            if users <= 1:
                del self._local[key]
            else:
                self._local[key] = (lock, users - 1)

    @asynccontextmanager
    async def _advisory(self, key: str) -> AsyncIterator[None]:
        assert self._engine is not None
        digest = _digest(key)
        async with self._engine.connect() as conn:
            await conn.execute(select(func.pg_advisory_lock(TURN_LOCK_SPACE, digest)))
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(select(func.pg_advisory_unlock(TURN_LOCK_SPACE, digest)))
                await conn.commit()

    @asynccontextmanager
    async def _record_lock(self, key: str) -> AsyncIterator[None]:
        """POSIX locks belong to the process, not to a descriptor: two turns of this process on the same byte
        would both "get" it, so the byte is first taken in-process (slot lock), then from the other processes."""
        assert self._path is not None
        if self._file is None:
            self._file = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        slot = _digest(key) % SQLITE_SLOTS
        slot_lock = self._slot_locks.setdefault(slot, asyncio.Lock())
        async with slot_lock:
            pause = RETRY_S
            while True:
                try:
                    fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
                    break
                except (BlockingIOError, PermissionError):  # another process holds it (EAGAIN or EACCES)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, RETRY_MAX_S)
            try:
                yield
            finally:
                fcntl.lockf(self._file, fcntl.LOCK_UN, 1, slot)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        if self._file is not None:
            os.close(self._file)
            self._file = None
