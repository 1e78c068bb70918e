"""Channel identities at rest (#17 finding 5): a keyed hash to find the customer, the id sealed to reach them.

A platform user id (Messenger PSID, WhatsApp number, Telegram chat id, Alexa user id) is personal data, but
every incoming message names the customer by it and alerts and agents' replies are sent to it. So
`channel_identities` holds, per identity:

* `sender`: an HMAC-SHA256 of channel and id under a secret of the key provider ("channel-identity-lookup"),
  which is what an incoming id is looked up by. The secret is kept with the master keys, never in the
  database, so a copy of the database cannot test guessed phone numbers or chat ids against it.
* `sender_sealed`: the id sealed with the customer's data key, opened only to deliver to it (and for the
  customer's data export). Erasing the customer shreds the key, and with it the id.

The web chat's address is already a one-way digest of a random bearer secret (channels/webchat.address); it
is kept as it is, so that the tables it keys (the outbox, windows, hand-offs) keep matching it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.policy.crypto import KeyProvider
from sarraf.store.sealing import DataKeys, JsonSealer

LOOKUP_SECRET = "channel-identity-lookup"
FIELD = "channel-identity"
ALREADY_DIGESTED = frozenset({"webchat"})
PREFIX = "k-"  # a keyed lookup value; nothing the platforms send starts with it and holds 64 hex digits


def lookup_value(secret: bytes, channel: str, sender: str) -> str:
    if channel in ALREADY_DIGESTED:
        return sender
    return PREFIX + hmac.new(secret, f"{channel}\n{sender}".encode(), hashlib.sha256).hexdigest()


class IdentityCodec:
    """Turns identities into what is stored and back, with the provider's lookup secret and data keys."""

    def __init__(self, keys: KeyProvider) -> None:
        self._provider = keys
        self._sealer = JsonSealer(keys)
        self._secret: bytes | None = None

    async def lookup(self, channel: str, sender: str) -> str:
        if self._secret is None:
            self._secret = await self._provider.secret(LOOKUP_SECRET)
        return lookup_value(self._secret, channel, sender)

    async def seal(self, conn: AsyncConnection, owner: str, sender: str) -> bytes:
        """The id sealed for its customer, whose data key is created in the caller's transaction if needed."""
        keys = await self._sealer.keys(conn, [owner], create=True)
        return keys.seal_bytes(owner, FIELD, sender.encode())

    async def keys(self, conn: AsyncConnection, owners: Iterable[str]) -> DataKeys:
        return await self._sealer.keys(conn, owners)


def opened(keys: DataKeys, owner: str, sealed: bytes) -> str:
    """The platform id of a stored identity."""
    return keys.open_bytes(owner, FIELD, bytes(sealed)).decode()


Opened = dict[tuple[str, str, str], str]  # (customer, channel, keyed hash) -> platform id


async def to_deliver(sealer: JsonSealer, conn: AsyncConnection, rows: Sequence[Any]
                     ) -> tuple[dict[str, list[tuple[str, str]]], Opened]:
    """Identity rows (customer_id, channel, sender, sender_sealed) as each customer's (channel, platform id),
    opened with one query for the batch's keys: what alert routing delivers to. Also each keyed hash opened,
    which is what a stored alert preference names its address by."""
    keys = await sealer.keys(conn, {row.customer_id for row in rows})
    found: dict[str, list[tuple[str, str]]] = {}
    by_lookup: Opened = {}
    for row in rows:
        platform_id = opened(keys, row.customer_id, row.sender_sealed)
        found.setdefault(row.customer_id, []).append((row.channel, platform_id))
        by_lookup[(row.customer_id, row.channel, row.sender)] = platform_id
    return found, by_lookup
