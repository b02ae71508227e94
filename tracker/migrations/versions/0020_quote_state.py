"""A lost quote is a state of its claim, not a stale offset

``claim.quote_lost_in`` is the article revision whose text no longer has the
claim's quote (None: the quote is in the current text); the claim's offsets
then belong to the revision before it. ``claim.quote_replacement`` is the new
candidate the import proposed in its place, if any. A claim in that state is
not confirmed, rated or published until a reviewer moves or dismisses it.

Existing databases: a claim of an article (not a collection) whose quote is
not at its offsets in the current text is marked lost in the current revision.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild): the claim table's triggers stay as they are
    op.add_column("claim", sa.Column("quote_lost_in", sa.Integer(), nullable=True))
    op.add_column("claim", sa.Column("quote_replacement", sa.Integer(), nullable=True))
    op.create_index("ix_claim_quote_lost_in", "claim", ["quote_lost_in"])
    op.execute(
        """
        UPDATE claim SET quote_lost_in = (
            SELECT article.revision FROM article WHERE article.id = claim.article_id
        )
        WHERE EXISTS (
            SELECT 1 FROM article
            WHERE article.id = claim.article_id AND article.kind = 'article'
              AND substr(article.text, claim.quote_start + 1,
                         claim.quote_end - claim.quote_start) <> claim.quote
        )
        """
    )


def downgrade() -> None:
    op.drop_index("ix_claim_quote_lost_in", "claim")
    op.drop_column("claim", "quote_replacement")
    op.drop_column("claim", "quote_lost_in")
