"""The tamper-evident audit log of disclosure decisions: an append-only RFC 9162 Merkle tree.

Every decision, allow and deny, becomes one canonical-JSON leaf. Signed checkpoints commit to the tree
at a size; verify.py recomputes everything from the stored leaves and reports any difference.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.policy.audit.checkpoint import GENESIS, Checkpoint, CheckpointSigner
from sarraf.policy.audit.entry import Pseudonymiser, decode_leaf, encode_leaf, leaf_fields, utc_timestamp
from sarraf.policy.audit.merkle import (
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_inclusion,
)
from sarraf.policy.audit.mirror import CheckpointMirror
from sarraf.policy.audit.ports import AuditStore, StoredLeaf, TreeState
from sarraf.policy.audit.verify import VerifyReport, verify_log
from sarraf.policy.crypto.keys import KeyProvider

SIGNING_SECRET = "audit-signing"
PSEUDONYM_SECRET = "audit-pseudonym"


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    leaf: dict[str, Any]
    leaf_hash: bytes
    proof: list[bytes]
    checkpoint: Checkpoint

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "leaf": self.leaf,
            "leaf_hash": self.leaf_hash.hex(),
            "tree_size": self.checkpoint.tree_size,
            "proof": [p.hex() for p in self.proof],
            "checkpoint": self.checkpoint.to_json(),
        }


@dataclass(slots=True, eq=False)
class _Queued:
    """One caller's decisions waiting to be appended, and their indices once they are."""

    items: list[tuple[DisclosureRequest, Decision, str, str]]
    written: range | None = None


