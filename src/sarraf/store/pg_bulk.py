"""PostgreSQL: a routing batch's writes as one statement each, the rows passed as arrays and joined with
``unnest``.

An executemany of 250 UPDATEs is 250 executions on the server (bind, execute, index upkeep each: ~18 µs
a row here) and, on our side, SQLAlchemy processing 250 parameter sets. The same holds for the audit leaves
a routing batch appends. One UPDATE … FROM unnest(…) does the
same work in one execution with the rows sent as eleven arrays, which asyncpg encodes in C. SQLite runs
executemany in-process, where a row costs a few microseconds, so it keeps the portable statements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Integer, LargeBinary, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.policy.audit import StoredLeaf

_ROUTED = text("""
    UPDATE alert_outbox AS o SET
        status = v.status, customer_id = v.customer_id, channel = v.channel, sender = v.sender,
        messages = v.messages::json, lane = v.lane, last_error = v.last_error, attempts = v.attempts,
        sent_at = v.sent_at, available_at = coalesce(v.available_at, o.available_at)
    FROM unnest(:ids, :statuses, :customers, :channels, :senders, :messages, :lanes, :errors, :attempts,
                :sent, :available)
        AS v(id, status, customer_id, channel, sender, messages, lane, last_error, attempts, sent_at, available_at)
    WHERE o.id = v.id AND o.status = 'received'
""").bindparams(
    bindparam("ids", type_=ARRAY(Integer)), bindparam("statuses", type_=ARRAY(Text)),
    bindparam("customers", type_=ARRAY(Text)), bindparam("channels", type_=ARRAY(Text)),
    bindparam("senders", type_=ARRAY(Text)), bindparam("messages", type_=ARRAY(Text)),
    bindparam("lanes", type_=ARRAY(Text)), bindparam("errors", type_=ARRAY(Text)),
    bindparam("attempts", type_=ARRAY(Integer)), bindparam("sent", type_=ARRAY(DateTime(timezone=True))),
    bindparam("available", type_=ARRAY(DateTime(timezone=True))),
)

_HANDED_OVER = text("""
    INSERT INTO channel_outbox (channel, sender, payload, created_at)
    SELECT v.channel, v.sender, v.payload::json, :created_at
    FROM unnest(:channels, :senders, :payloads) WITH ORDINALITY AS v(channel, sender, payload, n) ORDER BY v.n
""").bindparams(
    bindparam("channels", type_=ARRAY(Text)), bindparam("senders", type_=ARRAY(Text)),
    bindparam("payloads", type_=ARRAY(Text)), bindparam("created_at", type_=DateTime(timezone=True)),
)


async def update_routed(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """`rows` as SqlAlertOutbox.routed builds them (keys b_id, b_status, …), one per routed event."""
    await conn.execute(_ROUTED, {
        "ids": [r["b_id"] for r in rows], "statuses": [r["b_status"] for r in rows],
        "customers": [r["b_customer"] for r in rows], "channels": [r["b_channel"] for r in rows],
        "senders": [r["b_sender"] for r in rows],
        "messages": [None if r["b_messages"] is None else json.dumps(r["b_messages"]) for r in rows],
        "lanes": [r["b_lane"] for r in rows], "errors": [r["b_error"] for r in rows],
        "attempts": [r["b_attempts"] for r in rows], "sent": [r["b_sent"] for r in rows],
        "available": [r["b_available"] for r in rows],
    })


async def insert_handed_over(conn: AsyncConnection, payloads: Sequence[dict[str, Any]], created_at: datetime) -> None:
    """Pull-channel payloads, inserted in order (the web chat reads them by id)."""
    await conn.execute(_HANDED_OVER, {
        "channels": [p["channel"] for p in payloads], "senders": [p["sender"] for p in payloads],
        "payloads": [json.dumps(p["payload"]) for p in payloads], "created_at": created_at,
    })


_AUDIT_LEAVES = text("INSERT INTO audit_leaves (idx, data, leaf_hash) SELECT * FROM unnest(:idx, :data, :hashes)"
                     ).bindparams(bindparam("idx", type_=ARRAY(BigInteger)), bindparam("data", type_=ARRAY(Text)),
                                  bindparam("hashes", type_=ARRAY(LargeBinary)))


async def insert_audit_leaves(conn: AsyncConnection, leaves: Sequence[StoredLeaf]) -> None:
    await conn.execute(_AUDIT_LEAVES, {"idx": [leaf.index for leaf in leaves],
                                       "data": [leaf.data.decode("utf-8") for leaf in leaves],
                                       "hashes": [leaf.hash for leaf in leaves]})


_RECEIVED = text("""
    INSERT INTO alert_outbox (tenant, event_id, kind, consent_id, stream, occurred_at, received_at, data, status,
                              lane, attempts, available_at)
    SELECT v.tenant, v.event_id, v.kind, v.consent_id, v.stream, v.occurred_at, :now, v.data::json, 'received',
           v.lane, 0, :now
    FROM unnest(:tenants, :event_ids, :kinds, :consents, :streams, :occurred, :data, :lanes) WITH ORDINALITY
        AS v(tenant, event_id, kind, consent_id, stream, occurred_at, data, lane, n)
    ORDER BY v.n
    ON CONFLICT (tenant, event_id) DO NOTHING
    RETURNING tenant, event_id
""").bindparams(
    bindparam("tenants", type_=ARRAY(Text)), bindparam("event_ids", type_=ARRAY(Text)),
    bindparam("kinds", type_=ARRAY(Text)), bindparam("consents", type_=ARRAY(Text)),
    bindparam("streams", type_=ARRAY(Text)), bindparam("occurred", type_=ARRAY(DateTime(timezone=True))),
    bindparam("data", type_=ARRAY(Text)), bindparam("lanes", type_=ARRAY(Text)),
    bindparam("now", type_=DateTime(timezone=True)),
)


async def insert_received(conn: AsyncConnection, rows: Sequence[dict[str, Any]], now: datetime) -> set[tuple[str, str]]:
    """Accepted events in their order (ids follow it: routing goes by id); returns the (tenant, event id) pairs
    inserted, the others being already held."""
    result = await conn.execute(_RECEIVED, {
        "tenants": [r["tenant"] for r in rows], "event_ids": [r["event_id"] for r in rows],
        "kinds": [r["kind"] for r in rows], "consents": [r["consent_id"] for r in rows],
        "streams": [r["stream"] for r in rows], "occurred": [r["occurred_at"] for r in rows],
        "data": [json.dumps(r["data"]) for r in rows], "lanes": [r["lane"] for r in rows], "now": now,
    })
    return {(tenant, event_id) for tenant, event_id in result}
