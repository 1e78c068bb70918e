"""A PostgreSQL database of its own for a test or a test session, on the server at 127.0.0.1:5432."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ADMIN_DSN = os.environ.get("SARRAF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def empty_database(backend: str, sqlite_path: Path, prefix: str = "sarraf_test") -> Iterator[str]:
    """A SQLAlchemy URL of an empty database: a SQLite file at `sqlite_path`, or a temporary PostgreSQL one
    (for fixtures parametrised over both backends)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{sqlite_path}"
        return
    with temporary_database(prefix) as url:
        yield url


@contextmanager
def temporary_database(prefix: str = "sarraf_test") -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh, empty database; it is dropped afterwards (even if still in use)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
