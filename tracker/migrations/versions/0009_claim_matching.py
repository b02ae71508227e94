"""reference library and claim vectors for "checked before" matching (#12)

``reference`` holds published fact-checks that are not part of the review
queue (ClaimReview feeds, CSV/TSV); ``claim_vector`` holds each claim's
sentence vector and its best earlier match, so the queue can filter on it.

Revision ID: 0009
Revises: 0008 (re-chained onto 0008 when merged)
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.migrations.rebuild import batch_alter_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("rating_label", sa.String(length=200), nullable=True),
        sa.Column("rating_value", sa.Float(), nullable=True),
        sa.Column("rating_name", sa.String(length=100), nullable=True),
        sa.Column("claimant", sa.String(length=300), nullable=True),
        sa.Column("appearance", sa.String(length=2000), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_reference_key"),
    )
    op.create_table(
        "claim_vector",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("text_sha", sa.String(length=64), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("best_kind", sa.String(length=20), nullable=True),
        sa.Column("best_id", sa.Integer(), nullable=True),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("generation", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.PrimaryKeyConstraint("claim_id"),
    )
    with batch_alter_table("claim_vector", schema=None) as batch_op:
        batch_op.create_index("ix_claim_vector_best_score", ["best_score"], unique=False)


def downgrade() -> None:
    with batch_alter_table("claim_vector", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_vector_best_score")
    op.drop_table("claim_vector")
    op.drop_table("reference")
