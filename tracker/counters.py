"""Derived data, and the one mechanism that keeps each kind.

- ``claim_tally``: queued claims (not below-threshold candidates) per article
  and status, flag reason, reviewer, assignee. Kept by triggers on ``claim``.
- ``source_tally``: the queued claims' sources per article and stance. Kept by
  triggers on ``source`` and ``claim`` (a claim moving carries its sources).
- ``claim.source_count``: a claim's sources (the queue sorts by it). Kept by
  triggers on ``source``.
- ``verdict_day``: status changes (``event`` rows of field ``status``) per
  article, UTC day and new status. Kept by a trigger on ``event``.
- ``change_marker``: which topics a transaction wrote (the dashboard's cache
  keys). Kept by the unit of work (:mod:`tracker.services.uow`).

**Counters are the database's triggers**, defined here once per backend and
installed by the migrations (``0022_counters``) and by ``metadata.create_all``
(:func:`attach`). A trigger runs in the transaction of the write it counts,
whoever writes: a use case, a multi-row batch import, a restore or a copy, raw
SQL in a benchmark. Python upkeep lives beside one write path and is missed
by the next (a statement that moves or deletes sources changed no
``source_count``). Article 0 holds the sums over every article. On SQLite they
are row triggers; on PostgreSQL statement triggers over the transition tables,
summed per key and upserted in key order (one lock order for every writer, and
one row version per statement instead of one per row: see 0018).

**Change markers are not counters** of rows but a "this topic changed" stamp:
bumped once per transaction, just before the commit, by the unit of work that
saw which tables it wrote. A trigger would bump the row once per statement
(PostgreSQL keeps a version of the row per bump within the transaction) and
hold its lock from the first write instead of from the commit.

SQLite drops a table's triggers when a migration rebuilds it;
:func:`tracker.migrations.rebuild.batch_alter_table` creates them again.
Changing a trigger here needs a migration that drops and creates them
(:func:`drop_statements`, :func:`create_statements`) and recounts
(:func:`recount_statements`); ``tests/test_counters.py`` checks that the
migrated database has these definitions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection

# claim_tally's dims -> the claim column each counts ('' stands for NULL)
DIMS = {
    "status": "status",
    "flag_reason": "flag_reason",
    "reviewer": "last_reviewed_by",
    "assignee": "assignee",
}
_COUNTED = ", ".join(["article_id", *DIMS.values()])
_CLAIM_WATCHED = ", ".join(["below_threshold", *_COUNTED.split(", ")])


def _day(dialect: str, column: str) -> str:
    """The UTC day of a timestamp, as verdict_day stores it (YYYY-MM-DD)."""
    if dialect == "sqlite":
        return f"substr(CAST({column} AS TEXT), 1, 10)"  # stored as UTC text
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


# --- what each counter should hold, counted from the record ---------------------------


def _per_article(select: str, keys: str) -> str:
    """``select`` (article_id, keys..., n) per article, and its sums as article 0."""
    return (
        f"SELECT article_id, {keys}, n FROM ({select}) AS per UNION ALL "
        f"SELECT 0, {keys}, sum(n) FROM ({select}) AS every GROUP BY {keys}"
    )


def expected(dialect: str) -> dict[str, str]:
    """Per counter table, a SELECT of the rows it should hold (key columns, then n)."""
    claims = " UNION ALL ".join(
        f"SELECT article_id, '{dim}' AS dim, coalesce({column}, '') AS key, count(*) AS n "
        f"FROM claim WHERE NOT below_threshold GROUP BY article_id, coalesce({column}, '')"
        for dim, column in DIMS.items()
    )
    sources = (
        "SELECT c.article_id AS article_id, s.stance AS stance, count(*) AS n FROM source s "
        "JOIN claim c ON c.id = s.claim_id WHERE NOT c.below_threshold "
        "GROUP BY c.article_id, s.stance"
    )
    day = _day(dialect, "e.at")
    verdicts = (
        f"SELECT c.article_id AS article_id, {day} AS day, e.new_value AS status, count(*) AS n "
        "FROM event e JOIN claim c ON c.id = e.claim_id "
        "WHERE e.field = 'status' AND e.new_value IS NOT NULL "
        f"GROUP BY c.article_id, {day}, e.new_value"
    )
    return {
        "claim_tally": _per_article(claims, "dim, key"),
        "source_tally": _per_article(sources, "stance"),
        "verdict_day": _per_article(verdicts, "day, status"),
    }


# the tables that hold counters (claim.source_count is a column of the record)
TABLES = ("claim_tally", "source_tally", "verdict_day")
TALLY_COLUMNS = {
    "claim_tally": "article_id, dim, key, n",
    "source_tally": "article_id, stance, n",
    "verdict_day": "article_id, day, status, n",
}
_SOURCE_COUNTS = "SELECT claim_id, count(*) FROM source GROUP BY claim_id"


def recount_statements(dialect: str) -> list[str]:
    """Statements that set every counter to its recount (a migration, a bulk load)."""
    statements = []
    for table, select in expected(dialect).items():
        statements.append(f"DELETE FROM {table}")
        statements.append(f"INSERT INTO {table} ({TALLY_COLUMNS[table]}) {select}")
    statements.append(
        "UPDATE claim SET source_count = "
        "(SELECT count(*) FROM source WHERE source.claim_id = claim.id) "
        "WHERE source_count <> (SELECT count(*) FROM source WHERE source.claim_id = claim.id)"
    )
    return statements


def recount(conn: Connection | Any) -> None:
    """Set every counter to its recount, in ``conn``'s transaction (a restore, a copy)."""
    for statement in recount_statements(_dialect(conn)):
        conn.execute(text(statement))


