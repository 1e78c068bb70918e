"""service outcomes: "did that help?" answers, for the supervisors' resolved-by-bot figure

Revision ID: 5d0e8b3c1f72
Revises: 37e43551ce42
Create Date: 2026-12-05 23:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d0e8b3c1f72'
down_revision: str | None = '37e43551ce42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_outcomes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('helped', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_outcomes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('service_outcomes', schema=None) as batch_op:
        batch_op.create_index('ix_service_outcomes_tenant_at', ['tenant', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_outcomes', schema=None) as batch_op:
        batch_op.drop_index('ix_service_outcomes_tenant_at')
    op.drop_table('service_outcomes')