class AuditLog:
    """Append decisions, write signed checkpoints, give proofs. Several processes may write one log."""

    def __init__(
        self,
        store: AuditStore,
        signer: CheckpointSigner,
        pseudonymise: Pseudonymiser,
        mirror: CheckpointMirror,
        state: TreeState,
        *,
        checkpoint_every: int = 1000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.signer = signer
        self.pseudonymise = pseudonymise
        self.mirror = mirror
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self._range = CompactRange(state.size, state.nodes)
        self._since_checkpoint = 0
        self._lock = asyncio.Lock()
        self._queued: list[_Queued] = []  # appends waiting for the lock; the next holder writes them all

    @classmethod
    async def open(
        cls, store: AuditStore, keys: KeyProvider, mirror: CheckpointMirror, **options: Any
    ) -> AuditLog:
        signer = CheckpointSigner(await keys.secret(SIGNING_SECRET))
        pseudonymise = Pseudonymiser(await keys.secret(PSEUDONYM_SECRET))
        return cls(store, signer, pseudonymise, mirror, await store.state(), **options)

    @property
    def size(self) -> int:
        return self._range.size

    async def record(self, request: DisclosureRequest, decision: Decision, at: datetime | None = None) -> int:
        """Append one decision; returns its index."""
        return (await self.record_many([(request, decision)], at=at)).start

    async def record_many(
        self, decisions: Iterable[tuple[DisclosureRequest, Decision]], at: datetime | None = None
    ) -> range:
        """Append many decisions in one transaction (the fast path); returns their indices once committed.

        Appends of concurrent callers (turns of several customers at once) that queue while one is being
        written go into the store together, in the order they came, as one transaction: group commit. Each
        caller still returns only after its own decisions are committed."""
        stamp = utc_timestamp(at or self.clock())
        items = [(request, decision, self.pseudonymise(request.tenant, request.customer_id), stamp)
                 for request, decision in decisions]
        if not items:
            return range(self.size, self.size)
        mine = _Queued(items)
        self._queued.append(mine)
        try:
            async with self._lock:
                if mine.written is None:  # nobody took it along: write it, with all that queued behind it
                    batch, self._queued = self._queued, []
                    await self._write_for_all(batch, mine)
        except BaseException:
            if mine.written is None and any(q is mine for q in self._queued):
                self._queued = [q for q in self._queued if q is not mine]  # cancelled while waiting: not asked
            raise
        assert mine.written is not None
        return mine.written

    async def _write_for_all(self, batch: list[_Queued], leader: _Queued) -> None:
        """Others wait on this write: it runs to its end even if the caller that leads it is cancelled (the
        lock is held until then), and when it fails they write theirs when their turn of the lock comes."""
        write = asyncio.ensure_future(self._write(batch))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            while not write.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([write])
            raise
        finally:
            # a failed write put nothing of the batch in the log (one transaction)
            self._queued = [q for q in batch if q is not leader and q.written is None] + self._queued

    async def _write(self, batch: list[_Queued]) -> None:
        flat = [item for queued in batch for item in queued.items]

        def build(state: TreeState) -> tuple[list[StoredLeaf], TreeState]:
            # Runs inside the store's write lock on the log's CURRENT state, which another process may have
            # moved on since we last looked: positions and hashes are decided here, never from a stale cache.
            work = CompactRange(state.size, state.nodes)
            leaves: list[StoredLeaf] = []
            for request, decision, customer, stamp in flat:
                data = encode_leaf(leaf_fields(work.size, request, decision, customer, stamp))
                digest = leaf_hash(data)
                leaves.append(StoredLeaf(work.size, data, digest))
                work.append(digest)
            return leaves, TreeState(work.size, work.nodes)

        state = await self.store.extend(build, expected=TreeState(self._range.size, self._range.nodes))
        self._range = CompactRange(state.size, state.nodes)  # only after the transaction committed
        start = state.size - len(flat)
        for queued in batch:
            queued.written = range(start, start + len(queued.items))
            start += len(queued.items)
        self._since_checkpoint += len(flat)
        if self._since_checkpoint >= self.checkpoint_every:
            await self._checkpoint_locked()

    async def checkpoint(self) -> Checkpoint | None:
        """Sign the current tree unless the latest checkpoint already covers it; None when nothing new."""
        async with self._lock:
            return await self._checkpoint_locked()

    async def _checkpoint_locked(self) -> Checkpoint | None:
        latest = await self.store.latest_checkpoint()
        # Sign the log as it stands in the store (other writers may be ahead of this process), never less
        # than the latest checkpoint already covers.
        state = await self.store.state()
        self._range = CompactRange(state.size, state.nodes)
        if latest is not None and latest.tree_size >= state.size:
            self._since_checkpoint = 0
            return None
        checkpoint = self.signer.sign(
            seq=(latest.seq + 1) if latest else 1,
            tree_size=state.size,
            root=self._range.root(),
            timestamp=utc_timestamp(self.clock()),
            previous=latest.digest() if latest else GENESIS,
        )
        if not await self.store.add_checkpoint(checkpoint):
            self._since_checkpoint = 0  # another writer signed this sequence number first; theirs stands
            return None
        # After the commit: the mirror may lag by one, never lead. In a thread: it waits for the file lock other
        # replicas hold and for fsync, and the event loop must not (routing, the web chat) meanwhile.
        await asyncio.to_thread(self.mirror.save, checkpoint)
        self._since_checkpoint = 0
        return checkpoint

    async def close(self) -> None:
        """Checkpoint what is not yet signed (call at shutdown)."""
        await self.checkpoint()

    def root(self) -> bytes:
        return self._range.root()

    async def prove_inclusion(self, index: int, checkpoint: Checkpoint | None = None) -> InclusionProof:
        """Inclusion proof of entry `index` against `checkpoint` (default: the latest), verified before
        it is returned so a tampered store cannot hand out a proof that does not check."""
        checkpoint = checkpoint or await self.store.latest_checkpoint()
        if checkpoint is None:
            raise ProofError("the log has no checkpoint yet")
        if not 0 <= index < checkpoint.tree_size:
            raise ProofError(f"entry {index} is not covered by {checkpoint.describe()}")
        problem = self.signer.check(checkpoint)
        if problem:
            raise ProofError(problem)
        hashes = await self.store.leaf_hashes(checkpoint.tree_size)
        leaf = await self.store.leaf(index)
        if leaf is None or len(hashes) != checkpoint.tree_size:
            raise ProofError(f"entries are missing below {checkpoint.describe()}: run `sarraf audit verify`")
        proof = inclusion_proof(hashes, index)
        verify_inclusion(index, checkpoint.tree_size, leaf_hash(leaf.data), proof, checkpoint.root)
        return InclusionProof(index, decode_leaf(leaf.data), leaf_hash(leaf.data), proof, checkpoint)

    async def prove_consistency(self, old: Checkpoint, new: Checkpoint) -> list[bytes]:
        """Consistency proof that `new`'s tree extends `old`'s."""
        hashes = await self.store.leaf_hashes(new.tree_size)
        if root_from_leaf_hashes(hashes) != new.root:
            raise ProofError(f"stored entries no longer match {new.describe()}: run `sarraf audit verify`")
        return consistency_proof(hashes, old.tree_size)

    async def recent(self, limit: int = 20) -> list[tuple[int, dict[str, Any]]]:
        return [(leaf.index, decode_leaf(leaf.data)) for leaf in await self.store.recent(limit)]

    async def verify(self) -> VerifyReport:
        return await verify_log(self.store, self.signer, self.mirror)
