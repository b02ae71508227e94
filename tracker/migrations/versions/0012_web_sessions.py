"""dashboard sessions that survive a reload; an index for recent reviews

- ``web_session``: one row per signed-in dashboard session, keyed by the
  SHA-256 of the random token the browser keeps in its cookie (the token
  itself is never stored), with the account, the account's session epoch when
  it began, when it began, when it was last seen and when it expires at the
  latest (#11).
- The overview's pace (#11) reads ranges of indexes, never the whole audit
  trail: ``ix_event_action_at`` on ``event(action, at)`` (verdicts of the last
  30 days per reviewer and day), ``ix_claim_pending`` on
  ``claim(status, confirmed_by, below_threshold)`` (verdicts pending
  confirmation, counted from the index alone) and ``ix_claim_confirmed_at``
  (verdicts confirmed in the last 30 days, for the median time to confirm).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_web_session_account_id", "web_session", ["account_id"])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.create_index("ix_event_action_at", "event", ["action", "at"])
    op.create_index("ix_claim_pending", "claim", ["status", "confirmed_by", "below_threshold"])
    op.create_index("ix_claim_confirmed_at", "claim", ["confirmed_at"])


def downgrade() -> None:
    op.drop_index("ix_claim_confirmed_at", "claim")
    op.drop_index("ix_claim_pending", "claim")
    op.drop_index("ix_event_action_at", "event")
    op.drop_index("ix_web_session_expires_at", "web_session")
    op.drop_index("ix_web_session_account_id", "web_session")
    op.drop_table("web_session")
