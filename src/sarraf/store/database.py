"""Engine creation and schema migration (Alembic) for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sarraf.policy.crypto import KeyProvider
from sarraf.store import sqlite_driver, sqlite_schema
from sarraf.store.schema_version import HEAD_REVISION

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)
# How many times this process ran Alembic's upgrade: a start against a current database adds nothing.
upgrades_run = 0


def private_folder(path: Path) -> Path:
    """A folder only this user may enter (0700): the data folder holds the database and the keys (#17)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = path.stat()
    # Never a folder shared by design (sticky, like /tmp) or someone else's: only the gateway's own is closed.
    if found.st_uid == os.geteuid() and not found.st_mode & stat.S_ISVTX:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` readable by this user only (0600), or make an existing one so. SQLite gives its -wal and
    -shm files the mode of the database file, so those follow."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path
# As many connections as SQLAlchemy's default pool allows at once (5 kept + 10 overflow), all of them kept: under
# a few dozen concurrent turns the overflow ones were opened and closed again continually (on SQLite a thread,
# a file open and three PRAGMAs each; on PostgreSQL a server backend), ~0.2 connections per chat turn.
POOL = {"pool_size": 15, "max_overflow": 0}


def _sqlite_path(url: str) -> str:
    """What a SQLite URL names after `:///`, without its query ("" for `sqlite://`: a database in memory)."""
    return url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""


def _sqlite_in_memory(url: str) -> bool:
    path = _sqlite_path(url)
    return not path or path == ":memory:" or "mode=memory" in url


def sqlite_file(url: str) -> Path | None:
    """The database file a SQLite URL names; None for a database in memory, a `file:` URI or another database."""
    if not url.startswith("sqlite") or _sqlite_in_memory(url) or _sqlite_path(url).startswith("file:"):
        return None
    return Path(_sqlite_path(url))


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        if (file := sqlite_file(url)) is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            private_file(file)
        in_memory = _sqlite_in_memory(url)  # one static connection: no pool
        # aiosqlite through store/sqlite_driver.py: one trip to the connection's thread per statement, not four, and
        # none for a small read (it runs on the event loop; the driver makes the connection usable from both threads)
        one_trip = {"async_creator_fn": sqlite_driver.connect} if url.startswith("sqlite+aiosqlite") else {}
        engine = create_async_engine(url, connect_args={"timeout": 30, **one_trip}, **({} if in_memory else POOL))

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the web server read while a worker writes. synchronous=NORMAL in WAL mode keeps every
            # commit atomic and durable across a process crash (SIGKILL); only an OS crash or power loss can
            # lose the last commits, never half of one. FULL would halve batched audit appends.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    engine = create_async_engine(url, **POOL)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_S = 10.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it sat idle long enough to have been dropped (a server
    restart, a firewall's idle timeout). SQLAlchemy's pool_pre_ping checks on every checkout: a round trip
    per transaction, which on the alert path (a thousand transactions a second) was ~4 % of the gateway's CPU
    plus the server's share. A connection that fails the check is replaced before the caller sees it; one
    that breaks mid-use raises, and SQLAlchemy then discards every pooled connection of that engine."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool retries the checkout with a fresh connection
            raise DisconnectionError(f"pooled connection failed its check after idling: {exc}") from exc


def alembic_config(url: str, keys: KeyProvider | None = None) -> Config:
    """`keys`: the gateway's key provider, for migrations that seal or hash existing rows."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["key_provider"] = keys
    return cfg


def upgrade_with_alembic(url: str, keys: KeyProvider | None) -> None:
    # imported here: Alembic costs ~0.3 s of start-up and is needed only when the schema is behind
    from alembic import command

    command.upgrade(alembic_config(url, keys), "head")


async def stored_revision(url: str) -> str | None:
    """The schema revision the database is at (None for a new database)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
    except DBAPIError:  # no alembic_version table yet
        return None
    finally:
        await engine.dispose()


async def migrate(url: str, keys: KeyProvider | None = None) -> None:
    """Bring the schema to the newest revision; safe (and cheap) to call on every start: one SELECT when the
    database is current, and Alembic is neither imported nor run; an empty SQLite file gets the newest schema
    from one script (store/sqlite_schema.py). `keys` lets migrations that convert data to
    sealed or keyed-hash form do so (a database with such rows is refused without them)."""
    global upgrades_run
    found = await stored_revision(url)
    if found == HEAD_REVISION:
        return
    upgrades_run += 1
    new_file = sqlite_file(url) if found is None else None
    if new_file is not None and await asyncio.to_thread(sqlite_schema.create, new_file, HEAD_REVISION):
        log.info("new database: schema %s created from %s", HEAD_REVISION, sqlite_schema.SCRIPT.name)
        return
    log.info("database schema at %s; upgrading to %s", found or "nothing", HEAD_REVISION)
    # Alembic's async env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_with_alembic, url, keys)
