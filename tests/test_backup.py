"""Backups, restores and copies of a database that has been used.

Every column type goes through the dump's codec and back on both backends; a
restore never takes a secret from the file (a planted password hash cannot
sign in); a copy or restore that fails leaves the target exactly as it was;
and on the lived-in database (tests/livedin.py), dump -> restore -> dump and
copy -> copy back are identical, table by table, binary columns included.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker import db, services
from tracker.errors import ImportFailed, PermissionDenied, TrackerError
from tracker.interchange.column_codec import codec_for, decode
from tracker.interchange.json_dump import (
    all_tables,
    iter_rows,
    row_line,
    spec,
    table_checksums,
    write_dump,
)
from tracker.models import Role

from .conftest import LivedDb, Templates, private_schema

SLUG = "trainium3-silicon-sovereignty"
FULL = [spec(t, full=True) for t in all_tables()]  # what a copy carries


# --- every column type ----------------------------------------------------------------


def _typed_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("big", BigInteger),
        Column("small", SmallInteger),
        Column("word", String(20), info={"one_of": Role}),
        Column("body", Text),
        Column("ratio", Float),
        Column("flag", Boolean),
        Column("at", DateTime(timezone=True)),
        Column("day", Date),
        Column("blob", LargeBinary),
        Column("doc", JSON),
    )


def _typed_rows(postgres: bool) -> list[dict[str, Any]]:
    every_byte = bytes(range(256)) * 3
    return [
        {
            "id": 1,
            "big": 2**63 - 1,
            "small": -(2**15),
            "word": "admin",
            "body": 'Ünïcödé 中文 🚀 \u2028 tab\t cr\r\nend \\ "quoted"',
            "ratio": 0.1 + 0.2,
            "flag": True,
            "at": datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
            "day": date(1999, 12, 31),
            "blob": every_byte,
            "doc": {"a": [1, 2.5, None, True, "x"], "deep": {"b": {"c": []}}},
        },
        {
            "id": 2,
            "big": -(2**63),
            "small": 2**15 - 1,
            "word": "viewer",
            "body": "",
            "ratio": math.inf,
            "flag": False,
            "at": datetime(1970, 1, 1, tzinfo=UTC),
            "day": date(1, 1, 1),
            "blob": b"",
            "doc": [],
        },
        {  # nulls everywhere they are allowed
            "id": 3,
            "big": None,
            "small": None,
            "word": None,
            "body": None,
            "ratio": math.nan if postgres else None,  # SQLite stores NaN as NULL
            "flag": None,
            "at": None,
            "day": None,
            "blob": None,
            "doc": None,
        },
    ]


def test_every_column_type_round_trips_through_the_dump_encoding(db_url: str) -> None:
    """Database -> JSON line -> decoded -> another table: the same values and the same line."""
    engine = db.make_engine(db_url)
    metadata = MetaData()
    original, restored = _typed_table(metadata, "typed_a"), _typed_table(metadata, "typed_b")
    metadata.create_all(engine)
    try:
        rows = _typed_rows(engine.dialect.name == "postgresql")
        with engine.begin() as conn:
            conn.execute(insert(original), rows)
        a, b = spec(original), spec(restored)
        with engine.begin() as conn:
            lines = [row_line(a, row) for row in iter_rows(conn, a)]
            for line in lines:
                values = json.loads(line)  # what a restore reads
                decoded = {c.name: decode(c, v) for c, v in zip(b.columns, values, strict=True)}
                conn.execute(insert(restored), [decoded])
        with engine.connect() as conn:
            again = [row_line(b, row) for row in iter_rows(conn, b)]
            back = [r._asdict() for r in conn.execute(select(restored).order_by(restored.c.id))]
        assert again == lines
        assert back[0]["blob"] == rows[0]["blob"] and back[1]["blob"] == b""
        assert back[0]["big"] == 2**63 - 1 and back[1]["big"] == -(2**63)
        assert back[0]["doc"] == rows[0]["doc"] and back[1]["ratio"] == math.inf
        first = json.loads(lines[0])
        assert set(first[9]) == {"base64"}  # binary is marked, by the column's type
        assert first[7] == "2026-03-01T09:30:00.123456+00:00"
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_every_tracker_column_has_a_codec() -> None:
    """A column type the dump cannot encode fails here, not in a user's backup."""
    kinds = {codec_for(c).kind for t in all_tables() for c in t.columns}
    assert "binary" in kinds and "timestamp" in kinds


# --- a database that has been used -----------------------------------------------------


@pytest.fixture
def other_pg_url() -> Iterator[str]:
    with private_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty target: a SQLite file not created yet, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'target.db'}"
    return str(request.getfixturevalue("other_pg_url"))


