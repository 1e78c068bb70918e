"""Who is talking: channel identities mapped to our own opaque customer ids.

An identity is stored as a keyed hash plus the platform id sealed with the customer's data key
(store/identity_sealing.py): incoming ids are found by their hash, delivery opens the sealed id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.identity_sealing import IdentityCodec, opened
from sarraf.store.tables.core import channel_identities, customers

# Every turn starts here: built once (issue #15)
_FIND = (
    select(customers.c.id, customers.c.tenant, customers.c.lang)
    .join(channel_identities, channel_identities.c.customer_id == customers.c.id)
    .where(channel_identities.c.tenant == bindparam("tenant"), channel_identities.c.channel == bindparam("channel"),
           channel_identities.c.sender == bindparam("lookup"))
)


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    tenant: str
    lang: str | None


class SqlCustomers:
    def __init__(self, engine: AsyncEngine, identities: IdentityCodec) -> None:
        self._engine = engine
        self._codec = identities

    async def identify(self, tenant: str, channel: str, sender: str) -> CustomerRecord:
        """The customer behind a channel identity, created on first contact (race-safe)."""
        lookup = await self._codec.lookup(channel, sender)
        found = await self._find(tenant, channel, lookup)
        if found:
            return found
        customer_id = uuid.uuid4().hex
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(customers).values(id=customer_id, tenant=tenant, lang=None, created_at=datetime.now(UTC))
                )
                await conn.execute(insert(channel_identities).values(
                    tenant=tenant, channel=channel, sender=lookup, customer_id=customer_id,
                    sender_sealed=await self._codec.seal(conn, customer_id, sender)))
        except IntegrityError:
            pass  # another request created the identity first; use theirs
        found = await self._find(tenant, channel, lookup)
        assert found is not None
        return found

    async def bind(self, tenant: str, channel: str, sender: str, customer_id: str) -> None:
        """Make a channel identity name an existing customer (a platform linked it to them, e.g. Alexa's
        account linking); an identity that named someone else before now names this customer, its id sealed
        again with this customer's key."""
        lookup = await self._codec.lookup(channel, sender)
        key = (channel_identities.c.tenant == tenant, channel_identities.c.channel == channel,
               channel_identities.c.sender == lookup)
        async with self._engine.begin() as conn:
            current = (await conn.execute(select(channel_identities.c.customer_id).where(*key))).first()
            if current is not None:
                if current.customer_id != customer_id:
                    await conn.execute(update(channel_identities).where(*key).values(
                        customer_id=customer_id, sender_sealed=await self._codec.seal(conn, customer_id, sender)))
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(channel_identities).values(
                    tenant=tenant, channel=channel, sender=lookup, customer_id=customer_id,
                    sender_sealed=await self._codec.seal(conn, customer_id, sender)))
        except IntegrityError:  # a concurrent first request created the identity; point it here
            async with self._engine.begin() as conn:
                await conn.execute(update(channel_identities).where(*key).values(
                    customer_id=customer_id, sender_sealed=await self._codec.seal(conn, customer_id, sender)))

    async def _find(self, tenant: str, channel: str, lookup: str) -> CustomerRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_FIND, {"tenant": tenant, "channel": channel, "lookup": lookup})).first()
        return CustomerRecord(row.id, row.tenant, row.lang) if row else None

    async def lookup_of(self, channel: str, sender: str) -> str:
        """What `channel_identities.sender` holds for this platform id."""
        return await self._codec.lookup(channel, sender)

    async def set_lang(self, customer_id: str, lang: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(customers).where(customers.c.id == customer_id).values(lang=lang))

    async def identities(self, customer_id: str) -> list[tuple[str, str]]:
        """The customer's channels and their platform ids, to deliver to (the sealed ids opened), in the order
        they were first seen (housekeeping names each reminder by its place here)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(channel_identities.c.channel, channel_identities.c.sender_sealed).where(
                    channel_identities.c.customer_id == customer_id
                ).order_by(channel_identities.c.id)  # oldest first: a later one never shifts the others' place
            )).all()
            keys = await self._codec.keys(conn, [customer_id] if rows else [])
        return [(r.channel, opened(keys, customer_id, r.sender_sealed)) for r in rows]

    async def lang_of(self, customer_id: str) -> str | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(customers.c.lang).where(customers.c.id == customer_id))).first()
        return row.lang if row else None
