"""Wrapped (encrypted) per-customer data keys for envelope encryption. Deleting a row crypto-shreds."""

from sqlalchemy import Column, DateTime, LargeBinary, String, Table, func

from sarraf.store.metadata import metadata

data_keys = Table(
    "data_keys",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("key_id", String(64), nullable=False),  # master key that wraps it, e.g. "local:v2"
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
