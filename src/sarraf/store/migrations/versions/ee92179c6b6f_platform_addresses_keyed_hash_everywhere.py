"""platform addresses outside channel_identities: the identity's keyed hash, opened from it to deliver

Revision ID: ee92179c6b6f
Revises: 5c1d2e8f7a90
Create Date: 2026-12-06 03:00:00.000000

Data only (the columns keep their type: a keyed hash fits them). Existing rows are converted here
(store/address_migration.py) with the key provider the gateway hands Alembic (store/database.py `migrate`):
without it, a database holding addresses in clear is refused with the reason, before any change.
"""

from collections.abc import Sequence
from typing import Any

from alembic import op

from sarraf.store.address_migration import hash_clear_addresses, open_hashed_addresses, refuse_without_keys

revision: str = "ee92179c6b6f"
down_revision: str | None = "5c1d2e8f7a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keys() -> Any:
    """The key provider `store.database.migrate` hands Alembic (None when run without one)."""
    config = op.get_context().config
    return config.attributes.get("key_provider") if config is not None else None


def upgrade() -> None:
    keys = _keys()
    refuse_without_keys(op.get_bind(), keys)
    hash_clear_addresses(op.get_bind(), keys)


def downgrade() -> None:
    open_hashed_addresses(op.get_bind(), _keys())
