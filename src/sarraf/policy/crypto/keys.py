"""The KeyProvider port: who holds the master keys that wrap every data key, and the long-lived secrets.

A data key never leaves memory unwrapped; the database only ever holds it wrapped (encrypted) under a
master key, so a stolen database alone decrypts nothing. A provider may be a local key file (the default,
see local_keys.py), a cloud KMS or an HSM: callers only see this Protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CryptoError(Exception):
    """Base of key-management and decryption failures."""


class KeyUnavailable(CryptoError):
    """A key needed for this operation does not exist (any more); the message says which."""


class DataKeyShredded(KeyUnavailable):
    """The owner's data key was deleted (crypto-shredded): their ciphertexts can never be read again."""


class DecryptionFailed(CryptoError):
    """A ciphertext or wrapped key failed authentication: it was altered, or belongs to another owner/field."""


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key encrypted under master key `key_id` (e.g. "local:v2")."""

    key_id: str
    blob: bytes


class KeyProvider(Protocol):
    @property
    def current_key_id(self) -> str:
        """The master key new wraps use."""
        ...

    async def wrap(self, data_key: bytes, context: bytes) -> WrappedKey:
        """Encrypt `data_key` under the current master key, bound to `context` (e.g. the owner id)."""
        ...

    async def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        """Decrypt a data key wrapped under any master key version still held; DecryptionFailed if altered."""
        ...

    async def rotate(self) -> str:
        """Create a new master key version, make it current and return its key id."""
        ...

    async def secret(self, name: str) -> bytes:
        """A stable 32-byte secret for a named system purpose ("audit-signing", "audit-pseudonym", ...),
        created on first use. Kept by the provider, never in the database, so a database-only attacker can
        neither forge audit checkpoints nor re-identify pseudonyms."""
        ...
