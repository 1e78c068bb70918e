"""payments: when the status of a submitted payment is next asked of its bank (the follower's schedule)

Revision ID: d4a7c9e2b611
Revises: ee92179c6b6f
Create Date: 2026-12-06 03:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd4a7c9e2b611'
down_revision: str | None = 'ee92179c6b6f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOWED = "next_check_at IS NOT NULL OR state = 'submitted'"


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('checks', sa.Integer(), nullable=False, server_default='0'))
    op.create_index('ix_payments_followed', 'payments', ['next_check_at'], unique=False,
                    sqlite_where=sa.text(FOLLOWED), postgresql_where=sa.text(FOLLOWED))


def downgrade() -> None:
    op.drop_index('ix_payments_followed', table_name='payments', sqlite_where=sa.text(FOLLOWED),
                  postgresql_where=sa.text(FOLLOWED))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('checks')
        batch_op.drop_column('next_check_at')
