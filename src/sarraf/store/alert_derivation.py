"""What alert derivation remembers per account (table alert_derivation_memory): see alerts/derive.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.derive import Memory
from sarraf.alerts.standard_ports import Remembered
from sarraf.store.channel_state import utc
from sarraf.store.tables.alerts import alert_derivation_memory
from sarraf.store.tables.core import bank_links

_M = alert_derivation_memory.c


class SqlDerivationMemory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def recall(self, tenant: str, account_id: str) -> Remembered | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_M.customer_id, _M.memory, _M.last_booking_at)
                                      .where(_M.tenant == tenant, _M.account_id == account_id))).first()
        if row is None:
            return None
        return Remembered(row.customer_id, Memory.from_json(dict(row.memory)),
                          utc(row.last_booking_at) if row.last_booking_at else None)

    async def keep_many(self, kept: Mapping[tuple[str, str], Remembered], now: datetime) -> None:
        async with self._engine.begin() as conn:
            for (tenant, account_id), remembered in kept.items():
                values = {"customer_id": remembered.customer_id, "memory": remembered.memory.to_json(),
                          "last_booking_at": remembered.last_booking_at, "updated_at": now}
                where = (_M.tenant == tenant, _M.account_id == account_id)
                changed = await conn.execute(update(alert_derivation_memory).where(*where).values(**values))
                if changed.rowcount:
                    continue
                try:
                    async with conn.begin_nested():
                        await conn.execute(insert(alert_derivation_memory)
                                           .values(tenant=tenant, account_id=account_id, **values))
                except IntegrityError:  # another process wrote it first: ours is as new (routing is single-flight)
                    await conn.execute(update(alert_derivation_memory).where(*where).values(**values))

    async def forget_customer(self, tenant: str, customer_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(alert_derivation_memory)
                               .where(_M.tenant == tenant, _M.customer_id == customer_id))


async def linked_consents(engine: AsyncEngine, tenant: str) -> list[str]:
    """The consent ids of this bank's customers whose link stands (AUTH, tokens held): what AIS polling reads."""
    c = bank_links.c
    async with engine.connect() as conn:
        rows = await conn.execute(select(c.consent_id).where(c.tenant == tenant, c.status == "AUTH",
                                                             c.tokens_sealed.is_not(None)).order_by(c.consent_id))
        return [r.consent_id for r in rows]
