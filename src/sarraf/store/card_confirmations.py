"""Card blocks offered in chat and waiting for the customer's yes (conversation/flows/cards.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.domain.events import CardAction, PendingBlock
from sarraf.store.channel_state import utc
from sarraf.store.tables.alerts import card_confirmations


class SqlCardConfirmations:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def offer(self, tenant: str, customer_id: str, pending: PendingBlock, now: datetime) -> None:
        """Remember the offer, replacing any earlier one of the customer's; expired offers are swept here."""
        c = card_confirmations.c
        async with self._engine.begin() as conn:
            await conn.execute(delete(card_confirmations).where(c.expires_at < now))
            await conn.execute(delete(card_confirmations).where(c.tenant == tenant, c.customer_id == customer_id))
            await conn.execute(insert(card_confirmations).values(
                tenant=tenant, customer_id=customer_id, action=pending.action.value, card_id=pending.card_id,
                last4=pending.last4, expires_at=pending.expires_at))

    async def take(self, tenant: str, customer_id: str, now: datetime) -> PendingBlock | None:
        """The customer's offer, removed so one yes acts once; None when there is none or it expired."""
        key = (card_confirmations.c.tenant == tenant, card_confirmations.c.customer_id == customer_id)
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(card_confirmations).where(*key))).first()
            if row is None:
                return None
            taken = await conn.execute(delete(card_confirmations).where(*key))
            if taken.rowcount != 1:  # a concurrent answer took it first
                return None
        expires_at = utc(row.expires_at)
        if expires_at <= now:
            return None
        return PendingBlock(CardAction(row.action), row.card_id, row.last4, expires_at)
