"""The agents' desk in SQL: the hand-off queue (read from `handoff_requests`), claims and the transcript.

A conversation is named in the console by the id of a hand-off request in it, always looked up together with
the staff member's bank: an id from another bank finds nothing. The customer's address is stored as its keyed
hash (store/address_sealing.py): hashed on the way in, opened from the customer's identity on the way out, so
the console's callers see the platform id they deliver to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.console.ports import Claim, ConversationRef, Line, Waiting
from sarraf.policy.crypto.keys import DataKeyShredded
from sarraf.store.address_sealing import Addresses
from sarraf.store.channel_state import utc
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.console import console_claims, console_handled, console_transcript
from sarraf.store.tables.core import customers, handoff_requests

TRANSCRIPT_FIELD = "console-transcript"


# Every turn asks both (console/desk.py): built once (issue #15)
_OWNER = select(console_claims).where(console_claims.c.tenant == bindparam("tenant"),
                                      console_claims.c.channel == bindparam("channel"),
                                      console_claims.c.sender == bindparam("sender"))
_IS_OPEN = select(or_(
    select(console_claims.c.sender).where(
        console_claims.c.tenant == bindparam("tenant"), console_claims.c.channel == bindparam("channel"),
        console_claims.c.sender == bindparam("sender")).exists(),
    select(handoff_requests.c.id)
    .join(console_handled, console_handled.c.handoff_id == handoff_requests.c.id, isouter=True)
    .where(handoff_requests.c.tenant == bindparam("tenant"), handoff_requests.c.channel == bindparam("channel"),
           handoff_requests.c.sender == bindparam("sender"), console_handled.c.handoff_id.is_(None))
    .exists()))


class SqlDesk:
    def __init__(self, engine: AsyncEngine, sealer: JsonSealer, addresses: Addresses) -> None:
        self._engine = engine
        self._sealer = sealer
        self._addresses = addresses  # the gateway's one codec (bootstrap.build)

    async def _stored(self, channel: str, sender: str) -> str:
        return await self._addresses.stored(channel, sender)

    async def waiting(self, tenant: str) -> list[Waiting]:
        """Conversations with hand-off requests nobody has taken, oldest first, one row per conversation."""
        query = (
            select(handoff_requests, customers.c.lang)
            .join(console_handled, console_handled.c.handoff_id == handoff_requests.c.id, isouter=True)
            .join(customers, customers.c.id == handoff_requests.c.customer_id, isouter=True)
            .join(console_claims, (console_claims.c.tenant == handoff_requests.c.tenant)
                  & (console_claims.c.channel == handoff_requests.c.channel)
                  & (console_claims.c.sender == handoff_requests.c.sender), isouter=True)
            .where(handoff_requests.c.tenant == tenant, console_handled.c.handoff_id.is_(None),
                   console_claims.c.staff_id.is_(None))
            .order_by(handoff_requests.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        found: dict[tuple[str, str], Waiting] = {}
        for r in rows:
            key = (r.channel, r.sender)
            if key in found:
                w = found[key]
                if r.reason not in w.reasons:
                    found[key] = Waiting(w.handoff_id, w.channel, w.customer_id, w.lang, (*w.reasons, r.reason),
                                         w.since)
                continue
            found[key] = Waiting(r.id, r.channel, r.customer_id, r.lang, (r.reason,), utc(r.created_at))
        return list(found.values())

    async def conversation(self, tenant: str, handoff_id: int) -> ConversationRef | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(handoff_requests).where(
                handoff_requests.c.id == handoff_id, handoff_requests.c.tenant == tenant))).first()
            if row is None:
                return None
            sender = await self._addresses.opened_one(conn, row.tenant, row.channel, row.sender)
        return ConversationRef(row.tenant, row.channel, sender, row.customer_id, row.id)

    async def claim(self, ref: ConversationRef, staff_id: str, now: datetime) -> str | None:
        """Take the conversation and its waiting requests; returns the owner it already had, if any."""
        stored = await self._stored(ref.channel, ref.sender)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(console_claims).values(
                    tenant=ref.tenant, channel=ref.channel, sender=stored, customer_id=ref.customer_id,
                    staff_id=staff_id, claimed_at=now))
                open_ids = (await conn.execute(
                    select(handoff_requests.c.id)
                    .join(console_handled, console_handled.c.handoff_id == handoff_requests.c.id, isouter=True)
                    .where(handoff_requests.c.tenant == ref.tenant, handoff_requests.c.channel == ref.channel,
                           handoff_requests.c.sender == stored, console_handled.c.handoff_id.is_(None))
                )).scalars().all()
                if open_ids:
                    await conn.execute(insert(console_handled), [
                        {"handoff_id": i, "staff_id": staff_id, "claimed_at": now} for i in open_ids])
        except IntegrityError:
            owner = await self.owner(ref.tenant, ref.channel, ref.sender)
            return owner.staff_id if owner else staff_id
        return None

    async def owner(self, tenant: str, channel: str, sender: str) -> Claim | None:
        stored = await self._stored(channel, sender)
        async with self._engine.connect() as conn:
            row = (await conn.execute(_OWNER, {"tenant": tenant, "channel": channel, "sender": stored})).first()
        if row is None:
            return None
        return Claim(ConversationRef(row.tenant, row.channel, sender, row.customer_id, 0), row.staff_id,
                     utc(row.claimed_at))

    async def claims_of(self, tenant: str, staff_id: str) -> list[Claim]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(console_claims).where(
                console_claims.c.tenant == tenant, console_claims.c.staff_id == staff_id))).all()
            senders = await self._addresses.opened(conn, [(r.tenant, r.channel, r.sender) for r in rows])
            claims = []
            for row in rows:
                first = (await conn.execute(select(handoff_requests.c.id).where(
                    handoff_requests.c.tenant == row.tenant, handoff_requests.c.channel == row.channel,
                    handoff_requests.c.sender == row.sender).order_by(handoff_requests.c.id).limit(1))).scalar()
                sender = senders[(row.tenant, row.channel, row.sender)]
                claims.append(Claim(ConversationRef(row.tenant, row.channel, sender, row.customer_id,
                                                    int(first or 0)), row.staff_id, utc(row.claimed_at)))
        return claims

    async def release(self, ref: ConversationRef, staff_id: str) -> bool:
        stored = await self._stored(ref.channel, ref.sender)
        async with self._engine.begin() as conn:
            done = await conn.execute(delete(console_claims).where(
                console_claims.c.tenant == ref.tenant, console_claims.c.channel == ref.channel,
                console_claims.c.sender == stored, console_claims.c.staff_id == staff_id))
        return done.rowcount == 1

    async def transfer(self, ref: ConversationRef, staff_id: str, to_staff_id: str) -> bool:
        """Pass a conversation this agent owns to a colleague; False when it was not theirs (nothing changes)."""
        stored = await self._stored(ref.channel, ref.sender)
        async with self._engine.begin() as conn:
            moved = await conn.execute(update(console_claims).where(
                console_claims.c.tenant == ref.tenant, console_claims.c.channel == ref.channel,
                console_claims.c.sender == stored, console_claims.c.staff_id == staff_id,
            ).values(staff_id=to_staff_id))
        return moved.rowcount == 1

    async def is_open(self, tenant: str, channel: str, sender: str) -> bool:
        """Waiting for a person or with one: what is said in it belongs to the transcript. Asked after every
        turn: one statement (claimed, or a request nobody has handled yet) on one pooled connection."""
        sender = await self._stored(channel, sender)
        async with self._engine.connect() as conn:
            return bool((await conn.execute(_IS_OPEN, {"tenant": tenant, "channel": channel, "sender": sender}))
                        .scalar())

    async def write(self, ref: ConversationRef, author: str, messages: list[dict[str, Any]], now: datetime) -> None:
        if not messages:
            return
        stored = await self._stored(ref.channel, ref.sender)
        async with self._engine.begin() as conn:
            keys = await self._sealer.keys(conn, [ref.customer_id], create=True)
            await conn.execute(insert(console_transcript), [
                {"tenant": ref.tenant, "channel": ref.channel, "sender": stored, "customer_id": ref.customer_id,
                 "author": author, "message": keys.seal(ref.customer_id, TRANSCRIPT_FIELD, m), "created_at": now}
                for m in messages])

    async def transcript(self, ref: ConversationRef, limit: int = 200) -> list[Line]:
        stored = await self._stored(ref.channel, ref.sender)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(console_transcript).where(
                    console_transcript.c.tenant == ref.tenant, console_transcript.c.channel == ref.channel,
                    console_transcript.c.sender == stored)
                .order_by(console_transcript.c.id.desc()).limit(limit))).all()
            keys = await self._sealer.keys(conn, {ref.customer_id})
        lines = []
        for r in reversed(rows):
            try:
                lines.append(Line(r.author, keys.open(TRANSCRIPT_FIELD, r.message), utc(r.created_at)))
            except DataKeyShredded:  # the customer erased their data: the line is gone with the key
                continue
        return lines
