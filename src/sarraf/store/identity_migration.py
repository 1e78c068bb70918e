"""The data half of the migration that stops storing platform ids in clear (revision 5c1d2e8f7a90).

Alembic runs migrations on a synchronous connection inside its own event loop, while the key provider is
async: its calls run to completion on a thread of their own. Each existing identity gets its keyed hash (in
`sender`) and its id sealed with its customer's data key (in `sender_sealed`), the key created when the
customer had none yet; a customer-service window is keyed by the same hash; a pending bank login's address
is sealed with its customer's key. Plain SQL through SQLAlchemy Core, so SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sarraf.policy.crypto import KeyProvider, WrappedKey, open_with, seal_with
from sarraf.store.identity_sealing import FIELD, LOOKUP_SECRET, lookup_value
from sarraf.store.key_store import unwrap_or_refuse

T = TypeVar("T")
MISSING_KEYS = ("channel identities must be converted with the gateway's keys (their ids get a keyed hash and "
                "are sealed with each customer's key): run `sarraf serve` (or `sarraf keys ...`) with SARRAF_HOME "
                "pointing at the keys, which migrates the database itself")

identities = sa.table("channel_identities", sa.column("id", sa.Integer), sa.column("channel", sa.String),
                      sa.column("sender", sa.String), sa.column("customer_id", sa.String),
                      sa.column("sender_sealed", sa.LargeBinary))
windows = sa.table("channel_service_windows", sa.column("channel", sa.String), sa.column("customer", sa.String))
logins = sa.table("link_sessions", sa.column("state", sa.String), sa.column("customer_id", sa.String),
                  sa.column("sender", sa.String), sa.column("sender_sealed", sa.LargeBinary))
LOGIN_SENDER = "link-sender"  # store/links.py SENDER_FIELD
data_keys = sa.table("data_keys", sa.column("owner", sa.String), sa.column("key_id", sa.String),
                     sa.column("wrapped", sa.LargeBinary))


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def data_key(conn: Connection, keys: KeyProvider, owner: str, cache: dict[str, bytes]) -> bytes:
    if owner not in cache:
        row = conn.execute(sa.select(data_keys.c.key_id, data_keys.c.wrapped).where(data_keys.c.owner == owner)
                           ).first()
        if row is None:
            wrapped = run_blocking(keys.wrap(secrets.token_bytes(32), owner.encode()))
            conn.execute(sa.insert(data_keys).values(owner=owner, key_id=wrapped.key_id, wrapped=wrapped.blob))
        else:
            wrapped = WrappedKey(row.key_id, bytes(row.wrapped))
        cache[owner] = run_blocking(keys.unwrap(wrapped, owner.encode()))
    return cache[owner]


def refuse_without_keys(conn: Connection, keys: KeyProvider | None) -> None:
    """Before any change (SQLite does not roll DDL back): identities to convert need the gateway's keys."""
    if keys is None and any(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                            for table in (identities, windows, logins)):
        raise RuntimeError(MISSING_KEYS)


def check_keys_open(conn: Connection, keys: KeyProvider) -> None:
    """Keys other than the database's must fail here, before anything (the lookup secret) is made with them,
    with the same reason and hint as at start-up: the master key the database needs, and where to point."""
    sample = conn.execute(sa.select(data_keys.c.owner, data_keys.c.key_id, data_keys.c.wrapped).limit(1)).first()
    if sample is not None:
        run_blocking(unwrap_or_refuse(keys, sample.owner, WrappedKey(sample.key_id, bytes(sample.wrapped))))


def seal_clear_identities(conn: Connection, keys: KeyProvider | None) -> int:
    """Hash and seal every identity still held in clear; how many there were. The lookup secret is made even
    when there are none, so every process started after this migration finds it."""
    rows = conn.execute(sa.select(identities.c.id, identities.c.channel, identities.c.sender,
                                  identities.c.customer_id).where(identities.c.sender_sealed.is_(None))).all()
    if keys is None:
        if rows:
            raise RuntimeError(MISSING_KEYS)
        return 0
    check_keys_open(conn, keys)
    secret = run_blocking(keys.secret(LOOKUP_SECRET))
    cache: dict[str, bytes] = {}
    for row in rows:
        key = data_key(conn, keys, row.customer_id, cache)
        conn.execute(sa.update(identities).where(identities.c.id == row.id).values(
            sender=lookup_value(secret, row.channel, row.sender),
            sender_sealed=seal_with(key, row.customer_id, FIELD, row.sender.encode())))
    for window in conn.execute(sa.select(windows.c.channel, windows.c.customer)).all():
        conn.execute(sa.update(windows).where(windows.c.channel == window.channel,
                                              windows.c.customer == window.customer)
                     .values(customer=lookup_value(secret, window.channel, window.customer)))
    for login in conn.execute(sa.select(logins.c.state, logins.c.customer_id, logins.c.sender)).all():
        key = data_key(conn, keys, login.customer_id, cache)
        conn.execute(sa.update(logins).where(logins.c.state == login.state).values(
            sender_sealed=seal_with(key, login.customer_id, LOGIN_SENDER, login.sender.encode())))
    return len(rows)


def open_sealed_identities(conn: Connection, keys: KeyProvider | None) -> None:
    """The downgrade: the ids back in clear (an erased customer's are gone with their rows)."""
    rows = conn.execute(sa.select(identities.c.id, identities.c.customer_id, identities.c.sender_sealed)).all()
    pending = conn.execute(sa.select(sa.func.count()).select_from(logins)).scalar()
    if (rows or pending) and keys is None:
        raise RuntimeError(MISSING_KEYS)
    cache: dict[str, bytes] = {}
    for row in rows:
        assert keys is not None
        key = data_key(conn, keys, row.customer_id, cache)
        clear = open_with(key, row.customer_id, FIELD, bytes(row.sender_sealed)).decode()
        conn.execute(sa.update(identities).where(identities.c.id == row.id).values(sender=clear))
    for login in conn.execute(sa.select(logins.c.state, logins.c.customer_id, logins.c.sender_sealed)).all():
        assert keys is not None
        key = data_key(conn, keys, login.customer_id, cache)
        clear = open_with(key, login.customer_id, LOGIN_SENDER, bytes(login.sender_sealed)).decode()
        conn.execute(sa.update(logins).where(logins.c.state == login.state).values(sender=clear))
    # A window's hash cannot be turned back into the id: forgotten windows read as closed, as after a prune.
    conn.execute(sa.delete(windows))
