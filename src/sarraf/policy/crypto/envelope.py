"""Envelope encryption of customer data: one AES-256-GCM data key per customer, stored wrapped.

Ciphertext layout: b"\x01" (format version) || 12-byte nonce || AES-GCM ciphertext and tag. The
associated data binds each ciphertext to its owner and field, so a value copied into another customer's
row or another column fails to decrypt instead of being shown to the wrong person.

Crypto-shredding: `shred(owner)` deletes the owner's data key; every ciphertext of that owner becomes
unreadable at once, in every table and backup, without finding and rewriting them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sarraf.policy.crypto.keys import DataKeyShredded, DecryptionFailed, KeyProvider, WrappedKey

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
# A data key that belongs to no customer: planted by the first process on a database so that every later one
# can prove it holds the same master key before writing anything (store/key_store.py, check_keys_match).
KEY_CHECK_OWNER = "sarraf:key-check"


class DataKeyStore(Protocol):
    """Where wrapped data keys live (store/key_store.py). Keys are opaque bytes to the store."""

    async def get(self, owner: str) -> WrappedKey | None: ...

    async def add(self, owner: str, wrapped: WrappedKey) -> WrappedKey:
        """Store `wrapped` unless the owner already has a key; return the key that is stored."""
        ...

    async def replace(self, owner: str, wrapped: WrappedKey) -> None: ...

    async def delete(self, owner: str) -> bool:
        """Remove the owner's key; False when there was none."""
        ...

    async def page(self, after: str | None, limit: int) -> Sequence[tuple[str, WrappedKey]]:
        """Up to `limit` (owner, key) pairs with owner > after, in owner order."""
        ...


def _aad(owner: str, field: str) -> bytes:
    # Length-prefixed so ("ab", "c") and ("a", "bc") can never share associated data.
    o, f = owner.encode(), field.encode()
    return FORMAT_V1 + len(o).to_bytes(4, "big") + o + len(f).to_bytes(4, "big") + f


def seal_with(key: bytes, owner: str, field: str, data: bytes) -> bytes:
    """One ciphertext under an (unwrapped) data key: for stores that fetch many owners' keys at once."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, data, _aad(owner, field))


def open_with(key: bytes, owner: str, field: str, token: bytes) -> bytes:
    if token[:1] != FORMAT_V1 or len(token) < 1 + NONCE_BYTES + 16:
        raise DecryptionFailed(f"{field} of {owner!r}: not a Sarraf v1 ciphertext")
    nonce, body = token[1 : 1 + NONCE_BYTES], token[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(owner, field))
    except InvalidTag as exc:
        raise DecryptionFailed(
            f"{field} of {owner!r} failed authentication: altered, or copied from another owner/field"
        ) from exc


class EnvelopeCipher:
    def __init__(self, keys: KeyProvider, store: DataKeyStore) -> None:
        self.keys = keys
        self.store = store

    async def _data_key(self, owner: str, *, create: bool) -> bytes:
        wrapped = await self.store.get(owner)
        if wrapped is None:
            if not create:
                raise DataKeyShredded(
                    f"no data key for {owner!r}: it was shredded (or never created), so this data is gone"
                )
            fresh = secrets.token_bytes(32)
            wrapped = await self.store.add(owner, await self.keys.wrap(fresh, owner.encode()))
        return await self.keys.unwrap(wrapped, owner.encode())

    async def encrypt(self, owner: str, field: str, plaintext: bytes | str) -> bytes:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        return seal_with(await self._data_key(owner, create=True), owner, field, data)

    async def decrypt(self, owner: str, field: str, token: bytes) -> bytes:
        if token[:1] != FORMAT_V1 or len(token) < 1 + NONCE_BYTES + 16:
            raise DecryptionFailed(f"{field} of {owner!r}: not a Sarraf v1 ciphertext")
        return open_with(await self._data_key(owner, create=False), owner, field, token)

    async def decrypt_str(self, owner: str, field: str, token: bytes) -> str:
        return (await self.decrypt(owner, field, token)).decode()

    async def shred(self, owner: str) -> bool:
        """Delete the owner's data key (crypto-shredding). Returns False when there was none."""
        return await self.store.delete(owner)


async def rotate_master_key(keys: KeyProvider, store: DataKeyStore, *, page_size: int = 500) -> int:
    """Make a new master key current and re-wrap every stored data key under it.

    Ciphertexts are untouched: only the small wrapped keys change. Safe to re-run after a crash, because
    keys still wrapped under an older version keep unwrapping until that version's file is removed.
    Returns how many customers' data keys were re-wrapped (the key check is re-wrapped too, not counted).
    """
    new_id = await keys.rotate()
    count, after = 0, None
    while batch := await store.page(after, page_size):
        for owner, wrapped in batch:
            if wrapped.key_id != new_id:
                plain = await keys.unwrap(wrapped, owner.encode())
                await store.replace(owner, await keys.wrap(plain, owner.encode()))
                count += 0 if owner == KEY_CHECK_OWNER else 1
        after = batch[-1][0]
    return count
