"""article history: every revision's text, and audit events about articles

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.migrations.rebuild import batch_alter_table

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = ("UPDATE", "DELETE")


def _sqlite_triggers(create: bool) -> None:
    for verb in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS event_no_{verb.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER event_no_{verb.lower()} BEFORE {verb} ON event "
                "BEGIN SELECT RAISE(ABORT, 'event is append-only'); END"
            )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "article_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "revision", name="uq_article_revision"),
    )
    op.create_index("ix_article_revision_article_id", "article_revision", ["article_id"])
    # What exists today is each article's current text: keep it as its current revision.
    op.execute(
        "INSERT INTO article_revision (article_id, revision, text, sha256, created_by, created_at)"
        " SELECT id, revision, text, sha256, 'system', created_at FROM article"
    )
    if sqlite:
        _sqlite_triggers(create=False)  # the batch copy below recreates the table
    with batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("article_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_event_article_id", ["article_id"], unique=False)
        batch_op.create_foreign_key("fk_event_article_id", "article", ["article_id"], ["id"])
    if sqlite:
        _sqlite_triggers(create=True)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)
    with batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint("fk_event_article_id", type_="foreignkey")
        batch_op.drop_index("ix_event_article_id")
        batch_op.drop_column("article_id")
    if sqlite:
        _sqlite_triggers(create=True)
    op.drop_index("ix_article_revision_article_id", table_name="article_revision")
    op.drop_table("article_revision")
