"""Durable chat-platform state: customer-service windows, one-time Telegram deep links and the messages
waiting for a customer's next Alexa request. Works the same on SQLite and PostgreSQL; every one-time value
is consumed in a single transaction that checks it was this caller that removed it."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.domain.messages import Button, Card, CardLine, Outbound
from sarraf.store.address_sealing import Addresses
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.tables.channels import (
    alexa_pending,
    messenger_thread_owners,
    service_windows,
    telegram_deep_links,
)

ALEXA, MESSENGER = "alexa", "messenger"  # the channels whose tables here hold no channel column


def digest(secret: str) -> str:
    """What is stored in place of a bearer secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored here is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A Messenger message moves its window and asks who holds the conversation: built once (issue #15)
_WINDOW_KEY = (service_windows.c.channel == bindparam("key_channel"),
               service_windows.c.account == bindparam("key_account"),
               service_windows.c.customer == bindparam("key_customer"))
_WINDOW_FORWARD = (update(service_windows).where(*_WINDOW_KEY, service_windows.c.last_inbound_at < bindparam("at"))
                   .values(last_inbound_at=bindparam("at")))
_WINDOW_ROW = select(service_windows.c.customer).where(*_WINDOW_KEY)
_WINDOW_LAST = select(service_windows.c.last_inbound_at).where(*_WINDOW_KEY)
_THREAD_OWNER = select(messenger_thread_owners.c.owner_app_id).where(
    messenger_thread_owners.c.tenant == bindparam("tenant"),
    messenger_thread_owners.c.customer == bindparam("customer"))


class SqlWindowStore:
    """Last inbound message per (platform, bank, customer), only ever moved forward. The customer's platform
    id is kept as its keyed hash, the one `channel_identities` finds them by (store/identity_sealing.py)."""

    def __init__(self, engine: AsyncEngine, identities: IdentityCodec) -> None:
        self._engine = engine
        self._identities = identities

    async def touch(self, channel: str, account: str, customer: str, at: datetime) -> None:
        customer = await self._identities.lookup(channel, customer)
        if await self._move_forward(channel, account, customer, at):
            return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(service_windows).values(
                    channel=channel, account=account, customer=customer, last_inbound_at=at))
        except IntegrityError:
            # The row exists (a concurrent message created it, or it already holds this very time).
            await self._move_forward(channel, account, customer, at)

    async def _move_forward(self, channel: str, account: str, customer: str, at: datetime) -> bool:
        """True when the row exists (whether or not it needed moving)."""
        key = {"key_channel": channel, "key_account": account, "key_customer": customer}
        async with self._engine.begin() as conn:
            moved = await conn.execute(_WINDOW_FORWARD, {**key, "at": at})
            if moved.rowcount:
                return True
            return (await conn.execute(_WINDOW_ROW, key)).first() is not None

    async def last_inbound(self, channel: str, account: str, customer: str) -> datetime | None:
        customer = await self._identities.lookup(channel, customer)
        async with self._engine.connect() as conn:
            row = (await conn.execute(_WINDOW_LAST, {"key_channel": channel, "key_account": account,
                                                     "key_customer": customer})).first()
        return utc(row.last_inbound_at) if row else None

    async def prune(self, before: datetime) -> int:
        """Forget windows closed long ago (housekeeping); a forgotten window reads as closed, as it is."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(service_windows).where(service_windows.c.last_inbound_at < before))
            return int(result.rowcount or 0)


class SqlDeepLinkStore:
    """Telegram `/start` payloads, stored as digests; each can be taken once, before it expires."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put(self, tenant: str, payload: str, intent: str, expires_at: datetime, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(telegram_deep_links).where(telegram_deep_links.c.expires_at < now))
            await conn.execute(insert(telegram_deep_links).values(
                tenant=tenant, payload_hash=digest(payload), intent=intent, expires_at=expires_at))

    async def take(self, tenant: str, payload: str, now: datetime) -> str | None:
        key = (telegram_deep_links.c.tenant == tenant, telegram_deep_links.c.payload_hash == digest(payload))
        async with self._engine.begin() as conn:
            row = (await conn.execute(
                select(telegram_deep_links.c.intent, telegram_deep_links.c.expires_at).where(*key))).first()
            if row is None:
                return None
            taken = await conn.execute(delete(telegram_deep_links).where(*key))
            if taken.rowcount != 1:  # a concurrent update redeemed it first
                return None
        return str(row.intent) if utc(row.expires_at) > now else None