def _dialect(conn: Connection | Any) -> str:
    """The dialect of a connection or a session."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn
    return str(bind.dialect.name)


def drift(conn: Connection | Any) -> dict[str, dict[tuple[Any, ...], tuple[int, int]]]:
    """Per counter, the keys whose kept value differs from a recount: (kept, recount).

    Empty when every counter is right. ``conn`` is a connection or a session.
    """
    dialect = _dialect(conn)
    found: dict[str, dict[tuple[Any, ...], tuple[int, int]]] = {}
    for table, select in expected(dialect).items():
        kept = _by_key(conn, f"SELECT {TALLY_COLUMNS[table]} FROM {table}")
        found[table] = _differences(kept, _by_key(conn, select))
    kept = _by_key(conn, "SELECT id, source_count FROM claim")
    found["claim.source_count"] = _differences(kept, _by_key(conn, _SOURCE_COUNTS))
    return {name: diff for name, diff in found.items() if diff}


def _by_key(conn: Any, sql: str) -> dict[tuple[Any, ...], int]:
    return {tuple(row[:-1]): int(row[-1]) for row in conn.execute(text(sql)) if row[-1]}


def _differences(
    kept: dict[tuple[Any, ...], int], want: dict[tuple[Any, ...], int]
) -> dict[tuple[Any, ...], tuple[int, int]]:
    return {
        key: (kept.get(key, 0), want.get(key, 0))
        for key in kept.keys() | want.keys()
        if kept.get(key, 0) != want.get(key, 0)
    }


# --- SQLite: row triggers ------------------------------------------------------------------


def _sqlite_upsert(table: str, rows: str) -> str:
    # WHERE true: SQLite's upsert after a SELECT needs a WHERE clause to parse
    keys = TALLY_COLUMNS[table].removesuffix(", n")
    return (
        f"INSERT INTO {table} ({TALLY_COLUMNS[table]}) SELECT * FROM ({rows}) WHERE true "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = n + excluded.n;"
    )


def _claim_rows(row: str, delta: str) -> str:
    """The claim_tally rows one claim version adds ``delta`` to (none for a candidate)."""
    return " UNION ALL ".join(
        f"SELECT {article}, '{dim}', coalesce({row}.{column}, ''), {delta} "
        f"WHERE NOT {row}.below_threshold"
        for article in (f"{row}.article_id", "0")
        for dim, column in DIMS.items()
    )


def _source_rows(row: str, delta: str) -> str:
    """The source_tally rows a source version adds ``delta`` to (none for a candidate's)."""
    return " UNION ALL ".join(
        f"SELECT {article} AS a, {row}.stance AS st, {delta} AS d FROM claim c "
        f"WHERE c.id = {row}.claim_id AND NOT c.below_threshold"
        for article in ("c.article_id", "0")
    )


def _moved_sources(row: str, delta: str) -> str:
    """The source_tally rows a claim version's sources add ``delta`` to."""
    return " UNION ALL ".join(
        f"SELECT {article} AS a, s.stance AS st, {delta} AS d FROM source s "
        f"WHERE s.claim_id = {row}.id AND NOT {row}.below_threshold"
        for article in (f"{row}.article_id", "0")
    )


def _summed_sources(rows: str) -> str:
    return f"SELECT a, st, sum(d) FROM ({rows}) GROUP BY a, st"


def _source_count(row: str, delta: str) -> str:
    return f"UPDATE claim SET source_count = source_count + {delta} WHERE id = {row}.claim_id;"


def _verdict(dialect: str) -> str:
    return _sqlite_upsert(
        "verdict_day",
        f"SELECT a, {_day(dialect, 'new.at')}, new.new_value, 1 FROM "
        "(SELECT article_id AS a FROM claim WHERE id = new.claim_id UNION ALL SELECT 0)",
    )


def _sqlite_triggers() -> dict[str, str]:
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _CLAIM_WATCHED.split(", "))
    moved = "old.below_threshold IS NOT new.below_threshold OR old.article_id IS NOT new.article_id"
    old_new_sources = _source_rows("old", "-1") + " UNION ALL " + _source_rows("new", "1")
    old_new_moved = _moved_sources("old", "-1") + " UNION ALL " + _moved_sources("new", "1")
    return {
        "claim_tally_ai": "AFTER INSERT ON claim BEGIN "
        f"{_sqlite_upsert('claim_tally', _claim_rows('new', '1'))} END",
        "claim_tally_ad": "AFTER DELETE ON claim BEGIN "
        f"{_sqlite_upsert('claim_tally', _claim_rows('old', '-1'))} END",
        "claim_tally_au": f"AFTER UPDATE OF {_CLAIM_WATCHED} ON claim WHEN {changed} BEGIN "
        f"{_sqlite_upsert('claim_tally', _claim_rows('old', '-1'))} "
        f"{_sqlite_upsert('claim_tally', _claim_rows('new', '1'))} END",
        "source_tally_ai": "AFTER INSERT ON source BEGIN "
        f"{_sqlite_upsert('source_tally', _summed_sources(_source_rows('new', '1')))} "
        f"{_source_count('new', '1')} END",
        "source_tally_ad": "AFTER DELETE ON source BEGIN "
        f"{_sqlite_upsert('source_tally', _summed_sources(_source_rows('old', '-1')))} "
        f"{_source_count('old', '-1')} END",
        "source_tally_au": "AFTER UPDATE OF stance, claim_id ON source "
        "WHEN old.stance IS NOT new.stance OR old.claim_id IS NOT new.claim_id BEGIN "
        f"{_sqlite_upsert('source_tally', _summed_sources(old_new_sources))} "
        f"{_source_count('old', '-1')} {_source_count('new', '1')} END",
        "source_tally_claim_au": "AFTER UPDATE OF below_threshold, article_id ON claim "
        f"WHEN {moved} BEGIN "
        f"{_sqlite_upsert('source_tally', _summed_sources(old_new_moved))} END",
        "verdict_day_ai": "AFTER INSERT ON event "
        "WHEN new.field = 'status' AND new.new_value IS NOT NULL AND new.claim_id IS NOT NULL "
        f"BEGIN {_verdict('sqlite')} END",
    }


