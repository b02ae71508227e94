"""tracker.bulk.insert_rows (#10): one statement per batch on PostgreSQL, with what a
plain INSERT would give: column defaults, refusals of values too long, one key set."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker.bulk import insert_rows
from tracker.models import Note, Source

NOTES: Table = Note.__table__  # type: ignore[attr-defined]
SOURCES: Table = Source.__table__  # type: ignore[attr-defined]


def note(author: str, body: str = "checked") -> dict[str, object]:
    return {"claim_id": 1, "author": author, "body": body, "created_at": datetime.now(UTC)}


def test_a_value_too_long_is_refused_not_cut_short(seeded: Session) -> None:
    """The arrays are cast to text[], not varchar(100)[]: an explicit cast to varchar(n)
    truncates silently, the INSERT's own conversion refuses (restores of dumps rely on it)."""
    author = "a" * 150  # note.author is VARCHAR(100)
    if seeded.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="value too long"):
            insert_rows(session=seeded, table=NOTES, rows=[note("ana"), note(author)])
        seeded.rollback()
        return
    insert_rows(session=seeded, table=NOTES, rows=[note(author)])  # SQLite keeps lengths loose
    stored = seeded.execute(select(NOTES.c.author).where(NOTES.c.author == author)).scalar_one()
    assert stored == author


def test_left_out_columns_get_their_defaults_and_keys_must_agree(seeded: Session) -> None:
    rows = [
        {
            "claim_id": 1,
            "url": f"https://example.org/{i}",
            "stance": "supports",
            "added_by": "ana",
            "added_at": datetime.now(UTC),
        }
        for i in range(3)
    ]
    insert_rows(session=seeded, table=SOURCES, rows=rows)  # fail_count left out: default 0
    counts = seeded.execute(
        select(SOURCES.c.fail_count).where(SOURCES.c.url.like("https://example.org/%"))
    ).scalars()
    assert list(counts) == [0, 0, 0]
    with pytest.raises(ValueError, match="do not share one set of keys"):
        insert_rows(session=seeded, table=SOURCES, rows=[rows[0], {**rows[1], "title": "T"}])
    seeded.rollback()


def test_a_callable_default_is_called_for_every_row(seeded: Session) -> None:
    counter = itertools.count(1)
    table = Table(
        "bulk_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("label", String(20), nullable=False),
        Column("token", String(20), default=lambda: f"t{next(counter)}"),
    )
    table.create(seeded.connection())
    insert_rows(session=seeded, table=table, rows=[{"label": "x"} for _ in range(4)])
    tokens = seeded.execute(text("SELECT token FROM bulk_probe ORDER BY id")).scalars().all()
    assert len(set(tokens)) == 4
    seeded.rollback()
