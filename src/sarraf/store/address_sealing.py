"""Platform addresses outside `channel_identities` (#17 item 5): kept as the identity's keyed hash, opened from
`channel_identities` where the gateway sends to them.

Every table that names a conversation by the customer's platform address (routed alerts, alert preferences,
fraud cases, hand-offs, the agents' claims and transcript, payments, held actions, Alexa's waiting messages,
Messenger thread owners) stores what `channel_identities.sender` holds for it: the keyed hash of
store/identity_sealing.py (the web chat's address, already a digest of a random secret, as it is). Lookups
hash the incoming id the same way. Where a row is read to deliver, the address is opened from the identity
it names, with that customer's data key: so the id exists once, sealed, and erasing the customer (identity
row deleted, key shredded) takes it from every table at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.store.identity_sealing import ALREADY_DIGESTED, PREFIX, IdentityCodec, opened
from sarraf.store.tables.core import channel_identities

STORED = re.compile(re.escape(PREFIX) + "[0-9a-f]{64}")

Conversation = tuple[str, str, str]  # (tenant, channel, stored address)


def is_stored(address: str) -> bool:
    """Whether `address` is already what a table holds (a keyed hash), not a platform id."""
    return STORED.fullmatch(address) is not None


class Addresses:
    def __init__(self, identities: IdentityCodec) -> None:
        self._identities = identities

    async def stored(self, channel: str, address: str) -> str:
        """What a table holds for this address. A value read back unopened (its identity is gone) is kept as it
        is, so saving a row read earlier never hashes a hash."""
        if channel in ALREADY_DIGESTED or is_stored(address):
            return address
        return await self._identities.lookup(channel, address)

    async def stored_if(self, channel: str | None, address: str | None) -> str | None:
        """`stored` for a row that may name no conversation (an alert not routed to anyone)."""
        return await self.stored(channel, address) if channel and address else address

    async def opened(
        self, conn: AsyncConnection, wanted: Iterable[tuple[str, str | None, str | None]]
    ) -> dict[Conversation, str]:
        """Each conversation's platform id, from its identity (one query per tenant and channel, one for the
        keys). A conversation whose identity is gone (the customer was erased) maps to the stored value: there
        is nothing left to reach. Rows naming no conversation are left out."""
        conversations = {(tenant, channel, address) for tenant, channel, address in wanted if channel and address}
        found = {w: w[2] for w in conversations}
        groups: dict[tuple[str, str], list[str]] = {}
        for tenant, channel, address in conversations:
            if channel not in ALREADY_DIGESTED and is_stored(address):
                groups.setdefault((tenant, channel), []).append(address)
        c = channel_identities.c
        rows: list[Any] = []
        for (tenant, channel), addresses in groups.items():
            rows += (
                await conn.execute(
                    select(c.tenant, c.channel, c.sender, c.customer_id, c.sender_sealed).where(
                        c.tenant == tenant, c.channel == channel, c.sender.in_(addresses)
                    )
                )
            ).all()
        keys = await self._identities.keys(conn, {row.customer_id for row in rows})
        for row in rows:
            found[(row.tenant, row.channel, row.sender)] = opened(keys, row.customer_id, row.sender_sealed)
        return found

    async def opened_one(self, conn: AsyncConnection, tenant: str, channel: str, address: str) -> str:
        return (await self.opened(conn, [(tenant, channel, address)]))[(tenant, channel, address)]
