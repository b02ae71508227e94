"""claim tally: queue counts and overview groupings kept with the writes (#10)

``claim_tally(article_id, dim, key, n)``: how many queued claims (not
below-threshold candidates) each article has per ``status``, ``flag_reason``,
``reviewer`` (``last_reviewed_by``) and ``assignee`` (``key`` is '' for none),
and the same over every article as ``article_id`` 0. Triggers keep it in the
transaction that inserts, updates or deletes a claim, so every write path
(services, imports, copies, the benchmark generator's bulk rows) keeps it
without knowing about it; the queue's unfiltered counts and the overview read a
few rows instead of scanning an index of every claim.

On PostgreSQL the rows a write changes are upserted in one statement in key
order, so two writers lock shared rows (the article-0 ones) in the same order.

Like 0011's text-index triggers: a later migration that makes Alembic
*recreate* ``claim`` on SQLite (batch mode) drops these triggers with the old
table and must create them again (``sqlite_triggers()``).

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

# dim -> the claim column it counts ('' stands for NULL)
DIMS = {
    "status": "status",
    "flag_reason": "flag_reason",
    "reviewer": "last_reviewed_by",
    "assignee": "assignee",
}
WATCHED = ", ".join(["below_threshold", "article_id", *DIMS.values()])


def _rows(row: str, delta: str) -> str:
    """SELECTs of the tally rows one claim version adds ``delta`` to."""
    return " UNION ALL ".join(
        f"SELECT {article}, '{dim}', coalesce({row}.{column}, ''), {delta}"
        for article in (f"{row}.article_id", "0")
        for dim, column in DIMS.items()
    )


def _sqlite_add(row: str, delta: str) -> str:
    # WHERE true: SQLite's upsert after a SELECT needs a WHERE clause to parse
    return (
        f"INSERT INTO claim_tally (article_id, dim, key, n) SELECT * FROM ({_rows(row, delta)}) "
        f"WHERE NOT {row}.below_threshold "
        "ON CONFLICT (article_id, dim, key) DO UPDATE SET n = n + excluded.n;"
    )


def sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED.split(", "))
    return [
        f"CREATE TRIGGER claim_tally_ai AFTER INSERT ON claim BEGIN {_sqlite_add('new', '1')} END",
        f"CREATE TRIGGER claim_tally_ad AFTER DELETE ON claim BEGIN {_sqlite_add('old', '-1')} END",
        f"CREATE TRIGGER claim_tally_au AFTER UPDATE OF {WATCHED} ON claim WHEN {changed} BEGIN "
        f"{_sqlite_add('old', '-1')} {_sqlite_add('new', '1')} END",
    ]


# Old and new rows summed per key and upserted in key order (one lock order for all);
# OLD is NULL on INSERT and NEW on DELETE, which the WHERE clauses leave out.
_PG_FUNCTION = f"""
CREATE FUNCTION claim_tally_keep() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO claim_tally AS t (article_id, dim, key, n)
  SELECT a, d, k, sum(delta) FROM (
    SELECT * FROM ({_rows("OLD", "-1")}) AS x WHERE TG_OP <> 'INSERT' AND NOT OLD.below_threshold
    UNION ALL
    SELECT * FROM ({_rows("NEW", "1")}) AS y WHERE TG_OP <> 'DELETE' AND NOT NEW.below_threshold
  ) AS changes (a, d, k, delta)
  GROUP BY a, d, k HAVING sum(delta) <> 0 ORDER BY a, d, k
  ON CONFLICT (article_id, dim, key) DO UPDATE SET n = t.n + excluded.n;
  RETURN NULL;
END $$
"""


def backfill() -> list[str]:
    """The tally of the claims already there, per article and over all of them."""
    return [
        "INSERT INTO claim_tally (article_id, dim, key, n) "
        f"SELECT {article}, '{dim}', coalesce({column}, ''), count(*) FROM claim "
        f"WHERE NOT below_threshold GROUP BY {group}coalesce({column}, '')"
        for dim, column in DIMS.items()
        for article, group in (("article_id", "article_id, "), ("0", ""))
    ]


def upgrade() -> None:
    op.create_table(
        "claim_tally",
        sa.Column("article_id", sa.Integer(), nullable=False),  # 0: every article
        sa.Column("dim", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("article_id", "dim", "key"),
    )
    for statement in backfill():
        op.execute(statement)
    if op.get_context().dialect.name == "sqlite":
        for statement in sqlite_triggers():
            op.execute(statement)
    else:
        op.execute(_PG_FUNCTION)
        op.execute(
            f"CREATE TRIGGER claim_tally_keep AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
            "ON claim FOR EACH ROW EXECUTE FUNCTION claim_tally_keep()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for name in ("claim_tally_ai", "claim_tally_ad", "claim_tally_au"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER claim_tally_keep ON claim")
        op.execute("DROP FUNCTION claim_tally_keep()")
    op.drop_table("claim_tally")
