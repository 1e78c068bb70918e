"""Writing messages outside a turn into the alert outbox (alerts/outbound.py, through
`SqlAlertOutbox.enqueue_messages`), in the outbox's own transaction.

Each message is a row under its own id: an id already present adds nothing (a repeated request). A pull
channel's message (one carrying `handed_over`) goes into the chat's outbox in the same commit when nothing older
waits in its customer's lane, so it is there at once and exactly once; every other row stays ready for the
delivery worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.alerts.ports import Routed
from sarraf.store import outbox_sealing as sealing
from sarraf.store.address_sealing import Addresses
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_outbox

# A literal, not a bound parameter, so the planners can use the partial index over ready rows (tables/alerts.py).
READY: Any = literal_column("'ready'")
Added = list[tuple[str, bool]]  # each new row's id, and whether it was left ready for the delivery worker
HandOver = Callable[[AsyncConnection, Sequence[dict[str, Any]], datetime], Awaitable[None]]


async def write(conn: AsyncConnection, sealer: JsonSealer, addresses: Addresses, hand_over: HandOver, tenant: str,
                kind: str, rows: Sequence[tuple[str, Routed]], *, postgres: bool) -> Added:
    """Returns the id of each row added, and whether it was left ready for the delivery worker."""
    now = datetime.now(UTC)
    dialect_insert = pg_insert if postgres else sqlite_insert
    added: Added = []
    t = alert_outbox.c
    keys = await sealer.keys(conn, {r.customer_id for _, r in rows if r.customer_id}, create=True)
    for event_id, r in rows:
        owner = r.customer_id
        row_id = (await conn.execute(dialect_insert(alert_outbox).values(
            tenant=tenant, event_id=event_id, kind=kind, consent_id="", stream=None, occurred_at=now,
            received_at=now, data={}, status="ready", lane=r.lane, customer_id=owner, channel=r.channel,
            sender=await addresses.stored_if(r.channel, r.sender),
            messages=sealing.sealed_messages(keys, owner, r.messages), attempts=0,
            available_at=r.available_at or now,
        ).on_conflict_do_nothing(index_elements=["tenant", "event_id"]).returning(t.id))).scalar()
        if row_id is None:
            continue  # accepted before (a repeated request): told once
        # Inserted first, read second: on SQLite the insert took the write lock, so no writer can make an older
        # row of this lane ready between this read and the commit.
        older = r.handed_over is None or bool((await conn.execute(select(exists().where(
            t.customer_id == owner, t.lane == r.lane, t.status == READY, t.id < row_id)))).scalar())
        added.append((event_id, older))
        if older:
            continue
        await conn.execute(update(alert_outbox).where(t.id == row_id).values(status="sent", sent_at=now, attempts=1))
        await hand_over(conn, [{"channel": r.channel, "sender": r.sender, "payload": payload, "owner": owner}
                               for payload in r.handed_over or ()], now)
    return added
