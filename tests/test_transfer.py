"""Full-fidelity JSON dump and restore, and copying whole databases (#13).

Real files and real databases: SQLite files and PostgreSQL schemas, in every
direction. A dump of a restored database is the original dump plus exactly
the one event that records the restore; a copy is verified by row counts and
sha256 per table, and PostgreSQL's sequences continue after the copied ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from tracker import db, services
from tracker.cli import app
from tracker.errors import ImportFailed, PermissionDenied, TrackerError
from tracker.interchange.json_dump import (
    all_tables,
    dumped_tables,
    spec,
    table_checksums,
    write_dump,
)
from tracker.models import Claim, ClaimCreate, Event, Note

from .conftest import Templates, private_schema

UNICODE = "Ünïcödé — “curly” ‘quotes’ 中文 🚀 \u2028 line separator, tab\t, cr\r\nend"


@pytest.fixture
def other_pg_url() -> Iterator[str]:
    """A second private PostgreSQL schema (a copy needs two databases)."""
    with private_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'target.db'}"
    return str(request.getfixturevalue("other_pg_url"))


def enrich(session: Session) -> None:
    """Unicode, long text, nulls and a verdict on top of the seeds."""
    claim = session.exec(select(Claim).order_by(Claim.id)).first()
    assert claim is not None and claim.id is not None
    services.add_note(session=session, claim_id=claim.id, body=UNICODE, actor="ana")
    services.add_note(session=session, claim_id=claim.id, body="x" * 10_000, actor="ana")
    services.add_source(
        session=session,
        claim_id=claim.id,
        url="https://example.org/ünï?q=1",
        stance="supports",
        actor="ana",
        title=UNICODE.splitlines()[0][:100],
    )
    services.review_claim(
        session=session,
        claim_id=claim.id,
        status="verified",
        actor="ana",
        expected_version=claim.version,
    )


def dump(engine: Engine, path: Path) -> bytes:
    revision = db.current_revision(engine)
    with (
        engine.connect() as conn,
        conn.begin(),
        path.open("w", encoding="utf-8", newline="\n") as fh,
    ):
        write_dump(conn, fh, schema_revision=revision)
    return path.read_bytes()


def fresh(url: str) -> Engine:
    engine = db.make_engine(url)
    db.upgrade(engine)
    return engine


def with_restore_event(original: bytes, again: bytes) -> tuple[bytes, dict[str, object]]:
    """``original`` with the one event line ``again`` adds before the event table's end."""
    lines = original.decode("utf-8").split("\n")
    new = again.decode("utf-8").split("\n")
    end = next(i for i, line in enumerate(lines) if line.startswith('{"end":"event"'))
    rows = json.loads(lines[end])["rows"]
    added = new[end]
    expected = [
        *lines[:end],
        added,
        json.dumps({"end": "event", "rows": rows + 1}).replace(" ", ""),
    ]
    expected += lines[end + 1 :]
    columns = json.loads(next(x for x in lines if x.startswith('{"table":"event"')))["columns"]
    return "\n".join(expected).encode("utf-8"), dict(zip(columns, json.loads(added), strict=True))


def test_dump_restore_dump_is_identical_but_for_the_restore_event(
    seeded: Session, engine: Engine, target_url: str, tmp_path: Path
) -> None:
    enrich(seeded)
    first = dump(engine, tmp_path / "first.jsonl")
    assert b"password_hash" not in first and b"argon2" not in first
    assert "中文 🚀 \u2028 line".encode() in first  # UTF-8 as is; only controls escaped
    target = fresh(target_url)
    with Session(target) as s:
        report = services.restore_json(session=s, actor="admin", path=tmp_path / "first.jsonl")
    assert report.rows["claim"] == 110
    second = dump(target, tmp_path / "second.jsonl")
    expected, event = with_restore_event(first, second)
    assert second == expected
    assert event["action"] == "database_restored" and event["account"] == "admin"
    # The restored database works: new rows get new ids (PostgreSQL sequences advanced).
    with Session(target) as s:
        before = s.exec(select(func.max(Note.id))).one()
        note = services.add_note(session=s, claim_id=1, body="after the restore", actor="ana")
        assert note.id == (before or 0) + 1
        # Timestamps came back as the same instants, with their time zone.
        at = s.exec(select(Event.at).order_by(Event.id)).first()
        assert at is not None
    target.dispose()


def test_restore_refuses_a_non_empty_database(
    seeded: Session, engine: Engine, tmp_path: Path
) -> None:
    dump(engine, tmp_path / "d.jsonl")
    with pytest.raises(TrackerError, match="not empty"):
        services.restore_json(session=seeded, actor="admin", path=tmp_path / "d.jsonl")


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
            for t in dumped_tables()
        )


def test_a_bad_row_names_file_line_and_field_and_restores_nothing(
    seeded: Session, engine: Engine, target_url: str, tmp_path: Path
) -> None:
    lines = dump(engine, tmp_path / "d.jsonl").decode("utf-8").split("\n")
    note_table = next(i for i, x in enumerate(lines) if x.startswith('{"table":"note"'))
    columns = json.loads(lines[note_table])["columns"]
    row = json.loads(lines[note_table + 3])
    row[columns.index("created_at")] = "2025-13-45"
    lines[note_table + 3] = json.dumps(row)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines), encoding="utf-8")
    target = fresh(target_url)
    with Session(target) as s, pytest.raises(ImportFailed) as info:
        services.restore_json(session=s, actor="admin", path=bad)
    problem = info.value.problems[0]
    assert (problem.line, problem.field) == (note_table + 4, "note.created_at")
    assert str(bad) in str(info.value)
    assert _count(target) == 0
    # A truncated file is refused too, and leaves nothing behind.
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[: note_table + 2]) + "\n", encoding="utf-8")
    with Session(target) as s, pytest.raises(ImportFailed, match="ends early"):
        services.restore_json(session=s, actor="admin", path=cut)
    assert _count(target) == 0
    target.dispose()