# --- PostgreSQL: statement triggers over the transition tables -----------------------------

_TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def _versions(op: str, columns: str, where: str) -> str:
    """The statement's old rows with -1 and its new rows with +1 (what the event has)."""
    parts = []
    if op != "INSERT":
        parts.append(f"SELECT {columns}, -1 AS delta FROM old_rows {where}")
    if op != "DELETE":
        parts.append(f"SELECT {columns}, 1 AS delta FROM new_rows {where}")
    return " UNION ALL ".join(parts)


def _pg_claim_tally(op: str) -> str:
    keys = ", ".join(
        f"({article}, '{dim}', coalesce(c.{column}, ''))"
        for dim, column in DIMS.items()
        for article in ("c.article_id", "0")
    )
    return f"""
  INSERT INTO claim_tally AS t (article_id, dim, key, n)
  SELECT k.a, k.d, k.k, sum(c.delta) FROM (
    SELECT {_COUNTED}, sum(delta) AS delta FROM (
      {_versions(op, _COUNTED, "WHERE NOT below_threshold")}
    ) AS v GROUP BY {_COUNTED} HAVING sum(delta) <> 0
  ) AS c CROSS JOIN LATERAL (VALUES {keys}) AS k (a, d, k)
  GROUP BY k.a, k.d, k.k HAVING sum(c.delta) <> 0 ORDER BY k.a, k.d, k.k
  ON CONFLICT (article_id, dim, key) DO UPDATE SET n = t.n + excluded.n;"""


