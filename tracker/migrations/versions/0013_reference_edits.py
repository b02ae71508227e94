"""reference.edited_at: the in-process matching index updates edited fact-checks (#12)

An import that changes a known fact-check (its title, rating, ...) stamps
``edited_at``; the matching index of every process re-reads only the rows
edited since its last look (and the rows with a higher id), instead of
rebuilding a million-row index (``tracker.matching.store``).

Revision ID: 0013
Revises: 0011 (re-chain onto the head when merged)
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from tracker.migrations.rebuild import batch_alter_table

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with batch_alter_table("reference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_reference_edited_at", ["edited_at"], unique=False)


def downgrade() -> None:
    with batch_alter_table("reference", schema=None) as batch_op:
        batch_op.drop_index("ix_reference_edited_at")
        batch_op.drop_column("edited_at")
