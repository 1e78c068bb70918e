"""Audit log tables: Merkle leaves, signed checkpoints, and the append cache (compact range)."""

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table, Text

from sarraf.store.metadata import metadata

audit_leaves = Table(
    "audit_leaves",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False),  # canonical JSON (UTF-8), exactly what was hashed
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("previous", LargeBinary(32), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

# One row (id 1). A cache for appending after a restart; verify never trusts it.
audit_tree_state = Table(
    "audit_tree_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("nodes", LargeBinary, nullable=False),  # concatenated 32-byte compact-range nodes
)