def test_restoring_needs_an_admin_of_the_dump(
    seeded: Session, engine: Engine, tmp_path: Path
) -> None:
    dump(engine, tmp_path / "d.jsonl")
    target = fresh(f"sqlite:///{tmp_path / 'empty.db'}")
    with Session(target) as s, pytest.raises(PermissionDenied, match="restore a database"):
        services.restore_json(session=s, actor="ana", path=tmp_path / "d.jsonl")
    assert _count(target) == 0
    target.dispose()


FULL = [spec(t, full=True) for t in all_tables()]  # a copy carries everything


@pytest.mark.postgres
def test_copy_sqlite_to_postgres_and_back(
    templates: Templates, sqlite_url: str, pg_url: str, tmp_path: Path
) -> None:
    templates.fill(sqlite_url, "seeded")
    source = db.make_engine(sqlite_url)
    with Session(source) as s:
        enrich(s)
    with source.connect() as conn:
        before = table_checksums(conn, FULL)
    pg = db.make_engine(pg_url)
    report = services.copy_database(source=source, target=pg, actor="admin", batch_size=7)
    assert {t: report.tables[t] for t in before} == before  # verified before the event
    with pg.connect() as conn:
        after = table_checksums(conn, FULL)
    assert {t: v for t, v in after.items() if t != "event"} == {
        t: v for t, v in before.items() if t != "event"
    }
    assert after["event"][0] == before["event"][0] + 1
    # New rows on PostgreSQL get fresh ids: the sequences moved past the copied ones.
    with Session(pg) as s:
        top = s.exec(select(func.max(Claim.id))).one()
        added = services.create_claim(
            session=s,
            data=ClaimCreate(
                article="trainium3-silicon-sovereignty",
                claim="A claim added after the copy",
                quote="Executive Summary",
                quote_start=0,
                quote_end=17,
            ),
            actor="editor",
        )
        assert added.id == (top or 0) + 1
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    back = db.make_engine(back_url)
    services.copy_database(source=pg, target=back, actor="admin")
    with pg.connect() as a, back.connect() as b:
        there, here = table_checksums(a, FULL), table_checksums(b, FULL)
    assert {t: v for t, v in here.items() if t != "event"} == {
        t: v for t, v in there.items() if t != "event"
    }
    assert here["claim"][0] == 111
    for engine in (source, pg, back):
        engine.dispose()


def test_copy_refuses_a_non_empty_target(
    templates: Templates, sqlite_url: str, tmp_path: Path
) -> None:
    templates.fill(sqlite_url, "seeded")
    source = db.make_engine(sqlite_url)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    templates.fill(other, "accounts")
    target = db.make_engine(other)
    with pytest.raises(TrackerError, match="not empty"):
        services.copy_database(source=source, target=target, actor="admin")
    with pytest.raises(TrackerError, match="audit trail"):
        services.copy_database(source=source, target=target, actor="admin", force=True)
    with pytest.raises(PermissionDenied):
        services.copy_database(
            source=source, target=db.make_engine(f"sqlite:///{tmp_path}/x.db"), actor="ana"
        )
    source.dispose()
    target.dispose()


def test_cli_export_import_json_and_copy(
    templates: Templates, sqlite_url: str, tmp_path: Path
) -> None:
    templates.fill(sqlite_url, "seeded")
    runner = CliRunner()
    out = tmp_path / "dump.jsonl"
    result = runner.invoke(app, ["--db", sqlite_url, "export", "json", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8").split("\n", 1)[0])["schema_revision"]
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    result = runner.invoke(app, ["--db", restored, "import", "json", str(out), "--by", "admin"])
    assert result.exit_code == 0, result.stderr
    assert "restored" in result.stdout
    result = runner.invoke(app, ["--db", restored, "import", "json", str(out), "--by", "admin"])
    assert result.exit_code == 1 and "not empty" in result.stderr
    copied = f"sqlite:///{tmp_path / 'copied.db'}"
    result = runner.invoke(app, ["copy", "--from", sqlite_url, "--to", copied, "--by", "admin"])
    assert result.exit_code == 0, result.stderr
    assert "verified row counts and sha256" in result.stdout
    assert any(line.split()[:2] == ["claim", "110"] for line in result.stdout.splitlines())
    result = runner.invoke(app, ["copy", "--from", sqlite_url, "--to", copied, "--by", "admin"])
    assert result.exit_code == 1 and "not empty" in result.stderr


def test_dump_timestamps_are_utc_with_offset(
    seeded: Session, engine: Engine, tmp_path: Path
) -> None:
    data = dump(engine, tmp_path / "d.jsonl").decode("utf-8")
    stamps = [
        v
        for line in data.splitlines()
        if line.startswith("[")
        for v in json.loads(line)
        if isinstance(v, str) and len(v) >= 25 and v[10:11] == "T"
    ]
    assert stamps and all(v.endswith("+00:00") for v in stamps)
    assert all(datetime.fromisoformat(v).tzinfo == UTC for v in stamps)
