"""RFC 9162 Merkle hashing: every transparency-dev vector in tests/testdata/merkle, plus properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarraf.policy.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parents[1] / "testdata" / "merkle"


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(raw: list[str] | None) -> list[bytes]:
    return [_b64(p) for p in raw or []]


def _vectors(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def test_vectors_are_present() -> None:
    # The parametrised tests below would silently run zero cases without the vectors.
    assert len(_vectors("inclusion")) >= 90
    assert len(_vectors("consistency")) >= 95


@pytest.mark.parametrize("path", _vectors("inclusion"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    args = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v["proof"]), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _vectors("consistency"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    args = (v["size1"], v["size2"], _proof(v["proof"]), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_happy_path_vectors_match_our_generated_proofs() -> None:
    # The vectors' tree is the RFC 6962 reference tree of eight leaves.
    leaves = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
              b"\x50\x51\x52\x53\x54\x55\x56\x57", b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"]
    hashes = [leaf_hash(x) for x in leaves]
    for path in _vectors("inclusion"):
        v = json.loads(path.read_text())
        if path.name == "happy-path.json" and v["treeSize"] <= len(hashes):
            tree = hashes[: v["treeSize"]]
            assert root_from_leaf_hashes(tree) == _b64(v["root"])
            assert inclusion_proof(tree, v["leafIdx"]) == _proof(v["proof"])
    for path in _vectors("consistency"):
        v = json.loads(path.read_text())
        if path.name == "happy-path.json" and v["size2"] <= len(hashes) and v["size1"] != v["size2"]:
            assert consistency_proof(hashes[: v["size2"]], v["size1"]) == _proof(v["proof"])


def test_empty_tree_root() -> None:
    assert root_from_leaf_hashes([]) == EMPTY_ROOT == CompactRange().root()


def _hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@given(st.integers(1, 300), st.data())
@settings(max_examples=150, deadline=None)
def test_generated_inclusion_proofs_verify(n: int, data: st.DataObject) -> None:
    hashes = _hashes(n)
    index = data.draw(st.integers(0, n - 1))
    verify_inclusion(index, n, hashes[index], inclusion_proof(hashes, index), root_from_leaf_hashes(hashes))


@given(st.integers(1, 300), st.data())
@settings(max_examples=150, deadline=None)
def test_generated_consistency_proofs_verify(n: int, data: st.DataObject) -> None:
    hashes = _hashes(n)
    m = data.draw(st.integers(1, n))
    verify_consistency(m, n, consistency_proof(hashes, m), root_from_leaf_hashes(hashes[:m]),
                       root_from_leaf_hashes(hashes))


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@given(st.integers(2, 200), st.data())
@settings(max_examples=150, deadline=None)
def test_any_single_bit_flip_breaks_inclusion(n: int, data: st.DataObject) -> None:
    hashes = _hashes(n)
    index = data.draw(st.integers(0, n - 1))
    proof = inclusion_proof(hashes, index)
    root = root_from_leaf_hashes(hashes)
    leaf = hashes[index]
    target = data.draw(st.sampled_from(["leaf", "root", "proof"] if proof else ["leaf", "root"]))
    bit = data.draw(st.integers(0, 255))
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        root = _flip(root, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = _flip(proof[i], bit)
    with pytest.raises(ProofError):
        verify_inclusion(index, n, leaf, proof, root)


@given(st.integers(2, 200), st.data())
@settings(max_examples=150, deadline=None)
def test_any_single_bit_flip_breaks_consistency(n: int, data: st.DataObject) -> None:
    hashes = _hashes(n)
    m = data.draw(st.integers(1, n - 1))
    proof = consistency_proof(hashes, m)
    roots = [root_from_leaf_hashes(hashes[:m]), root_from_leaf_hashes(hashes)]
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.integers(0, len(proof) + 1))
    if target < 2:
        roots[target] = _flip(roots[target], bit)
    else:
        proof[target - 2] = _flip(proof[target - 2], bit)
    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, roots[0], roots[1])


@given(st.integers(0, 600))
@settings(max_examples=60, deadline=None)
def test_compact_range_matches_full_tree_at_every_size(n: int) -> None:
    hashes = _hashes(n)
    compact = CompactRange()
    compact.extend(hashes)
    assert compact.size == n
    assert compact.root() == root_from_leaf_hashes(hashes)
    resumed = CompactRange(compact.size, compact.nodes)
    resumed.append(leaf_hash(b"next"))
    assert resumed.root() == root_from_leaf_hashes([*hashes, leaf_hash(b"next")])


def test_compact_range_refuses_wrong_node_count() -> None:
    with pytest.raises(ValueError, match="holds 2 nodes"):
        CompactRange(3, [EMPTY_ROOT])
