"""extraction: candidate reasons, below-threshold candidates, article revisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa

from tracker.migrations.rebuild import batch_alter_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("below_threshold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("below_threshold")
        batch_op.drop_column("reasons")
