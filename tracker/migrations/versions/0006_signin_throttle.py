"""sign-in throttle for every name typed; session epoch on accounts

The failure counter moves from ``account`` to ``signin_attempt``, keyed by the
normalised name, so unknown names are counted and locked like known ones.
``account.session_epoch`` is bumped by a password change, a disable or a role
change; dashboard sessions of an older epoch are signed out.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.migrations.rebuild import batch_alter_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_attempt",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with batch_alter_table("signin_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_signin_attempt_updated_at", ["updated_at"], unique=False)
    with batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
        # Counted in signin_attempt from now on; an old count is not carried over.
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("session_epoch")
    with batch_alter_table("signin_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_signin_attempt_updated_at")
    op.drop_table("signin_attempt")
