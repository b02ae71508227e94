"""scale: text index, source counts, queue indexes, verdict counters, change markers

- **Text index.** SQLite: FTS5 tables with the ``trigram`` tokenizer over
  ``claim(claim, quote)`` and ``note(body)`` (external content, so the text is
  not stored twice), kept in sync by triggers in the writing transaction.
  PostgreSQL: ``pg_trgm`` GIN indexes on the same columns, which ``ILIKE``
  uses. Both answer a literal, case-insensitive substring search of three
  characters or more from the index (see ``tracker.queries.search_condition``).
- ``claim.source_count``, kept by ``add_source`` in its transaction, so the
  queue sorts and filters by it through an index instead of counting per row.
- Indexes for every queue sort key and the overview's groupings.
- ``verdict_day``: status changes per article (and, as article 0, in all
  articles), day and new status, kept by ``review_claim``; the overview reads
  it instead of the event table.
- ``change_marker``: one counter per topic (claims, articles, accounts),
  bumped by the unit of work that changed it; dashboard caches are keyed by
  it, so every replica on the same database sees a change at its next rerun.

A later migration that makes Alembic *recreate* ``claim`` or ``note`` on
SQLite (batch mode with a change SQLite cannot ALTER in place) drops their
triggers with the old table and must create them again (``_sqlite_triggers``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.migrations.rebuild import batch_alter_table

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# (index name, columns) on claim: each sort key with id for ties (SQLite appends the
# rowid anyway); below_threshold last makes the index cover the queue's count and the
# overview's groupings (every list leaves candidates out), so they never read the table.
CLAIM_INDEXES = (
    ("ix_claim_source_count_id", ["source_count", "id", "below_threshold"]),
    ("ix_claim_updated_at_id", ["updated_at", "id"]),
    ("ix_claim_score_id", ["score", "id"]),
    ("ix_claim_claim_type_id", ["claim_type", "id", "below_threshold"]),
    ("ix_claim_section_id", ["section", "id"]),
    ("ix_claim_assignee_id", ["assignee", "id", "below_threshold"]),
    ("ix_claim_origin_id", ["origin", "id", "below_threshold"]),
    ("ix_claim_last_reviewed_by", ["last_reviewed_by", "below_threshold"]),
    ("ix_claim_flag_reason", ["flag_reason", "below_threshold"]),
    ("ix_claim_queue", ["below_threshold", "status", "id"]),
)
TOPICS = ("claims", "articles", "accounts")


def _sqlite_triggers() -> list[str]:
    return [
        "CREATE TRIGGER claim_fts_ai AFTER INSERT ON claim BEGIN "
        "INSERT INTO claim_fts(rowid, claim, quote) VALUES (new.id, new.claim, new.quote); END",
        "CREATE TRIGGER claim_fts_ad AFTER DELETE ON claim BEGIN "
        "INSERT INTO claim_fts(claim_fts, rowid, claim, quote) "
        "VALUES ('delete', old.id, old.claim, old.quote); END",
        "CREATE TRIGGER claim_fts_au AFTER UPDATE OF claim, quote ON claim BEGIN "
        "INSERT INTO claim_fts(claim_fts, rowid, claim, quote) "
        "VALUES ('delete', old.id, old.claim, old.quote); "
        "INSERT INTO claim_fts(rowid, claim, quote) VALUES (new.id, new.claim, new.quote); END",
        "CREATE TRIGGER note_fts_ai AFTER INSERT ON note BEGIN "
        "INSERT INTO note_fts(rowid, body) VALUES (new.id, new.body); END",
        "CREATE TRIGGER note_fts_ad AFTER DELETE ON note BEGIN "
        "INSERT INTO note_fts(note_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
        "CREATE TRIGGER note_fts_au AFTER UPDATE OF body ON note BEGIN "
        "INSERT INTO note_fts(note_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        "INSERT INTO note_fts(rowid, body) VALUES (new.id, new.body); END",
    ]


# pg_trgm goes to the public schema (the operator classes must outlive any one
# schema); the index DDL names the schema it actually lives in. Static SQL, so
# it works in Alembic's offline mode too.
_PG_TRGM = """
DO $$
DECLARE s text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
    END;
  END IF;
  SELECT n.nspname INTO s FROM pg_extension e
    JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX ix_claim_claim_trgm ON claim USING gin (claim %I.gin_trgm_ops)', s);
  EXECUTE format('CREATE INDEX ix_claim_quote_trgm ON claim USING gin (quote %I.gin_trgm_ops)', s);
  EXECUTE format('CREATE INDEX ix_note_body_trgm ON note USING gin (body %I.gin_trgm_ops)', s);
END $$
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE claim SET source_count = "
        "(SELECT count(*) FROM source WHERE source.claim_id = claim.id)"
    )
    for name, columns in CLAIM_INDEXES:
        op.create_index(name, "claim", columns)
    op.create_index("ix_source_stance_claim", "source", ["stance", "claim_id"])

    op.create_table(
        "verdict_day",
        sa.Column("article_id", sa.Integer(), nullable=False),  # 0: every article
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("article_id", "day", "status"),
    )
    day = "substr(CAST(event.at AS TEXT), 1, 10)" if sqlite else "to_char(event.at, 'YYYY-MM-DD')"
    op.execute(
        "INSERT INTO verdict_day (article_id, day, status, n) "
        f"SELECT claim.article_id, {day}, event.new_value, count(*) FROM event "
        "JOIN claim ON claim.id = event.claim_id "
        "WHERE event.field = 'status' AND event.new_value IS NOT NULL "
        f"GROUP BY claim.article_id, {day}, event.new_value"
    )
    op.execute(
        "INSERT INTO verdict_day (article_id, day, status, n) "
        "SELECT 0, day, status, sum(n) FROM verdict_day GROUP BY day, status"
    )

    op.create_table(
        "change_marker",
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("topic"),
    )
    op.bulk_insert(
        sa.table("change_marker", sa.column("topic", sa.String()), sa.column("n", sa.BigInteger())),
        [{"topic": t, "n": 0} for t in TOPICS],
    )

    if sqlite:
        op.execute(
            "CREATE VIRTUAL TABLE claim_fts USING fts5(claim, quote, content='claim', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE note_fts USING fts5(body, content='note', "
            "content_rowid='id', tokenize='trigram')"
        )
        for statement in _sqlite_triggers():
            op.execute(statement)
        op.execute("INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO note_fts(note_fts) VALUES ('rebuild')")
    else:
        op.execute(_PG_TRGM)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("claim_fts_ai", "claim_fts_ad", "claim_fts_au"):
            op.execute(f"DROP TRIGGER {name}")
        for name in ("note_fts_ai", "note_fts_ad", "note_fts_au"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE claim_fts")
        op.execute("DROP TABLE note_fts")
    else:
        for name in ("ix_claim_claim_trgm", "ix_claim_quote_trgm", "ix_note_body_trgm"):
            op.drop_index(name)
    op.drop_table("change_marker")
    op.drop_table("verdict_day")
    op.drop_index("ix_source_stance_claim", "source")
    for name, _columns in CLAIM_INDEXES:
        op.drop_index(name, "claim")
    with batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("source_count")
