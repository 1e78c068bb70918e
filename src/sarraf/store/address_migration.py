"""The data half of the migration that stops storing platform addresses in clear outside `channel_identities`.

Every table that names a conversation by the customer's platform address gets, in place of the address, the
keyed hash `channel_identities.sender` holds for it (store/address_sealing.py), so the address exists only
once, sealed with the customer's key. Rows are rewritten by primary key in batches (executemany), so a long
alert outbox costs one pass, not one scan per address. The downgrade opens each hash back from the identity
it names; a row whose identity is gone (its customer was erased) cannot be given its address back and is
deleted, as the rows of an erased customer are. A fraud case's event data, kept in clear until now, is sealed
with its customer's data key (made if they had none). Plain SQL through SQLAlchemy Core: SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sarraf.policy.crypto import KeyProvider, WrappedKey, open_with
from sarraf.store.address_sealing import is_stored
from sarraf.store.alerts_prefs import CASE_DATA
from sarraf.store.identity_migration import check_keys_open, data_key, identities, run_blocking
from sarraf.store.identity_sealing import ALREADY_DIGESTED, FIELD, LOOKUP_SECRET, lookup_value
from sarraf.store.sealing import DataKeys, is_sealed

BATCH = 1000
MISSING_KEYS = (
    "platform addresses must be converted with the gateway's keys (each gets the keyed hash its "
    "channel identity is found by): run `sarraf serve` (or `sarraf keys ...`) with SARRAF_HOME "
    "pointing at the keys, which migrates the database itself"
)


@dataclass(frozen=True)
class AddressColumn:
    table: str
    keys: tuple[str, ...]  # the primary key, by which each row is rewritten
    address: str = "sender"
    channel: str | None = "channel"  # None: the table is about one channel, `fixed`
    fixed: str = ""

    def columns(self) -> list[str]:
        return list(dict.fromkeys([*self.keys, self.address, *([self.channel] if self.channel else [])]))

    def table_clause(self) -> sa.TableClause:
        return sa.table(self.table, *(sa.column(name) for name in self.columns()))


ADDRESSES = (
    AddressColumn("alert_outbox", ("id",)),
    AddressColumn("alert_preferences", ("tenant", "customer_id")),
    AddressColumn("alert_fraud_cases", ("tenant", "event_id")),
    AddressColumn("alexa_pending_messages", ("id",), channel=None, fixed="alexa"),
    AddressColumn("console_claims", ("tenant", "channel", "sender")),
    AddressColumn("console_transcript", ("id",)),
    AddressColumn("console_satisfaction", ("id",)),
    AddressColumn("handoff_requests", ("id",)),
    AddressColumn("payments", ("payment_id",)),
    AddressColumn("held_actions", ("id",)),
    AddressColumn(
        "messenger_thread_owners", ("tenant", "customer"), address="customer", channel=None, fixed="messenger"
    ),
)


def _rows(conn: Connection, spec: AddressColumn) -> Iterator[tuple[dict[str, str], str, str]]:
    """Each row's key values, channel and stored address, for rows that name one."""
    t = spec.table_clause()
    for row in conn.execute(sa.select(t).where(t.c[spec.address].is_not(None))).mappings().all():
        channel = row[spec.channel] if spec.channel else spec.fixed
        if channel and channel not in ALREADY_DIGESTED:
            yield {f"k_{name}": row[name] for name in spec.keys}, str(channel), str(row[spec.address])


def _rewrite(conn: Connection, spec: AddressColumn, changes: list[dict[str, str]]) -> None:
    t = spec.table_clause()
    statement = (
        sa.update(t)
        .where(*(t.c[name] == sa.bindparam(f"k_{name}") for name in spec.keys))
        .values({spec.address: sa.bindparam("v_address")})
    )
    for start in range(0, len(changes), BATCH):
        conn.execute(statement, changes[start : start + BATCH])


cases = sa.table(
    "alert_fraud_cases",
    sa.column("tenant"),
    sa.column("event_id"),
    sa.column("customer_id"),
    sa.column("data", sa.JSON),
)


