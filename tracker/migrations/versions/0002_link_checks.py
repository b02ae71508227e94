"""link checks: per-source check history and link state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.migrations.rebuild import batch_alter_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_title", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("content_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("last_error_class", sa.String(length=30), nullable=True))
        batch_op.add_column(
            sa.Column("fail_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_source_last_checked_at", ["last_checked_at"], unique=False)

    op.create_table(
        "link_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("response_ms", sa.Integer(), nullable=True),
        sa.Column("error_class", sa.String(length=30), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with batch_alter_table("link_check", schema=None) as batch_op:
        batch_op.create_index("ix_link_check_source_id", ["source_id"], unique=False)


def downgrade() -> None:
    with batch_alter_table("link_check", schema=None) as batch_op:
        batch_op.drop_index("ix_link_check_source_id")
    op.drop_table("link_check")
    with batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index("ix_source_last_checked_at")
        for name in (
            "failing_since",
            "fail_count",
            "last_error_class",
            "content_type",
            "page_title",
        ):
            batch_op.drop_column(name)
