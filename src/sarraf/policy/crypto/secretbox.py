"""SecretBox: AES-256-GCM for gateway secrets that belong to no customer (e.g. a bank's client secret).

The key is a named secret of the KeyProvider, so it is never stored beside what it protects.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sarraf.policy.crypto.keys import DecryptionFailed, KeyProvider

FORMAT_V1 = b"\x01"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    async def named(cls, keys: KeyProvider, name: str) -> SecretBox:
        return cls(await keys.secret(f"box-{name}"))

    def seal(self, plaintext: bytes | str, context: str = "") -> bytes:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = secrets.token_bytes(12)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, data, FORMAT_V1 + context.encode())

    def open(self, token: bytes, context: str = "") -> bytes:
        if token[:1] != FORMAT_V1:
            raise DecryptionFailed("not a Sarraf v1 sealed secret")
        try:
            return self._aead.decrypt(token[1:13], token[13:], FORMAT_V1 + context.encode())
        except InvalidTag as exc:
            raise DecryptionFailed(f"sealed secret ({context or 'no context'}) failed authentication") from exc
