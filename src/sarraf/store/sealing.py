"""How stores encrypt personal data at rest with the customer's own data key (so erasing the key erases it).

`Sealer` is the port for one value at a time (implemented by policy.crypto.EnvelopeCipher). `JsonSealer`
serves the bulk paths (alert intake, routing, delivery, the web chat's outbox): it reads the data keys of
every owner in a batch with ONE query on the caller's connection, then seals or opens each row locally
(AES-GCM), so a batch costs one extra query, never one per row. Its ciphertexts are the envelope format of
EnvelopeCipher (same associated data: owner and field), stored inside the JSON column as
`{"sealed": <base64>, "owner": <customer id>}`; a value written before sealing existed is read as it is.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from sarraf.policy.crypto import DataKeyShredded, KeyProvider, WrappedKey, open_with, seal_with
from sarraf.store.tables.keys import data_keys

SEALED = "sealed"


class Sealer(Protocol):
    async def encrypt(self, owner: str, field: str, plaintext: bytes | str) -> bytes: ...

    async def decrypt(self, owner: str, field: str, token: bytes) -> bytes: ...


def is_sealed(stored: Any) -> bool:
    return isinstance(stored, dict) and SEALED in stored and "owner" in stored


class DataKeys:
    """Unwrapped data keys of one batch's owners."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self._keys = keys

    def seal(self, owner: str, field: str, value: Any) -> dict[str, str]:
        token = seal_with(self._key(owner), owner, field, json.dumps(value, separators=(",", ":")).encode())
        return {SEALED: base64.b64encode(token).decode(), "owner": owner}

    def open(self, field: str, stored: Any) -> Any:
        """The value sealed in `stored`; a value stored in clear (before sealing existed) as it is."""
        if not is_sealed(stored):
            return stored
        owner = stored["owner"]
        return json.loads(open_with(self._key(owner), owner, field, base64.b64decode(stored[SEALED])))

    def seal_bytes(self, owner: str, field: str, data: bytes) -> bytes:
        """`data` sealed for a binary column (EnvelopeCipher's token format)."""
        return seal_with(self._key(owner), owner, field, data)

    def open_bytes(self, owner: str, field: str, token: bytes) -> bytes:
        return open_with(self._key(owner), owner, field, token)

    def _key(self, owner: str) -> bytes:
        key = self._keys.get(owner)
        if key is None:
            raise DataKeyShredded(f"no data key for {owner!r}: it was shredded, so this data is gone")
        return key


class JsonSealer:
    def __init__(self, keys: KeyProvider) -> None:
        self._provider = keys

    @property
    def provider(self) -> KeyProvider:
        """The key provider, which also holds the secret platform addresses are hashed with."""
        return self._provider

    async def keys(self, conn: AsyncConnection, owners: Iterable[str], *, create: bool = False) -> DataKeys:
        """The owners' data keys in one query; `create`: make the missing ones (writers), in the same transaction."""
        wanted = sorted(set(owners))
        if not wanted:
            return DataKeys({})
        found = await self._read(conn, wanted)
        missing = [owner for owner in wanted if owner not in found]
        if missing and create:
            dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            rows = [{"owner": owner, "key_id": wrapped.key_id, "wrapped": wrapped.blob}
                    for owner in missing
                    for wrapped in [await self._provider.wrap(secrets.token_bytes(32), owner.encode())]]
            # Another writer may create one first: everyone then uses the stored one (read back below).
            await conn.execute(dialect_insert(data_keys).on_conflict_do_nothing(index_elements=["owner"]), rows)
            found |= await self._read(conn, missing)
        return DataKeys({owner: await self._provider.unwrap(wrapped, owner.encode())
                         for owner, wrapped in found.items()})

    @staticmethod
    async def _read(conn: AsyncConnection, owners: list[str]) -> dict[str, WrappedKey]:
        rows = await conn.execute(select(data_keys.c.owner, data_keys.c.key_id, data_keys.c.wrapped)
                                  .where(data_keys.c.owner.in_(owners)))
        return {r.owner: WrappedKey(r.key_id, bytes(r.wrapped)) for r in rows}
