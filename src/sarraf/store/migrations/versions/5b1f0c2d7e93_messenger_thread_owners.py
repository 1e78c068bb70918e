"""messenger thread owners (Handover Protocol)

Revision ID: 5b1f0c2d7e93
Revises: 5d1e8a7c2b90
Create Date: 2026-12-06 00:05:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b1f0c2d7e93'
down_revision: str | None = '5d1e8a7c2b90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('messenger_thread_owners',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('customer', sa.String(length=255), nullable=False),
    sa.Column('owner_app_id', sa.String(length=64), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'customer', name=op.f('pk_messenger_thread_owners'))
    )


def downgrade() -> None:
    op.drop_table('messenger_thread_owners')
