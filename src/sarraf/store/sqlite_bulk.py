"""SQLite: a routing round's row-per-event writes through the driver's executemany, parameters as tuples.

SQLAlchemy's executemany turns every row's dict into parameters through each column's processors; for a
routing round that was ~8 % of the worker's CPU (py-spy, bench/alerts.py). Here the few conversions are done
by hand, exactly as SQLAlchemy's SQLite types store them: JSON as `json.dumps` text and a DateTime as its
UTC wall-clock time in SQLAlchemy's storage format, so the rows read back through the tables as before
(tests/alerts and tests/store read them through SQLAlchemy). PostgreSQL has store/pg_bulk.py instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.policy.audit import StoredLeaf

_ROUTED = (
    "UPDATE alert_outbox SET status = ?, customer_id = ?, channel = ?, sender = ?, messages = ?, lane = ?, "
    "last_error = ?, attempts = ?, sent_at = ?, available_at = coalesce(?, available_at) "
    "WHERE id = ? AND status = 'received'"
)
_HANDED_OVER = "INSERT INTO channel_outbox (channel, sender, payload, created_at) VALUES (?, ?, ?, ?)"
_AUDIT_LEAVES = "INSERT INTO audit_leaves (idx, data, leaf_hash) VALUES (?, ?, ?)"


def stored_datetime(value: datetime | None) -> str | None:
    """As SQLAlchemy's SQLite DATETIME stores it (its default storage format), in UTC."""
    if value is None:
        return None
    value = value.astimezone(UTC) if value.tzinfo else value
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


async def update_routed(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """`rows` as SqlAlertOutbox.routed builds them (keys b_id, b_status, …), one per routed event."""
    await conn.exec_driver_sql(_ROUTED, [(
        r["b_status"], r["b_customer"], r["b_channel"], r["b_sender"], _json(r["b_messages"]), r["b_lane"],
        r["b_error"], r["b_attempts"], stored_datetime(r["b_sent"]), stored_datetime(r["b_available"]), r["b_id"],
    ) for r in rows])


async def insert_handed_over(conn: AsyncConnection, payloads: Sequence[dict[str, Any]], created_at: datetime) -> None:
    stamp = stored_datetime(created_at)
    await conn.exec_driver_sql(_HANDED_OVER, [(p["channel"], p["sender"], json.dumps(p["payload"]), stamp)
                                              for p in payloads])


async def insert_audit_leaves(conn: AsyncConnection, leaves: Sequence[StoredLeaf]) -> None:
    await conn.exec_driver_sql(_AUDIT_LEAVES, [(leaf.index, leaf.data.decode("utf-8"), leaf.hash) for leaf in leaves])
