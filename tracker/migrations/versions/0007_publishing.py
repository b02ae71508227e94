"""the published fact-check: rating, verdict summary, who rated and when (#13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa

from tracker.migrations.rebuild import batch_alter_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("verdict_summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rated_by")
        batch_op.drop_column("verdict_summary")
        batch_op.drop_column("rating")
