"""Who is talking: channel identities mapped to our own opaque customer ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.tables.core import channel_identities, customers


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    tenant: str
    lang: str | None


class SqlCustomers:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def identify(self, tenant: str, channel: str, sender: str) -> CustomerRecord:
        """The customer behind a channel identity, created on first contact (race-safe)."""
        found = await self._find(tenant, channel, sender)
        if found:
            return found
        customer_id = uuid.uuid4().hex
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(customers).values(id=customer_id, tenant=tenant, lang=None, created_at=datetime.now(UTC))
                )
                await conn.execute(
                    insert(channel_identities).values(
                        tenant=tenant, channel=channel, sender=sender, customer_id=customer_id
                    )
                )
        except IntegrityError:
            pass  # another request created the identity first; use theirs
        found = await self._find(tenant, channel, sender)
        assert found is not None
        return found

    async def bind(self, tenant: str, channel: str, sender: str, customer_id: str) -> None:
        """Make a channel identity name an existing customer (a platform linked it to them, e.g. Alexa's
        account linking); an identity that named someone else before now names this customer."""
        key = (channel_identities.c.tenant == tenant, channel_identities.c.channel == channel,
               channel_identities.c.sender == sender)
        async with self._engine.begin() as conn:
            current = (await conn.execute(select(channel_identities.c.customer_id).where(*key))).first()
            if current is not None:
                if current.customer_id != customer_id:
                    await conn.execute(update(channel_identities).where(*key).values(customer_id=customer_id))
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(channel_identities).values(
                    tenant=tenant, channel=channel, sender=sender, customer_id=customer_id))
        except IntegrityError:  # a concurrent first request created the identity; point it here
            async with self._engine.begin() as conn:
                await conn.execute(update(channel_identities).where(*key).values(customer_id=customer_id))

    async def _find(self, tenant: str, channel: str, sender: str) -> CustomerRecord | None:
        query = (
            select(customers.c.id, customers.c.tenant, customers.c.lang)
            .join(channel_identities, channel_identities.c.customer_id == customers.c.id)
            .where(
                channel_identities.c.tenant == tenant,
                channel_identities.c.channel == channel,
                channel_identities.c.sender == sender,
            )
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return CustomerRecord(row.id, row.tenant, row.lang) if row else None

    async def set_lang(self, customer_id: str, lang: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(customers).where(customers.c.id == customer_id).values(lang=lang))

    async def identities(self, customer_id: str) -> list[tuple[str, str]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(channel_identities.c.channel, channel_identities.c.sender).where(
                    channel_identities.c.customer_id == customer_id
                )
            )
            return [(r.channel, r.sender) for r in rows]

    async def lang_of(self, customer_id: str) -> str | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(customers.c.lang).where(customers.c.id == customer_id))).first()
        return row.lang if row else None
