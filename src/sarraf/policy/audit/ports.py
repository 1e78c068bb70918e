"""What the audit log needs from storage (implemented by store/audit_store.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sarraf.policy.audit.checkpoint import Checkpoint


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    index: int
    data: bytes  # canonical JSON, exactly the bytes that were hashed
    hash: bytes  # RFC 9162 leaf hash of data


@dataclass(frozen=True, slots=True)
class TreeState:
    """The compact range after `size` leaves: a cache that lets a restarted process append in O(log n).
    Never trusted by verify, which recomputes everything from the leaves."""

    size: int
    nodes: tuple[bytes, ...]


class AuditStore(Protocol):
    async def state(self) -> TreeState: ...

    async def extend(self, build: Callable[[TreeState], tuple[Sequence[StoredLeaf], TreeState]],
                     expected: TreeState | None = None) -> TreeState:
        """In one transaction holding the log's write lock: read the current state, insert the leaves `build`
        makes from it, store the new state; returns it. Several processes may append to one log this way.
        `expected`: the state the caller last saw; while the log is still at it, it is not read back."""
        ...

    async def add_checkpoint(self, checkpoint: Checkpoint) -> bool:
        """False when another writer already stored a checkpoint with this sequence number."""
        ...

    async def checkpoints(self) -> list[Checkpoint]:
        """All checkpoints, by sequence number."""
        ...

    async def latest_checkpoint(self) -> Checkpoint | None: ...

    def leaves(self, start: int = 0, batch: int = 20_000) -> AsyncIterator[Sequence[StoredLeaf]]:
        """Stored leaves in index order, in batches (indices as stored: gaps are not filled in)."""
        ...

    async def leaf_hashes(self, stop: int) -> list[bytes]:
        """Stored hashes of leaves 0..stop-1 in index order."""
        ...

    async def leaf(self, index: int) -> StoredLeaf | None: ...

    async def recent(self, limit: int) -> list[StoredLeaf]:
        """The newest `limit` leaves, newest first."""
        ...
