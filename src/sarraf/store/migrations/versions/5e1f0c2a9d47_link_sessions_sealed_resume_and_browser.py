"""link sessions: the customer's pending question sealed, and the browser a login is bound to

Revision ID: 5e1f0c2a9d47
Revises: 8aacd060db54
Create Date: 2026-12-05 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f0c2a9d47"
down_revision: str | None = "8aacd060db54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pending logins live fifteen minutes: the ones in flight lose their clear-text question (the customer
    # asks again after linking) rather than have it copied somewhere unsealed.
    with op.batch_alter_table("link_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("browser", sa.String(length=64), nullable=True))
        batch_op.drop_column("resume_text")


def downgrade() -> None:
    with op.batch_alter_table("link_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_text", sa.Text(), nullable=True))
        batch_op.drop_column("browser")
        batch_op.drop_column("resume_sealed")
