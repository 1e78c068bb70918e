"""Tamper-evident audit log of disclosure decisions (RFC 9162 Merkle tree + signed checkpoints)."""

from sarraf.policy.audit.checkpoint import Checkpoint, CheckpointSigner
from sarraf.policy.audit.log import AuditLog, InclusionProof
from sarraf.policy.audit.merkle import ProofError
from sarraf.policy.audit.mirror import CheckpointMirror, FileCheckpointMirror
from sarraf.policy.audit.ports import AuditStore, StoredLeaf, TreeState
from sarraf.policy.audit.verify import VerifyReport

__all__ = [
    "AuditLog",
    "AuditStore",
    "Checkpoint",
    "CheckpointMirror",
    "CheckpointSigner",
    "FileCheckpointMirror",
    "InclusionProof",
    "ProofError",
    "StoredLeaf",
    "TreeState",
    "VerifyReport",
]
