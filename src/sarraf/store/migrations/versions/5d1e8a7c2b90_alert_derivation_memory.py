"""alerts derived from standard OB events: per-account derivation memory

Revision ID: 5d1e8a7c2b90
Revises: 5e7a11c0d2f4
Create Date: 2026-12-05 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1e8a7c2b90"
down_revision: str | None = "5e7a11c0d2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_derivation_memory",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("memory", sa.JSON(), nullable=False),
        sa.Column("last_booking_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "account_id"),
    )


def downgrade() -> None:
    op.drop_table("alert_derivation_memory")
