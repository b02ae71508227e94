"""source tally: sources per stance kept with the writes; claim_vector.generation indexed (#10)

``source_tally(article_id, stance, n)``: how many sources the queued claims
(not below-threshold candidates) of each article have per stance, and the same
over every article as ``article_id`` 0. The overview read it from the source
index before, a scan of every source (2.6 million at 1M claims: 150-450 ms on
SQLite). Triggers keep it in the transaction of every source insert, update
and delete, and of a claim update that moves it between articles or in or out
of the candidates (``promote_candidate``), like 0016's claim tally.

Sources are never deleted with their claim (no cascade: the foreign key refuses
to delete a claim that has sources), so a claim delete needs no trigger.

``ix_claim_vector_generation``: the refresh of stored matches (#12) looks for
the newest stamp, the pending rows and rows of an old stamp format on every
queue page; without an index each is a scan of every claim vector (1M claims
on SQLite: 260-330 ms each, several per page).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _for_source(row: str, delta: str) -> str:
    """SELECTs of the tally rows a source version adds ``delta`` to (none for a candidate's)."""
    return " UNION ALL ".join(
        f"SELECT {article} AS a, {row}.stance AS st, {delta} AS d FROM claim c "
        f"WHERE c.id = {row}.claim_id AND NOT c.below_threshold"
        for article in ("c.article_id", "0")
    )


def _for_claim(row: str, delta: str) -> str:
    """SELECTs of the tally rows a claim version's sources add ``delta`` to."""
    return " UNION ALL ".join(
        f"SELECT {article} AS a, s.stance AS st, {delta} AS d FROM source s "
        f"WHERE s.claim_id = {row}.id AND NOT {row}.below_threshold"
        for article in (f"{row}.article_id", "0")
    )


def _sqlite_add(rows: str) -> str:
    # WHERE true: SQLite's upsert after a SELECT needs a WHERE clause to parse
    return (
        f"INSERT INTO source_tally (article_id, stance, n) SELECT a, st, sum(d) FROM ({rows}) "
        "WHERE true GROUP BY a, st "
        "ON CONFLICT (article_id, stance) DO UPDATE SET n = n + excluded.n;"
    )


CLAIM_WATCHED = "below_threshold, article_id"


def sqlite_triggers() -> list[str]:
    moved = "old.below_threshold IS NOT new.below_threshold OR old.article_id IS NOT new.article_id"
    return [
        "CREATE TRIGGER source_tally_ai AFTER INSERT ON source BEGIN "
        f"{_sqlite_add(_for_source('new', '1'))} END",
        "CREATE TRIGGER source_tally_ad AFTER DELETE ON source BEGIN "
        f"{_sqlite_add(_for_source('old', '-1'))} END",
        "CREATE TRIGGER source_tally_au AFTER UPDATE OF stance, claim_id ON source "
        "WHEN old.stance IS NOT new.stance OR old.claim_id IS NOT new.claim_id BEGIN "
        f"{_sqlite_add(_for_source('old', '-1') + ' UNION ALL ' + _for_source('new', '1'))} END",
        f"CREATE TRIGGER source_tally_claim_au AFTER UPDATE OF {CLAIM_WATCHED} ON claim "
        f"WHEN {moved} BEGIN "
        f"{_sqlite_add(_for_claim('old', '-1') + ' UNION ALL ' + _for_claim('new', '1'))} END",
    ]


SQLITE_TRIGGERS = ("source_tally_ai", "source_tally_ad", "source_tally_au", "source_tally_claim_au")


def _pg_function(name: str, rows: str) -> str:
    # Summed per key and upserted in key order: one lock order for every writer.
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO source_tally AS t (article_id, stance, n)
  SELECT a, st, sum(d) FROM ({rows}) AS changes
  GROUP BY a, st HAVING sum(d) <> 0 ORDER BY a, st
  ON CONFLICT (article_id, stance) DO UPDATE SET n = t.n + excluded.n;
  RETURN NULL;
END $$
"""


# OLD is NULL on INSERT and NEW on DELETE, which the TG_OP conditions leave out.
_PG_SOURCE = _pg_function(
    "source_tally_keep",
    f"SELECT * FROM ({_for_source('OLD', '-1')}) AS x WHERE TG_OP <> 'INSERT' UNION ALL "
    f"SELECT * FROM ({_for_source('NEW', '1')}) AS y WHERE TG_OP <> 'DELETE'",
)
_PG_CLAIM = _pg_function(
    "source_tally_claim_keep", f"{_for_claim('OLD', '-1')} UNION ALL {_for_claim('NEW', '1')}"
)


def backfill() -> list[str]:
    """The tally of the sources already there, per article and over all of them."""
    return [
        "INSERT INTO source_tally (article_id, stance, n) "
        f"SELECT {article}, s.stance, count(*) FROM source s JOIN claim c ON c.id = s.claim_id "
        f"WHERE NOT c.below_threshold GROUP BY {group}s.stance"
        for article, group in (("c.article_id", "c.article_id, "), ("0", ""))
    ]


def upgrade() -> None:
    op.create_table(
        "source_tally",
        sa.Column("article_id", sa.Integer(), nullable=False),  # 0: every article
        sa.Column("stance", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("article_id", "stance"),
    )
    op.create_index("ix_claim_vector_generation", "claim_vector", ["generation"])
    for statement in backfill():
        op.execute(statement)
    if op.get_context().dialect.name == "sqlite":
        for statement in sqlite_triggers():
            op.execute(statement)
    else:
        op.execute(_PG_SOURCE)
        op.execute(_PG_CLAIM)
        op.execute(
            "CREATE TRIGGER source_tally_keep AFTER INSERT OR DELETE OR UPDATE OF stance, "
            "claim_id ON source FOR EACH ROW EXECUTE FUNCTION source_tally_keep()"
        )
        op.execute(
            f"CREATE TRIGGER source_tally_claim_keep AFTER UPDATE OF {CLAIM_WATCHED} ON claim "
            "FOR EACH ROW WHEN (OLD.below_threshold IS DISTINCT FROM NEW.below_threshold "
            "OR OLD.article_id IS DISTINCT FROM NEW.article_id) "
            "EXECUTE FUNCTION source_tally_claim_keep()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER source_tally_keep ON source")
        op.execute("DROP TRIGGER source_tally_claim_keep ON claim")
        op.execute("DROP FUNCTION source_tally_keep()")
        op.execute("DROP FUNCTION source_tally_claim_keep()")
    op.drop_table("source_tally")
    op.drop_index("ix_claim_vector_generation", table_name="claim_vector")