def dump(engine: Engine, path: Path) -> list[str]:
    with engine.connect() as conn, conn.begin(), path.open("w", encoding="utf-8") as fh:
        write_dump(conn, fh, schema_revision=db.current_revision(engine))
    return path.read_text(encoding="utf-8").split("\n")


def without_restore_event(lines: list[str]) -> list[str]:
    """A dump's lines with the restore's own event (and the event count) set aside."""
    return [
        line
        for line in lines
        if '"database_restored"' not in line and not line.startswith('{"end":"event"')
    ]


def test_dump_restore_dump_of_the_lived_in_database_is_identical(
    lived_in: LivedDb, empty_url: str, tmp_path: Path
) -> None:
    first = dump(lived_in.engine, tmp_path / "first.jsonl")
    assert any('{"base64":' in line for line in first)  # claim vectors are in it
    target = db.make_engine(empty_url)
    with Session(target) as s:
        services.restore_json(session=s, actor="admin", path=tmp_path / "first.jsonl")
    second = dump(target, tmp_path / "second.jsonl")
    assert without_restore_event(second) == without_restore_event(first)
    assert len(second) == len(first) + 1
    assert derived(target) == derived(lived_in.engine)  # rebuilt as the rows went in
    target.dispose()


def derived(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of the tables the database keeps itself (tallies), not in a dump; a count
    of zero (a tally that went up and down again) is the same as no row."""
    kept = {t.name for t in all_tables()} | {"alembic_version", "change_marker"}
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n not in kept and "_fts" not in n]
        return {
            n: sorted(
                (tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {n}") if r[-1] != 0),
                key=repr,
            )
            for n in names
        }


@pytest.mark.postgres
def test_a_sqlite_dump_restores_on_postgres_and_dumps_identically(
    templates: Templates, sqlite_url: str, other_pg_url: str, tmp_path: Path
) -> None:
    templates.fill(sqlite_url, "lived_in")
    source = db.make_engine(sqlite_url)
    first = dump(source, tmp_path / "sqlite.jsonl")
    pg = db.make_engine(other_pg_url)
    with Session(pg) as s:
        services.restore_json(session=s, actor="admin", path=tmp_path / "sqlite.jsonl")
    again = dump(pg, tmp_path / "pg.jsonl")
    assert without_restore_event(again) == without_restore_event(first)
    for engine in (source, pg):
        engine.dispose()


def _sums(engine: Engine) -> dict[str, tuple[int, str]]:
    with engine.connect() as conn:
        sums = table_checksums(conn, FULL)
    sums.pop("event")  # each copy adds its own event
    return sums


@pytest.mark.postgres
def test_copy_of_the_lived_in_database_sqlite_postgres_sqlite_is_identical(
    templates: Templates, sqlite_url: str, other_pg_url: str, tmp_path: Path
) -> None:
    templates.fill(sqlite_url, "lived_in")
    source = db.make_engine(sqlite_url)
    pg = db.make_engine(other_pg_url)
    services.copy_database(source=source, target=pg, actor="admin", batch_size=7)
    back = db.make_engine(f"sqlite:///{tmp_path / 'back.db'}")
    services.copy_database(source=pg, target=back, actor="admin")
    before, there, here = _sums(source), _sums(pg), _sums(back)
    assert there == before and here == before
    assert before["claim_vector"][0] > 0 and before["web_session"][0] > 0
    for engine in (source, pg, back):
        engine.dispose()


# --- a restore takes no secret from the file ----------------------------------------


def _plant(lines: list[str], table: str, column: str, value: Any) -> list[str]:
    """``lines`` with ``column`` added to ``table`` (value on every row)."""
    out, inside = [], False
    for line in lines:
        if line.startswith(f'{{"table":"{table}"'):
            head = json.loads(line)
            head["columns"].append(column)
            line, inside = json.dumps(head), True
        elif line.startswith('{"end"'):
            inside = False
        elif inside:
            line = json.dumps([*json.loads(line), value])
        out.append(line)
    return out


def test_a_planted_password_hash_is_refused_and_cannot_sign_in(
    seeded: Session, engine: Engine, empty_url: str, tmp_path: Path
) -> None:
    from tracker.services import accounts

    planted = accounts._hasher.hash("planted password")
    lines = _plant(dump(engine, tmp_path / "d.jsonl"), "account", "password_hash", planted)
    bad = tmp_path / "planted.jsonl"
    bad.write_text("\n".join(lines), encoding="utf-8")
    target = db.make_engine(empty_url)
    db.upgrade(target)
    with Session(target) as s, pytest.raises(ImportFailed) as info:
        services.restore_json(session=s, actor="admin", path=bad)
    assert info.value.problems[0].field == "account.password_hash"
    assert "a dump carries no password hashes" in str(info.value)
    # Nothing restored: "admin" does not exist, let alone sign in with the planted password.
    with Session(target) as s, pytest.raises(PermissionDenied):
        services.authenticate(session=s, name="admin", password="planted password")
    target.dispose()


@pytest.mark.parametrize(
    ("table", "columns", "row", "says"),
    [
        (
            "web_session",
            ["token_hash", "account_id", "epoch", "created_at", "last_seen", "expires_at"],
            [
                "0" * 64,
                1,
                0,
                "2026-01-01T00:00:00+00:00",
                "2026-01-01T00:00:00+00:00",
                "2099-01-01T00:00:00+00:00",
            ],
            "a dump carries no signed-in dashboard sessions",
        ),
        (
            "signin_attempt",
            ["key", "failures", "locked_until", "updated_at"],
            ["admin", 99, "2099-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"],
            "a dump carries no sign-in throttle counts",
        ),
    ],
)
def test_a_dump_with_sessions_or_throttle_rows_is_refused(
    seeded: Session,
    engine: Engine,
    tmp_path: Path,
    table: str,
    columns: list[str],
    row: list[Any],
    says: str,
) -> None:
    lines = dump(engine, tmp_path / "d.jsonl")
    end = next(i for i, line in enumerate(lines) if line.startswith('{"end":"dump"'))
    lines[end:end] = [
        json.dumps({"table": table, "columns": columns}),
        json.dumps(row),
        json.dumps({"end": table, "rows": 1}),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines), encoding="utf-8")
    target = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with Session(target) as s, pytest.raises(ImportFailed, match=says):
        services.restore_json(session=s, actor="admin", path=bad)
    target.dispose()


# --- a failed copy leaves the target as it was -------------------------------------


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _orphan_note(sqlite_url: str) -> None:
    """A row a SQLite database can hold when foreign keys were off (an old tool, a repair)."""
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute(
            "INSERT INTO note (claim_id, author, body, created_at) "
            "VALUES (99999, 'ana', 'orphan', '2026-01-01 00:00:00')"
        )


def test_a_failed_copy_into_a_new_sqlite_file_leaves_no_file(
    sqlite_url: str, tmp_path: Path, templates: Any
) -> None:
    templates.fill(sqlite_url, "seeded")
    _orphan_note(sqlite_url)
    source = db.make_engine(sqlite_url)
    target_path = tmp_path / "new.db"
    target = db.make_engine(f"sqlite:///{target_path}")
    with pytest.raises(TrackerError) as info:
        services.copy_database(source=source, target=target, actor="admin")
    message = str(info.value)
    assert "the target refused a row of note" in message
    assert message.endswith("nothing was written: the target is as it was")
    assert not target_path.exists()
    assert not Path(f"{target_path}-wal").exists()
    source.dispose()
    target.dispose()


@pytest.mark.postgres
def test_a_failed_copy_into_postgres_leaves_no_schema(
    sqlite_url: str, other_pg_url: str, templates: Any
) -> None:
    templates.fill(sqlite_url, "seeded")
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:  # SQLite has no varchar
        raw.execute("UPDATE account SET email = ? WHERE name = 'ana'", ("a" * 400 + "@x.org",))
    source, target = db.make_engine(sqlite_url), db.make_engine(other_pg_url)
    with pytest.raises(TrackerError, match="the target refused a row of account"):
        services.copy_database(source=source, target=target, actor="admin")
    assert _tables(target) == set()  # no empty schema left behind
    assert db.current_revision(target) is None
    source.dispose()
    target.dispose()


def test_a_failed_copy_into_an_existing_empty_sqlite_file_keeps_it_empty(
    sqlite_url: str, tmp_path: Path, templates: Any
) -> None:
    templates.fill(sqlite_url, "seeded")
    _orphan_note(sqlite_url)
    existing = tmp_path / "existing.db"
    sqlite3.connect(existing).close()  # an empty database file someone made
    source, target = db.make_engine(sqlite_url), db.make_engine(f"sqlite:///{existing}")
    with pytest.raises(TrackerError, match="nothing was written"):
        services.copy_database(source=source, target=target, actor="admin")
    assert existing.exists() and _tables(target) == set()
    source.dispose()
    target.dispose()


def test_times_far_out_are_refused_not_overflowed() -> None:
    column = Column("at", DateTime(timezone=True), nullable=False)
    with pytest.raises(ValueError, match="out of range"):
        decode(column, "9999-12-31T23:59:59-05:00")
    assert decode(column, "2026-01-01T01:00:00+01:00") == datetime(2026, 1, 1, tzinfo=UTC)
    assert decode(column, "0001-01-01T00:00:00+00:00") + timedelta(0) == datetime(
        1, 1, 1, tzinfo=UTC
    )
