"""The background worker's lease row: one active worker per database, its last run and error

``tracker worker`` refreshes stored matches and re-checks stale links in its
own process. Before each cycle it takes (or renews) the lease in this table
with one compare-and-set UPDATE, which works alike on SQLite and PostgreSQL;
the row also records the last run, the last error and, for the dashboard's
"refresh pending" line, the change marker the last idle refresh checked.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_lease",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("matches_checked", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("worker_lease")
