"""RFC 9162 (Certificate Transparency v2, same hashing as RFC 6962) Merkle tree hashing and proofs.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left || right), so a
leaf can never be passed off as a node. Proof generation follows the recursive definitions of RFC 9162
§2.1.3.1 / §2.1.4.1 and verification the iterative algorithms of §2.1.3.2 / §2.1.4.2, checked against
the transparency-dev test vectors in tests/testdata/merkle.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"


class ProofError(ValueError):
    """A proof does not verify; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) computed level by level: an odd last node is carried up unchanged, which yields the
    same tree as RFC 9162's split at the largest power of two below n."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    sha = hashlib.sha256
    while len(level) > 1:
        carry = [level[-1]] if len(level) % 2 else []
        level = [sha(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)] + carry
    return level[0]


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) for leaf `index` in the tree made of all of `hashes`."""
    if not 0 <= index < len(hashes):
        raise ProofError(f"leaf index {index} is outside a tree of size {len(hashes)}")
    proof: list[bytes] = []
    lo, hi, m = 0, len(hashes), index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            proof.append(root_from_leaf_hashes(hashes[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root_from_leaf_hashes(hashes[lo : lo + k]))
            lo, m = lo + k, m - k
    proof.reverse()
    return proof


def consistency_proof(hashes: Sequence[bytes], size1: int) -> list[bytes]:
    """PROOF(m, D[n]) that the tree of the first `size1` leaves is a prefix of the tree of all `hashes`."""
    size2 = len(hashes)
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    proof: list[bytes] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(root_from_leaf_hashes(hashes[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root_from_leaf_hashes(hashes[lo : lo + k]))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(root_from_leaf_hashes(hashes[lo:hi]))
    proof.reverse()
    return proof


def _check_lengths(proof: Sequence[bytes]) -> None:
    for i, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"proof item {i} is {len(item)} bytes, not {HASH_SIZE}")


def _same(a: bytes, b: bytes, what: str) -> None:
    if not hmac.compare_digest(a, b):
        raise ProofError(f"{what}: computed {a.hex()[:16]}…, expected {b.hex()[:16]}…")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if index >= size or index < 0:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
    _check_lengths(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes] | None, root: bytes) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root`."""
    _same(root_from_inclusion_proof(index, size, leaf, proof or ()), root, "inclusion proof root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes] | None, root1: bytes, root2: bytes
) -> None:
    """Raise ProofError unless `proof` shows the tree (size1, root1) is a prefix of (size2, root2)."""
    proof = list(proof or ())
    if size1 == 0:
        # Every tree extends the empty tree, so such a "proof" proves nothing: refuse to pretend.
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == size2:
        if proof:
            raise ProofError("sizes are equal, so the proof must be empty")
        _same(root1, root2, "equal-size roots")
        return
    if not proof:
        raise ProofError("empty consistency proof for different sizes")
    _check_lengths(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the first node of the path
        proof = [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the tree is deep")
    _same(fr, root1, "consistency proof, old root")
    _same(sr, root2, "consistency proof, new root")


class CompactRange:
    """The right edge of a growing tree: one perfect-subtree root per set bit of `size`, largest first.

    Appending merges equal-sized subtrees like binary addition, so an append costs O(log n) hashes and
    the root of the whole tree is available at any size without re-reading earlier leaves.
    """

    __slots__ = ("_nodes", "_size")

    def __init__(self, size: int = 0, nodes: Iterable[bytes] = ()) -> None:
        self._size = size
        self._nodes = list(nodes)
        if len(self._nodes) != size.bit_count():
            raise ValueError(f"a compact range of size {size} holds {size.bit_count()} nodes")

    @property
    def size(self) -> int:
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        return tuple(self._nodes)

    def append(self, leaf: bytes) -> None:
        nodes, size, sha = self._nodes, self._size, hashlib.sha256
        node = leaf
        while size & 1:
            node = sha(_NODE + nodes.pop() + node).digest()
            size >>= 1
        nodes.append(node)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self._nodes:
            return EMPTY_ROOT
        it = reversed(self._nodes)
        r = next(it)
        for node in it:
            r = node_hash(node, r)
        return r

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._nodes)
