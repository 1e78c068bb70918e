"""The port through which stores encrypt personal data at rest (implemented by policy.crypto.EnvelopeCipher)."""

from typing import Protocol


class Sealer(Protocol):
    async def encrypt(self, owner: str, field: str, plaintext: bytes | str) -> bytes: ...

    async def decrypt(self, owner: str, field: str, token: bytes) -> bytes: ...