# A claim's sources move with it between articles and in or out of the candidates;
# an inserted claim has no sources yet and a claim with sources cannot be deleted.
_PG_CLAIM_SOURCES = f"""
  INSERT INTO source_tally AS t (article_id, stance, n)
  SELECT k.a, s.stance, sum(m.delta) FROM (
    SELECT id, article_id, sum(delta) AS delta FROM (
      {_versions("UPDATE", "id, article_id", "WHERE NOT below_threshold")}
    ) AS v GROUP BY id, article_id HAVING sum(delta) <> 0
  ) AS m JOIN source s ON s.claim_id = m.id
  CROSS JOIN LATERAL (VALUES (m.article_id), (0)) AS k (a)
  GROUP BY k.a, s.stance HAVING sum(m.delta) <> 0 ORDER BY k.a, s.stance
  ON CONFLICT (article_id, stance) DO UPDATE SET n = t.n + excluded.n;"""


def _pg_source(op: str) -> str:
    return f"""
  INSERT INTO source_tally AS t (article_id, stance, n)
  SELECT k.a, x.stance, sum(x.delta) FROM (
    {_versions(op, "claim_id, stance", "")}
  ) AS x JOIN claim c ON c.id = x.claim_id AND NOT c.below_threshold
  CROSS JOIN LATERAL (VALUES (c.article_id), (0)) AS k (a)
  GROUP BY k.a, x.stance HAVING sum(x.delta) <> 0 ORDER BY k.a, x.stance
  ON CONFLICT (article_id, stance) DO UPDATE SET n = t.n + excluded.n;
  UPDATE claim AS c SET source_count = c.source_count + d.delta FROM (
    SELECT claim_id, sum(delta) AS delta FROM ({_versions(op, "claim_id", "")}) AS v
    GROUP BY claim_id HAVING sum(delta) <> 0
  ) AS d WHERE c.id = d.claim_id;"""


_PG_VERDICTS = f"""
  INSERT INTO verdict_day AS t (article_id, day, status, n)
  SELECT k.a, v.day, v.status, sum(v.n) FROM (
    SELECT c.article_id, {_day("postgresql", "e.at")} AS day, e.new_value AS status,
           count(*) AS n
    FROM new_rows e JOIN claim c ON c.id = e.claim_id
    WHERE e.field = 'status' AND e.new_value IS NOT NULL GROUP BY 1, 2, 3
  ) AS v CROSS JOIN LATERAL (VALUES (v.article_id), (0)) AS k (a)
  GROUP BY k.a, v.day, v.status ORDER BY k.a, v.day, v.status
  ON CONFLICT (article_id, day, status) DO UPDATE SET n = t.n + excluded.n;"""


# trigger (and function) name -> (table, event, body)
def _pg_triggers() -> dict[str, tuple[str, str, str]]:
    return {
        "claim_tallies_insert": ("claim", "INSERT", _pg_claim_tally("INSERT")),
        "claim_tallies_update": ("claim", "UPDATE", _pg_claim_tally("UPDATE") + _PG_CLAIM_SOURCES),
        "claim_tallies_delete": ("claim", "DELETE", _pg_claim_tally("DELETE")),
        "source_tally_insert": ("source", "INSERT", _pg_source("INSERT")),
        "source_tally_update": ("source", "UPDATE", _pg_source("UPDATE")),
        "source_tally_delete": ("source", "DELETE", _pg_source("DELETE")),
        "verdict_day_insert": ("event", "INSERT", _PG_VERDICTS),
    }


# --- installing ----------------------------------------------------------------------------


def triggers(dialect: str) -> dict[str, str]:
    """Trigger name -> the table it is on."""
    if dialect == "sqlite":
        return {
            name: sql.split(" ON ", 1)[1].split()[0] for name, sql in _sqlite_triggers().items()
        }
    return {name: table for name, (table, _, _) in _pg_triggers().items()}


def create_statements(dialect: str) -> list[str]:
    """The DDL that makes every counter trigger (and PostgreSQL's functions)."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER {name} {sql}" for name, sql in _sqlite_triggers().items()]
    statements = []
    for name, (table, op, body) in _pg_triggers().items():
        statements.append(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path FROM CURRENT AS $$\nBEGIN{body}\n  RETURN NULL;\nEND $$"
        )
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op} ON {table} {_TRANSITIONS[op]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER {name}" for name in _sqlite_triggers()]
    return [
        statement
        for name, table in triggers(dialect).items()
        for statement in (f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()")
    ]


def attach(metadata: MetaData) -> None:
    """Make ``metadata.create_all`` install the triggers after the tables."""

    @event.listens_for(metadata, "after_create")
    def _install(_target: Any, connection: Connection, **_kw: Any) -> None:
        for statement in create_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)
