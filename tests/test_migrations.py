"""The migrations build the schema the models declare, plus what only they make (#10)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel

from tracker import queries, services
from tracker.queries import ClaimFilter

from .conftest import migrate

INDEXES = ("ix_claim_claim_type_id", "ix_claim_assignee_id", "ix_claim_origin_id")  # 0019's

# Made by migrations alone: the text index (SQLite FTS5 tables, PostgreSQL trigram
# indexes), the tallies its triggers keep, the source index the overview reads.
ONLY_MIGRATIONS_MAKE = {
    "claim_tally",
    "source_tally",
    "ix_claim_claim_trgm",
    "ix_claim_quote_trgm",
    "ix_note_body_trgm",
    "ix_source_stance_claim",
}


def _only_migrations_make(diff: Any) -> bool:
    if not isinstance(diff, tuple) or diff[0] not in ("remove_table", "remove_index"):
        return False  # a column or type difference: never expected
    name = str(diff[1].name)
    return name in ONLY_MIGRATIONS_MAKE or name.startswith(("claim_fts", "note_fts"))


def test_the_migrated_schema_is_the_models_schema(engine: Engine) -> None:
    """A model's index or column changed without a migration (or the other way
    round) shows here, on both databases."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert [d for d in diffs if not _only_migrations_make(d)] == []
    assert any(_only_migrations_make(d) for d in diffs)  # the allowance is still needed


def _index_columns(engine: Engine) -> dict[str, list[str]]:
    return {
        ix["name"]: list(ix["column_names"])
        for ix in inspect(engine).get_indexes("claim")
        if ix["name"] in INDEXES
    }


def test_migration_0019_appends_status_to_the_filter_indexes_and_back(
    engine: Engine, seeded: Session
) -> None:
    services.assign_claim(
        session=seeded, claim_id=2, assignee="ana", actor="editor", expected_version=None
    )
    mine = ClaimFilter(assignee="ana")
    counts = queries.count_with_unreviewed(session=seeded, filters=mine)
    assert counts == (1, 1)
    seeded.close()
    for target, last in (("0018", "below_threshold"), ("head", "status")):
        migrate(engine, target)
        columns = _index_columns(engine)
        assert sorted(columns) == sorted(INDEXES)
        assert {name: cols[-1] for name, cols in columns.items()} == dict.fromkeys(columns, last)
        with Session(engine) as s:
            assert queries.count_with_unreviewed(session=s, filters=mine) == counts


def test_the_unreviewed_count_under_an_assignee_reads_only_its_index(sqlite_engine: Engine) -> None:
    """SQLite's plan for the queue's second figure under the assignee filter: the
    covering index, not the claims' rows (1M claims: 146 ms before 0019, 13 ms after)."""
    sql = (
        "EXPLAIN QUERY PLAN SELECT count(*) FROM claim "
        "WHERE assignee = 'ana' AND below_threshold = 0 AND status = 'unreviewed'"
    )
    with sqlite_engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(sql)))
    assert "COVERING INDEX ix_claim_assignee_id" in plan, plan
