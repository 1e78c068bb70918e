"""platform ids: keyed hash for lookups (identities, service windows), sealed where we send to them

Revision ID: 5c1d2e8f7a90
Revises: 5b1f0c2d7e93
Create Date: 2026-12-05 23:55:00.000000

Existing rows are converted here (store/identity_migration.py) with the key provider the gateway hands
Alembic (store/database.py `migrate`): without it, a database holding identities is refused with the reason.
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from sarraf.store.identity_migration import open_sealed_identities, refuse_without_keys, seal_clear_identities

revision: str = '5c1d2e8f7a90'
down_revision: str | None = '5b1f0c2d7e93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TABLES = ('channel_identities', 'link_sessions')


def _keys() -> Any:
    """The key provider `store.database.migrate` hands Alembic (None when run without one)."""
    config = op.get_context().config
    return config.attributes.get("key_provider") if config is not None else None


def upgrade() -> None:
    keys = _keys()
    refuse_without_keys(op.get_bind(), keys)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('sender_sealed', sa.LargeBinary(), nullable=True))
    seal_clear_identities(op.get_bind(), keys)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('sender_sealed', existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table('link_sessions', schema=None) as batch_op:
        batch_op.drop_column('sender')


def downgrade() -> None:
    with op.batch_alter_table('link_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=255), nullable=True))
    open_sealed_identities(op.get_bind(), _keys())
    with op.batch_alter_table('link_sessions', schema=None) as batch_op:
        batch_op.alter_column('sender', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('sender_sealed')
    with op.batch_alter_table('channel_identities', schema=None) as batch_op:
        batch_op.drop_column('sender_sealed')