class SqlAlexaPending:
    """Messages waiting for a customer's next Alexa request: at most `keep`, none older than `max_age`. Found by
    the keyed hash of the Alexa user id (store/address_sealing.py): the id itself is never needed here."""

    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def add(self, sender: str, messages: list[Outbound], keep: int, now: datetime) -> None:
        sender = await self._addresses.stored(ALEXA, sender)
        async with self._engine.begin() as conn:
            for message in messages:
                await conn.execute(insert(alexa_pending).values(
                    sender=sender, payload=outbound_to_json(message), created_at=now))
            kept = select(alexa_pending.c.id).where(alexa_pending.c.sender == sender).order_by(
                alexa_pending.c.id.desc()).limit(keep)
            surplus = [r.id for r in await conn.execute(
                select(alexa_pending.c.id).where(alexa_pending.c.sender == sender,
                                                 alexa_pending.c.id.not_in(kept.scalar_subquery())))]
            if surplus:
                await conn.execute(delete(alexa_pending).where(alexa_pending.c.id.in_(surplus)))

    async def take(self, sender: str, since: datetime) -> list[Outbound]:
        """The waiting messages in order, removed as they are read; stale ones are dropped unspoken."""
        sender = await self._addresses.stored(ALEXA, sender)
        async with self._engine.begin() as conn:
            rows = list(await conn.execute(
                select(alexa_pending.c.id, alexa_pending.c.payload, alexa_pending.c.created_at)
                .where(alexa_pending.c.sender == sender).order_by(alexa_pending.c.id)))
            if not rows:
                return []
            await conn.execute(delete(alexa_pending).where(alexa_pending.c.id.in_([r.id for r in rows])))
        return [outbound_from_json(r.payload) for r in rows if utc(r.created_at) >= since]


def outbound_to_json(message: Outbound) -> dict[str, Any]:
    return asdict(message)


def outbound_from_json(found: dict[str, Any]) -> Outbound:
    return Outbound(
        text=found["text"],
        lang=found["lang"],
        quick_replies=tuple(Button(**b) for b in found.get("quick_replies", ())),
        buttons=tuple(Button(**b) for b in found.get("buttons", ())),
        cards=tuple(Card(c["title"], tuple(CardLine(**ln) for ln in c.get("lines", ())), c.get("subtitle"))
                    for c in found.get("cards", ())),
        link_only=bool(found.get("link_only", False)),
        extra=dict(found.get("extra", {})),
    )


class SqlThreadOwners:
    """Messenger conversations another app (the Page Inbox) holds; no row: the bot's
    (channels/messenger_handover.py). Keyed by the keyed hash of the customer's PSID (store/address_sealing.py).
    """

    def __init__(self, engine: AsyncEngine, addresses: Addresses) -> None:
        self._engine = engine
        self._addresses = addresses

    async def hand_to(self, tenant: str, customer: str, app_id: str, at: datetime) -> None:
        customer = await self._addresses.stored(MESSENGER, customer)
        key = (messenger_thread_owners.c.tenant == tenant, messenger_thread_owners.c.customer == customer)
        async with self._engine.begin() as conn:
            # delete then insert in one transaction: the same on SQLite and PostgreSQL, the last event wins
            await conn.execute(delete(messenger_thread_owners).where(*key))
            await conn.execute(insert(messenger_thread_owners).values(
                tenant=tenant, customer=customer, owner_app_id=app_id, since=at))

    async def take_back(self, tenant: str, customer: str) -> None:
        customer = await self._addresses.stored(MESSENGER, customer)
        async with self._engine.begin() as conn:
            await conn.execute(delete(messenger_thread_owners).where(
                messenger_thread_owners.c.tenant == tenant, messenger_thread_owners.c.customer == customer))

    async def owner(self, tenant: str, customer: str) -> str | None:
        customer = await self._addresses.stored(MESSENGER, customer)
        async with self._engine.connect() as conn:
            row = (await conn.execute(_THREAD_OWNER, {"tenant": tenant, "customer": customer})).first()
        return str(row.owner_app_id) if row else None
