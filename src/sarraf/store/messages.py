"""Idempotency keys for inbound messages and the outbox of replies that pull-based channels collect.

A reply waiting for its chat can hold bank data (a balance, an alert's merchant and amount): it is sealed with
the customer's data key (store/sealing.py), so it is unreadable at rest and erased with the key."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.address_sealing import Addresses
from sarraf.store.channel_state import utc
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.outbox_sealing import CHAT_MESSAGE  # alerts handed over land here too
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.core import channel_identities, channel_outbox, handoff_requests, processed_messages

# the ids a turn running under `SqlMessageLog.answered_after` saw for the first time, recorded when it ends
_DEFERRED: ContextVar[list[tuple[str, str]] | None] = ContextVar("sarraf_deferred_message_ids", default=None)


# Built once: every turn looks its message id up and records it (issue #15)
_SEEN = select(processed_messages.c.message_id).where(
    processed_messages.c.channel == bindparam("channel"), processed_messages.c.message_id == bindparam("message_id"))
_RECORD = insert(processed_messages)


class SqlMessageLog:
    def __init__(self, engine: AsyncEngine, sealer: JsonSealer, identities: IdentityCodec) -> None:
        self._engine = engine
        self._sealer = sealer
        self._identities = identities

    async def first_time(self, channel: str, message_id: str) -> bool:
        """Record the message id; False when it was already seen (a platform retry or a replay).

        Inside `answered_after` (a turn holding its conversation's lock) the id is only looked up here, and
        recorded once the turn's replies are out: a process dying mid-turn leaves it unrecorded, so the
        platform's re-delivery is answered (by another process) instead of lost."""
        deferred = _DEFERRED.get()
        if deferred is not None:
            async with self._engine.connect() as conn:
                seen = (await conn.execute(_SEEN, {"channel": channel, "message_id": message_id})).first()
            if seen is None:
                deferred.append((channel, message_id))
            return seen is None
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(processed_messages).values(
                        channel=channel, message_id=message_id, created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            return False
        return True

    @asynccontextmanager
    async def answered_after(self) -> AsyncIterator[None]:
        """Message ids first seen inside this block are recorded when it ends (answered, or failed in a way
        the platform is not asked to repeat). Only for turns serialised per conversation (store/turn_locks.py):
        the lock is what stops a concurrent re-delivery from being answered twice meanwhile."""
        deferred: list[tuple[str, str]] = []
        token = _DEFERRED.set(deferred)
        try:
            yield
        finally:
            _DEFERRED.reset(token)
            for channel, message_id in deferred:
                with contextlib.suppress(IntegrityError):
                    async with self._engine.begin() as conn:
                        await conn.execute(_RECORD, {"channel": channel, "message_id": message_id,
                                                     "created_at": datetime.now(UTC)})

    async def push(self, channel: str, sender: str, payload: dict[str, Any]) -> int:
        lookup = await self._identities.lookup(channel, sender)
        async with self._engine.begin() as conn:
            owner = (await conn.execute(select(channel_identities.c.customer_id).where(
                channel_identities.c.channel == channel, channel_identities.c.sender == lookup).limit(1))).scalar()
            # Every chat that is pushed to has written first, so it has a customer; the address is a last resort.
            owner = owner or f"chat:{channel}:{sender}"
            keys = await self._sealer.keys(conn, [owner], create=True)
            result = await conn.execute(
                insert(channel_outbox).values(
                    channel=channel, sender=sender, payload=keys.seal(owner, CHAT_MESSAGE, payload),
                    created_at=datetime.now(UTC),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    async def collect(self, channel: str, sender: str, after: int = 0
                      ) -> tuple[list[tuple[int, dict[str, Any]]], datetime | None]:
        """Messages after the cursor, and when the newest of them was written (None when there are none);
        those up to the cursor were received, so they are deleted (data minimisation).

        The page polls every second or two: the read needs no write lock, and the delete runs only when
        there is something acknowledged to delete.
        """
        mine = (channel_outbox.c.channel == channel) & (channel_outbox.c.sender == sender)
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(channel_outbox.c.id, channel_outbox.c.payload, channel_outbox.c.created_at)
                    .where(mine, channel_outbox.c.id > after)
                    .order_by(channel_outbox.c.id)
                    .limit(200)
                )
            ).all()
            acknowledged = after and (
                await conn.execute(select(channel_outbox.c.id).where(mine, channel_outbox.c.id <= after).limit(1))
            ).first()
            keys = await self._sealer.keys(conn, {r.payload["owner"] for r in rows
                                                  if isinstance(r.payload, dict) and "owner" in r.payload})
        if acknowledged:
            async with self._engine.begin() as conn:
                await conn.execute(delete(channel_outbox).where(mine, channel_outbox.c.id <= after))
        return [(r.id, keys.open(CHAT_MESSAGE, r.payload)) for r in rows], utc(rows[-1].created_at) if rows else None


class SqlHandoffs:
    """Requests for a person, naming the conversation by the keyed hash of its address (store/address_sealing.py);
    the console opens it from the customer's identity."""

    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def request(self, tenant: str, customer_id: str, channel: str, sender: str, reason: str) -> None:
        sender = await self._addresses.stored(channel, sender)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(handoff_requests).values(
                    tenant=tenant,
                    customer_id=customer_id,
                    channel=channel,
                    sender=sender,
                    reason=reason[:64],
                    created_at=datetime.now(UTC),
                )
            )
