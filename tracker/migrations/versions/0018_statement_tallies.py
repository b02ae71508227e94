"""PostgreSQL: the claim and source tallies kept once per statement, not per row (#10)

0016 and 0017 kept ``claim_tally`` and ``source_tally`` with row-level triggers:
every claim inserted updated the same eight tally rows (its article's and
article 0's). Inside one transaction PostgreSQL keeps every version of a row it
updates until the commit, and each update walks the chain of versions before it,
so a bulk import of N claims cost O(N²): 10,000 rows of a mapped import took 31 s,
20,000 took 64 s, a million did not finish.

Here each INSERT, UPDATE and DELETE *statement* on ``claim`` and ``source``
runs one trigger that reads the statement's transition tables (``REFERENCING
OLD TABLE / NEW TABLE``), sums the changes per tally key and upserts them once,
in key order (one lock order for every writer, as before). A bulk import writes
each chunk with one multi-row statement (``tracker.bulk.insert_rows``), so the
tally rows get one version per chunk instead of one per claim.

PostgreSQL allows transition tables only on single-event triggers without a
column list, so there are three triggers per table, and the UPDATE ones run
for every UPDATE: rows whose counted columns did not change cancel out (their
old and new versions sum to zero) before any tally row is touched.

SQLite keeps 0016/0017's row triggers: it has no MVCC version chains, and its
bulk imports stay linear.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# 0016 and 0017 as they made their row triggers (the downgrade makes them again)
_ROW_CLAIMS = importlib.import_module("tracker.migrations.versions.0016_claim_tally")
_ROW_SOURCES = importlib.import_module("tracker.migrations.versions.0017_source_tally")
DIMS: dict[str, str] = _ROW_CLAIMS.DIMS  # dim -> the claim column it counts ('' for NULL)
_COUNTED = ", ".join(["article_id", *DIMS.values()])

# (table, event) -> trigger name; benchmarks/generate.py turns them off around its bulk rows
TRIGGERS = {
    ("claim", "INSERT"): "claim_tallies_insert",
    ("claim", "UPDATE"): "claim_tallies_update",
    ("claim", "DELETE"): "claim_tallies_delete",
    ("source", "INSERT"): "source_tally_insert",
    ("source", "UPDATE"): "source_tally_update",
    ("source", "DELETE"): "source_tally_delete",
}
_TRANSITIONS = {
    "INSERT": ("NEW TABLE AS new_rows",),
    "UPDATE": ("OLD TABLE AS old_rows", "NEW TABLE AS new_rows"),
    "DELETE": ("OLD TABLE AS old_rows",),
}


def _versions(event: str, columns: str, where: str) -> str:
    """The statement's old rows with -1 and its new rows with +1 (what the event has)."""
    parts = []
    if event != "INSERT":
        parts.append(f"SELECT {columns}, -1 AS delta FROM old_rows {where}")
    if event != "DELETE":
        parts.append(f"SELECT {columns}, 1 AS delta FROM new_rows {where}")
    return " UNION ALL ".join(parts)


def _claim_tally(event: str) -> str:
    """Upsert into claim_tally what the statement changed, summed per key."""
    keys = ", ".join(
        f"({article}, '{dim}', coalesce(c.{column}, ''))"
        for dim, column in DIMS.items()
        for article in ("c.article_id", "0")
    )
    return f"""
  INSERT INTO claim_tally AS t (article_id, dim, key, n)
  SELECT k.a, k.d, k.k, sum(c.delta) FROM (
    SELECT {_COUNTED}, sum(delta) AS delta FROM (
      {_versions(event, _COUNTED, "WHERE NOT below_threshold")}
    ) AS v GROUP BY {_COUNTED} HAVING sum(delta) <> 0
  ) AS c CROSS JOIN LATERAL (VALUES {keys}) AS k (a, d, k)
  GROUP BY k.a, k.d, k.k HAVING sum(c.delta) <> 0 ORDER BY k.a, k.d, k.k
  ON CONFLICT (article_id, dim, key) DO UPDATE SET n = t.n + excluded.n;"""


