"""The alert dead letters (table alert_dead_letters): what could never be sent, with the reason.

Delivery puts a message here after its last attempt (store/alerts_outbox.py `_finish`); routing puts a
poisoned record here at once (its own data makes it fail, so no retry could help), in the routing
transaction, and goes on with everyone else's events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Text, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sarraf.alerts.ports import Routed
from sarraf.store.tables.alerts import alert_dead_letters, alert_outbox

_T = alert_outbox.c
_AT_ROUTING = insert(alert_dead_letters).from_select(
    ["outbox_id", "tenant", "event_id", "customer_id", "channel", "attempts", "reason", "created_at"],
    select(_T.id, _T.tenant, _T.event_id, _T.customer_id, _T.channel, _T.attempts,
           bindparam("why", type_=Text), bindparam("at", type_=DateTime(timezone=True)))
    .where(_T.id == bindparam("row")))


@dataclass(frozen=True, slots=True)
class DeadLetter:
    outbox_id: int
    tenant: str
    event_id: str
    customer_id: str | None
    reason: str


async def at_routing(conn: AsyncConnection, dead: Sequence[Routed], now: datetime) -> None:
    """Routing's poisoned records, in the caller's (routing) transaction, after their rows were marked dead:
    one INSERT … SELECT each (rare), tenant and event id taken from the outbox row."""
    if dead:
        await conn.execute(_AT_ROUTING, [{"row": r.row_id, "why": r.reason[:2000], "at": now} for r in dead])


async def listed(engine: AsyncEngine, limit: int = 1000) -> list[DeadLetter]:
    """The dead letters, oldest first (operations and tests)."""
    c = alert_dead_letters.c
    async with engine.connect() as conn:
        rows = await conn.execute(select(c.outbox_id, c.tenant, c.event_id, c.customer_id, c.reason)
                                  .order_by(c.id).limit(limit))
        return [DeadLetter(*row) for row in rows]
