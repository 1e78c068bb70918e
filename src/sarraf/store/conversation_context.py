"""The conversation context store: one small JSON state per (bank, customer, channel) with an expiry.

An expired state reads as none, so a "yes" hours later never answers a question nobody remembers asking.
A write replaces the row in one statement (an upsert, SQLite and PostgreSQL alike); an empty state deletes it.
The statements are built once: a turn reads the context and most turns write it (issue #15).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.channel_state import utc
from sarraf.store.tables.conversation import conversation_context as table

_KEY = (table.c.tenant == bindparam("key_tenant"), table.c.customer_id == bindparam("key_customer"),
        table.c.channel == bindparam("key_channel"))
_RECALL = select(table.c.state, table.c.expires_at).where(*_KEY)
_FORGET = delete(table).where(*_KEY)


def _key(tenant: str, customer_id: str, channel: str) -> dict[str, str]:
    return {"key_tenant": tenant, "key_customer": customer_id, "key_channel": channel}


class SqlConversationContext:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        upsert = (pg_insert if engine.dialect.name == "postgresql" else sqlite_insert)(table)
        self._replace = upsert.on_conflict_do_update(
            index_elements=[table.c.tenant, table.c.customer_id, table.c.channel],
            set_={"state": upsert.excluded.state, "expires_at": upsert.excluded.expires_at})

    async def recall(self, tenant: str, customer_id: str, channel: str, now: datetime) -> dict[str, Any]:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_RECALL, _key(tenant, customer_id, channel))).first()
        if row is None or utc(row.expires_at) <= now:
            return {}
        return dict(row.state)

    async def remember(self, tenant: str, customer_id: str, channel: str, state: dict[str, Any],
                       expires_at: datetime) -> None:
        async with self._engine.begin() as conn:
            if state:
                await conn.execute(self._replace, {"tenant": tenant, "customer_id": customer_id, "channel": channel,
                                                   "state": state, "expires_at": expires_at})
            else:
                await conn.execute(_FORGET, _key(tenant, customer_id, channel))

    async def prune(self, before: datetime) -> int:
        """Housekeeping: drop contexts that expired before `before`."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(table).where(table.c.expires_at < before))
            return int(result.rowcount or 0)
