"""The conversation context store: one small JSON state per (bank, customer, channel) with an expiry.

An expired state reads as none, so a "yes" hours later never answers a question nobody remembers asking.
Writes replace the row in one transaction (delete then insert), which SQLite and PostgreSQL both do the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.channel_state import utc
from sarraf.store.tables.conversation import conversation_context as table


class SqlConversationContext:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @staticmethod
    def _key(tenant: str, customer_id: str, channel: str) -> tuple[Any, ...]:
        return table.c.tenant == tenant, table.c.customer_id == customer_id, table.c.channel == channel

    async def recall(self, tenant: str, customer_id: str, channel: str, now: datetime) -> dict[str, Any]:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                select(table.c.state, table.c.expires_at).where(*self._key(tenant, customer_id, channel)))).first()
        if row is None or utc(row.expires_at) <= now:
            return {}
        return dict(row.state)

    async def remember(self, tenant: str, customer_id: str, channel: str, state: dict[str, Any],
                       expires_at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(table).where(*self._key(tenant, customer_id, channel)))
            if state:
                await conn.execute(insert(table).values(tenant=tenant, customer_id=customer_id, channel=channel,
                                                        state=state, expires_at=expires_at))

    async def prune(self, before: datetime) -> int:
        """Housekeeping: drop contexts that expired before `before`."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(table).where(table.c.expires_at < before))
            return int(result.rowcount or 0)