def refuse_without_keys(conn: Connection, keys: KeyProvider | None) -> None:
    """Before any change: addresses and case data to convert need the gateway's keys."""
    if keys is None and (
        any(not is_stored(address) for spec in ADDRESSES for _, _, address in _rows(conn, spec))
        or conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar()
    ):
        raise RuntimeError(MISSING_KEYS)


def _seal_case_data(conn: Connection, keys: KeyProvider, *, opening: bool = False) -> None:
    """Each fraud case's event data sealed with its customer's key (`opening`: back in clear, the downgrade)."""
    unwrapped: dict[str, bytes] = {}
    for case in conn.execute(sa.select(cases)).all():
        if is_sealed(case.data) != opening:
            continue
        owner = case.customer_id
        sealed = DataKeys({owner: data_key(conn, keys, owner, unwrapped)})
        data = sealed.open(CASE_DATA, case.data) if opening else sealed.seal(owner, CASE_DATA, case.data)
        conn.execute(
            sa.update(cases).where(cases.c.tenant == case.tenant, cases.c.event_id == case.event_id).values(data=data)
        )


def hash_clear_addresses(conn: Connection, keys: KeyProvider | None) -> int:
    """Every address still in clear replaced by its keyed hash; how many rows changed."""
    if keys is None:
        return 0  # refuse_without_keys found nothing to convert
    check_keys_open(conn, keys)
    _seal_case_data(conn, keys)
    secret = run_blocking(keys.secret(LOOKUP_SECRET))
    changed = 0
    for spec in ADDRESSES:
        changes = [
            {**key, "v_address": lookup_value(secret, channel, address)}
            for key, channel, address in _rows(conn, spec)
            if not is_stored(address)
        ]
        _rewrite(conn, spec, changes)
        changed += len(changes)
    return changed


def open_hashed_addresses(conn: Connection, keys: KeyProvider | None) -> None:
    """The downgrade: each hash back to the address its identity holds; rows without an identity deleted."""
    pending = [(spec, list(_rows(conn, spec))) for spec in ADDRESSES]
    if keys is None and (
        any(rows for _, rows in pending) or conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar()
    ):
        raise RuntimeError(MISSING_KEYS)
    if keys is not None:
        _seal_case_data(conn, keys, opening=True)
    by_hash = _opened_identities(conn, keys) if keys is not None else {}
    for spec, rows in pending:
        changes = [
            {**key, "v_address": by_hash[(channel, address)]}
            for key, channel, address in rows
            if (channel, address) in by_hash
        ]
        gone = [key for key, channel, address in rows if (channel, address) not in by_hash and is_stored(address)]
        _rewrite(conn, spec, changes)
        t = spec.table_clause()
        for key in gone:
            conn.execute(sa.delete(t).where(*(t.c[name] == key[f"k_{name}"] for name in spec.keys)))


def _opened_identities(conn: Connection, keys: KeyProvider) -> dict[tuple[str, str], str]:
    """(channel, keyed hash) -> platform id, for every identity (opened with its customer's data key)."""
    wrapped_keys = sa.table("data_keys", sa.column("owner"), sa.column("key_id"), sa.column("wrapped"))
    opened: dict[tuple[str, str], str] = {}
    unwrapped: dict[str, bytes] = {}
    for row in conn.execute(
        sa.select(identities.c.channel, identities.c.sender, identities.c.customer_id, identities.c.sender_sealed)
    ).all():
        if row.customer_id not in unwrapped:
            found = conn.execute(
                sa.select(wrapped_keys.c.key_id, wrapped_keys.c.wrapped).where(wrapped_keys.c.owner == row.customer_id)
            ).first()
            if found is None:
                continue  # shredded: the identity's id is gone with the key
            unwrapped[row.customer_id] = run_blocking(
                keys.unwrap(WrappedKey(found.key_id, bytes(found.wrapped)), row.customer_id.encode())
            )
        key = unwrapped[row.customer_id]
        opened[(row.channel, row.sender)] = open_with(key, row.customer_id, FIELD, bytes(row.sender_sealed)).decode()
    return opened
