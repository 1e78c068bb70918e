"""payments in chat

Revision ID: b7d2e4f19a30
Revises: 88d882c04631
Create Date: 2026-12-05 18:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7d2e4f19a30'
down_revision: str | None = '88d882c04631'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('draft', 'awaiting_confirmation')"


def upgrade() -> None:
    op.create_table('payments',
    sa.Column('payment_id', sa.String(length=64), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('asking', sa.String(length=16), nullable=True),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('consent_key', sa.String(length=40), nullable=False),
    sa.Column('payment_key', sa.String(length=40), nullable=False),
    sa.Column('consent_id', sa.String(length=128), nullable=True),
    sa.Column('auth_state', sa.String(length=128), nullable=True),
    sa.Column('bank_payment_id', sa.String(length=128), nullable=True),
    sa.Column('bank_status', sa.String(length=8), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('payment_id', name=op.f('pk_payments')),
    sa.UniqueConstraint('auth_state', name=op.f('uq_payments_auth_state'))
    )
    op.create_index('ix_payments_open', 'payments', ['tenant', 'customer_id'], unique=False,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index('ix_payments_open', table_name='payments', sqlite_where=sa.text(OPEN),
                  postgresql_where=sa.text(OPEN))
    op.drop_table('payments')
