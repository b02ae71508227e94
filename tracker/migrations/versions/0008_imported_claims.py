"""claims imported from other trackers: collections, claimant, date, context, label

``article.kind`` is ``article`` (a text its claims quote) or ``collection``
(no text; its claims carry an empty quote at 0:0). Claims get the nullable
``claimant``, ``claim_date``, ``context`` and ``foreign_label`` (another
tracker's verdict label, kept as it was) (#13).

Revision ID: 0008
Revises: 0007 (re-chained onto 0007 when the ClaimReview branch merges)
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa

from tracker.migrations.rebuild import batch_alter_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="article")
        )
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimant", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("claim_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("context", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("foreign_label", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("foreign_label")
        batch_op.drop_column("context")
        batch_op.drop_column("claim_date")
        batch_op.drop_column("claimant")
    with batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("kind")
