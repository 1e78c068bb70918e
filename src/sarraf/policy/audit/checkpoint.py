"""Signed checkpoints: (sequence, tree size, root hash, time, previous checkpoint's digest), Ed25519-signed.

Each checkpoint carries the digest of the one before it, so the checkpoints form a hash chain: removing or
editing one in the middle breaks the chain, and the newest one is also mirrored to a file outside the
database (mirror.py) so that removing the newest ones is detected too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS = bytes(32)  # the "previous digest" of checkpoint #1
_ORIGIN = "sarraf-audit-checkpoint/v1"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int  # 1, 2, 3, ... with no gaps
    tree_size: int
    root: bytes
    timestamp: str  # ISO 8601 UTC
    previous: bytes  # digest() of checkpoint seq-1, GENESIS for seq 1
    key_id: str
    signature: bytes

    def body(self) -> bytes:
        """The signed text, one field per line (in the spirit of C2SP signed notes)."""
        return (
            f"{_ORIGIN}\n{self.seq}\n{self.tree_size}\n{_b64(self.root)}\n{self.timestamp}\n"
            f"{_b64(self.previous)}\n{self.key_id}\n"
        ).encode()

    def digest(self) -> bytes:
        return hashlib.sha256(self.body() + self.signature).digest()

    def same_as(self, other: Checkpoint) -> bool:
        return hmac.compare_digest(self.body() + self.signature, other.body() + other.signature)

    def to_json(self) -> dict[str, str | int]:
        return {
            "seq": self.seq,
            "tree_size": self.tree_size,
            "root": _b64(self.root),
            "timestamp": self.timestamp,
            "previous": _b64(self.previous),
            "key_id": self.key_id,
            "signature": _b64(self.signature),
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Checkpoint:
        return cls(
            seq=int(str(raw["seq"])),
            tree_size=int(str(raw["tree_size"])),
            root=base64.b64decode(str(raw["root"])),
            timestamp=str(raw["timestamp"]),
            previous=base64.b64decode(str(raw["previous"])),
            key_id=str(raw["key_id"]),
            signature=base64.b64decode(str(raw["signature"])),
        )

    def describe(self) -> str:
        return f"checkpoint #{self.seq} (size {self.tree_size}, {self.timestamp})"


class CheckpointSigner:
    """Signs and checks checkpoints with an Ed25519 key derived from a 32-byte provider secret."""

    def __init__(self, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key: Ed25519PublicKey = self._private.public_key()
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, seq: int, tree_size: int, root: bytes, timestamp: str, previous: bytes) -> Checkpoint:
        unsigned = Checkpoint(seq, tree_size, root, timestamp, previous, self.key_id, b"")
        return Checkpoint(seq, tree_size, root, timestamp, previous, self.key_id,
                          self._private.sign(unsigned.body()))

    def check(self, checkpoint: Checkpoint) -> str | None:
        """None when the signature is ours and valid, otherwise why not."""
        if checkpoint.key_id != self.key_id:
            return f"{checkpoint.describe()} is signed by unknown key {checkpoint.key_id}"
        try:
            self.public_key.verify(checkpoint.signature, checkpoint.body())
        except InvalidSignature:
            return f"{checkpoint.describe()}: signature does not match its contents (edited)"
        return None
