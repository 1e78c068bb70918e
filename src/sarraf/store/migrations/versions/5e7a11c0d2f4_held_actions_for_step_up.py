"""held actions for step-up authentication (issue #18)

Revision ID: 5e7a11c0d2f4
Revises: 5d0e8b3c1f72
Create Date: 2026-12-05 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e7a11c0d2f4"
down_revision: str | None = "5d0e8b3c1f72"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_actions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("argument", sa.String(length=255), nullable=True),
        sa.Column("login_state", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login_state"),
    )
    with op.batch_alter_table("held_actions", schema=None) as batch_op:
        batch_op.create_index("ix_held_actions_customer", ["tenant", "customer_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_held_actions_customer")
    op.drop_table("held_actions")