# A claim's sources move with it between articles and in or out of the candidates;
# an inserted claim has no sources yet and a claim with sources cannot be deleted.
_CLAIM_SOURCES = f"""
  INSERT INTO source_tally AS t (article_id, stance, n)
  SELECT k.a, s.stance, sum(m.delta) FROM (
    SELECT id, article_id, sum(delta) AS delta FROM (
      {_versions("UPDATE", "id, article_id", "WHERE NOT below_threshold")}
    ) AS v GROUP BY id, article_id HAVING sum(delta) <> 0
  ) AS m JOIN source s ON s.claim_id = m.id
  CROSS JOIN LATERAL (VALUES (m.article_id), (0)) AS k (a)
  GROUP BY k.a, s.stance HAVING sum(m.delta) <> 0 ORDER BY k.a, s.stance
  ON CONFLICT (article_id, stance) DO UPDATE SET n = t.n + excluded.n;"""


def _source_tally(event: str) -> str:
    """Upsert into source_tally what a source statement changed (candidates' not counted)."""
    return f"""
  INSERT INTO source_tally AS t (article_id, stance, n)
  SELECT k.a, x.stance, sum(x.delta) FROM (
    {_versions(event, "claim_id, stance", "")}
  ) AS x JOIN claim c ON c.id = x.claim_id AND NOT c.below_threshold
  CROSS JOIN LATERAL (VALUES (c.article_id), (0)) AS k (a)
  GROUP BY k.a, x.stance HAVING sum(x.delta) <> 0 ORDER BY k.a, x.stance
  ON CONFLICT (article_id, stance) DO UPDATE SET n = t.n + excluded.n;"""


def _body(table: str, event: str) -> str:
    if table == "source":
        return _source_tally(event)
    return _claim_tally(event) + (_CLAIM_SOURCES if event == "UPDATE" else "")


def statement_triggers() -> list[str]:
    """The functions and statement-level triggers that keep both tallies on PostgreSQL."""
    statements = []
    for (table, event), name in TRIGGERS.items():
        statements.append(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path FROM CURRENT AS $$\nBEGIN{_body(table, event)}\n"
            "  RETURN NULL;\nEND $$"
        )
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            f"REFERENCING {' '.join(_TRANSITIONS[event])} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER claim_tally_keep ON claim")
    op.execute("DROP TRIGGER source_tally_keep ON source")
    op.execute("DROP TRIGGER source_tally_claim_keep ON claim")
    op.execute("DROP FUNCTION claim_tally_keep()")
    op.execute("DROP FUNCTION source_tally_keep()")
    op.execute("DROP FUNCTION source_tally_claim_keep()")
    for statement in statement_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for (table, _), name in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    for function in (_ROW_CLAIMS._PG_FUNCTION, _ROW_SOURCES._PG_SOURCE, _ROW_SOURCES._PG_CLAIM):
        op.execute(function)
    op.execute(
        "CREATE TRIGGER claim_tally_keep AFTER INSERT OR DELETE OR UPDATE OF "
        f"{_ROW_CLAIMS.WATCHED} "
        "ON claim FOR EACH ROW EXECUTE FUNCTION claim_tally_keep()"
    )
    op.execute(
        "CREATE TRIGGER source_tally_keep AFTER INSERT OR DELETE OR UPDATE OF stance, "
        "claim_id ON source FOR EACH ROW EXECUTE FUNCTION source_tally_keep()"
    )
    op.execute(
        "CREATE TRIGGER source_tally_claim_keep AFTER UPDATE OF below_threshold, article_id "
        "ON claim FOR EACH ROW WHEN (OLD.below_threshold IS DISTINCT FROM NEW.below_threshold "
        "OR OLD.article_id IS DISTINCT FROM NEW.article_id) "
        "EXECUTE FUNCTION source_tally_claim_keep()"
    )
