"""The fixture templates hold the same rows on SQLite and PostgreSQL, level by level."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.types import DateTime, LargeBinary
from sqlmodel import Session

from tracker import db, queries, services
from tracker.interchange.mapping import parse_map

from .conftest import LEVELS, Templates, make_accounts, private_schema

# Columns whose values differ by nature between two builds: timestamps, salted hashes,
# how long a request took, the clock in a matches stamp.
VARYING = {"password_hash", "generation", "response_ms"}


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, without timestamps and salted hashes, in primary-key order."""
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            cols = [
                c
                for c in table.columns
                if c.name not in VARYING
                and not isinstance(c.type, DateTime | LargeBinary)
                and "date" not in str(c.type).lower()
                and "time" not in str(c.type).lower()
            ]
            order = list(table.primary_key.columns) or cols
            out[table.name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*order))]
    return out


@pytest.mark.postgres
@pytest.mark.parametrize("level", LEVELS)
def test_sqlite_and_postgres_copies_hold_the_same_rows(templates: Templates, level: str) -> None:
    """What a test gets from ``fill`` on each backend: the same rows in every table."""
    sqlite = create_engine(templates.sqlite_template(level))
    try:
        left = rows(sqlite)
    finally:
        sqlite.dispose()
    with private_schema() as url:
        templates.fill(url, level)
        pg = db.make_engine(url)
        try:
            right = rows(pg)
        finally:
            pg.dispose()
    # SQLite's full-text index lives in virtual tables of its own; PostgreSQL indexes columns
    assert all("_fts" in t for t in left.keys() - right.keys()) and right.keys() <= left.keys()
    left = {t: r for t, r in left.items() if t in right}
    assert {t: len(r) for t, r in left.items()} == {t: len(r) for t, r in right.items()}
    for table in left:
        assert left[table] == right[table], table


def test_a_mapped_import_changes_the_claims_marker(
    engine: Engine, request: pytest.FixtureRequest
) -> None:
    """Cached claim lists (the dashboard's, in every replica) see claims a mapped import made."""
    make_accounts(engine)
    with Session(engine) as s:
        before = queries.change_markers(session=s)["claims"]
        s.rollback()
        services.import_mapped_csv(
            session=s,
            actor="editor",
            mapping=parse_map(["claim=1"]),
            article="other-desk",
            data=b"Ferry fares rose 9% in 2025.\n",
            header=False,
        )
        assert queries.change_markers(session=s)["claims"] == before + 1
