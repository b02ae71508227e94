"""Every counter is kept by the database's triggers (tracker.counters) and equals a
recount after any mix of writes, on both databases, and after SQLite rebuilds a table."""

from __future__ import annotations

import io
import json
from pathlib import Path

from alembic import op
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from tracker import counters, db, queries, services
from tracker.interchange.json_dump import write_dump
from tracker.interchange.mapping import read_labels
from tracker.migrations.rebuild import batch_alter_table
from tracker.queries import ClaimFilter
from tracker.services.seeding import seed

from .conftest import SEEDS, make_accounts

LABELS = b"label,status,flag_reason,rating\nTrue,verified,,\nFalse,flagged,false,\n"
MAPPED = (
    b"claim\tlabel\turl\n"
    b"One is true.\tTrue\thttps://a.example/1\n"
    b"Two is false.\tFalse\thttps://a.example/2\n"
    b"Three has no label.\t\t\n"
)


def agree(s: Session) -> None:
    s.expire_all()
    assert counters.drift(s) == {}


def workload(s: Session, tmp_path: Path) -> None:
    """Use cases, a mapped import with verdicts and sources, multi-row SQL statements."""
    services.add_source(
        session=s, claim_id=1, url="https://example.org/a", stance="supports", actor="ana"
    )
    services.review_claim(
        session=s, claim_id=1, status="verified", actor="ana", expected_version=None
    )
    services.confirm_verdict(session=s, claim_id=1, actor="editor", expected_version=None)
    services.review_claim(  # reopened
        session=s, claim_id=1, status="in_review", actor="editor", expected_version=None
    )
    services.add_source(
        session=s, claim_id=2, url="https://example.org/b", stance="refutes", actor="bob"
    )
    services.review_claim(
        session=s,
        claim_id=2,
        status="flagged",
        reason="misleading",
        note="from 2023",
        actor="bob",
        expected_version=None,
    )
    services.assign_claim(
        session=s, claim_id=4, assignee="carol", actor="editor", expected_version=None
    )
    agree(s)
    assert queries.get_claim(session=s, claim_id=1).source_count == 1  # the ORM reads it afresh
    services.import_mapped_csv(
        session=s,
        actor="editor",
        mapping={"claim": "claim", "label": "label", "source": "url"},
        article="mapped",
        data=MAPPED,
        labels=read_labels(LABELS, "labels.csv"),
        delimiter="\t",
        source="f.tsv",
    )
    agree(s)
    path = tmp_path / "copy.txt"
    text_ = (SEEDS / "trainium3-silicon-sovereignty.txt").read_text()
    for version in (text_, text_.replace("2025", "2026", 1)):  # imported, then revised
        path.write_text(version)
        services.import_article(session=s, source=str(path), actor="editor", slug="copy")
    every = ClaimFilter(include_below_threshold=True, article="copy")
    candidate = next(
        c for c in queries.list_claims(session=s, limit=None, filters=every) if c.below_threshold
    )
    services.add_source(
        session=s, claim_id=candidate.id, url="https://example.org/c", stance="context", actor="ana"
    )
    services.promote_candidate(session=s, claim_id=candidate.id, actor="ana")
    agree(s)
    # what no use case does, but a script or a later feature may: the triggers count it too
    s.execute(text("UPDATE source SET claim_id = 3 WHERE url = 'https://example.org/b'"))
    s.execute(text("UPDATE claim SET status = 'dismissed' WHERE id BETWEEN 5 AND 9"))
    s.execute(text("DELETE FROM source WHERE url = 'https://a.example/1'"))
    s.commit()
    agree(s)


def test_every_counter_equals_a_recount_after_a_mixed_workload(
    seeded: Session, tmp_path: Path
) -> None:
    agree(seeded)
    workload(seeded, tmp_path)
    for table in counters.TABLES:  # not vacuously: every counter has rows
        assert seeded.execute(text(f"SELECT count(*) FROM {table} WHERE n > 0")).scalar()
    # the overview's verdicts over time: every status change, the mapped import's included
    changes = seeded.execute(
        text("SELECT count(*) FROM event WHERE field = 'status' AND new_value IS NOT NULL")
    ).scalar()
    assert sum(n for _, _, n in queries.overview(session=seeded).verdicts_by_day) == changes == 5


def test_the_database_has_the_triggers_the_module_defines(engine: Engine) -> None:
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if dialect == "sqlite":
            found = dict(
                conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                ).all()
            )
            for statement in counters.create_statements(dialect):
                name = statement.split()[2]
                assert found.get(name) == statement, name
        else:
            found = set(
                conn.exec_driver_sql(
                    "SELECT t.tgname, c.relname FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
                    "AND c.relnamespace = current_schema()::regnamespace"
                ).all()
            )
            assert set(counters.triggers(dialect).items()) <= found
            assert not {n for n, _ in found if "tally_keep" in n}  # 0016/0017's are gone


def _rebuild(engine: Engine, tables: tuple[str, ...], *, keep: bool) -> None:
    """Make SQLite rebuild ``tables`` as a migration would (foreign keys off)."""
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        with conn.begin(), Operations.context(MigrationContext.configure(conn)):
            for table in tables:
                batch = batch_alter_table if keep else op.batch_alter_table
                with batch(table, recreate="always"):
                    pass
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return {name for (name,) in conn.exec_driver_sql(sql)}


def test_a_sqlite_table_rebuild_keeps_the_counters_triggers(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    make_accounts(engine)
    with Session(engine) as s:
        seed(session=s, seeds_dir=SEEDS)
    before = _trigger_names(engine)
    assert set(counters.triggers("sqlite")) <= before
    _rebuild(engine, ("claim", "source", "event", "note"), keep=True)
    assert _trigger_names(engine) == before
    with Session(engine, expire_on_commit=False) as s:
        workload(s, tmp_path)
    # what Alembic's batch mode alone does: the rebuilt tables lose their triggers
    _rebuild(engine, ("event",), keep=False)
    lost = before - _trigger_names(engine)
    assert lost == {"verdict_day_ai", "event_no_update", "event_no_delete"}
    engine.dispose()


def test_the_models_metadata_installs_the_same_triggers(db_url: str) -> None:
    """``create_all`` (no migrations) makes the counter tables and their triggers."""
    engine = db.make_engine(db_url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO article (id, slug, title, text, sha256, revision, created_at, kind) "
            "VALUES (1, 'a', 'A', '', '', 1, CURRENT_TIMESTAMP, 'collection')"
        )
        conn.exec_driver_sql(
            "INSERT INTO claim (id, article_id, claim, quote, quote_start, quote_end, "
            "claim_type, status, origin, below_threshold, created_at, updated_at, version, "
            "source_count) VALUES (1, 1, 'c', '', 0, 0, 'other', 'unreviewed', 'curated', "
            "false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO source (claim_id, url, stance, added_by, added_at, fail_count) "
            "VALUES (1, 'https://example.org/', 'supports', 'ana', CURRENT_TIMESTAMP, 0)"
        )
        assert conn.exec_driver_sql("SELECT source_count FROM claim").scalar() == 1
        assert counters.drift(conn) == {}
        assert conn.exec_driver_sql("SELECT count(*) FROM claim_tally WHERE n > 0").scalar()
    engine.dispose()


def test_a_restore_recounts_and_reads_an_older_dump_with_counter_tables(
    seeded: Session, tmp_path: Path, db_url: str
) -> None:
    """Counters are not dumped (the restored rows' triggers and a recount rebuild them);
    a dump written before that, with a ``verdict_day`` table, still restores."""
    services.add_source(
        session=seeded, claim_id=1, url="https://example.org/a", stance="supports", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=1, status="verified", actor="ana", expected_version=None
    )
    seeded.close()
    buffer = io.StringIO()
    with seeded.get_bind().connect() as conn, conn.begin():
        write_dump(conn, buffer, schema_revision=db.current_revision(conn.engine))
    lines = buffer.getvalue().splitlines(keepends=True)
    assert not any('"table": "verdict_day"' in line for line in lines)
    old = [
        json.dumps({"table": "verdict_day", "columns": ["article_id", "day", "status", "n"]}),
        json.dumps([0, "2026-01-01", "verified", 7]),
        json.dumps({"end": "verdict_day", "rows": 1}),
    ]
    lines[1:1] = [line + "\n" for line in old]
    target = db.make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    db.upgrade(target)
    with Session(target) as s:
        services.restore_json(session=s, actor="admin", lines=lines, source="old.jsonl")
        assert counters.drift(s) == {}
        assert s.execute(text("SELECT source_count FROM claim WHERE id = 1")).scalar() == 1
        assert s.execute(text("SELECT sum(n) FROM verdict_day WHERE article_id = 0")).scalar() == 1
    target.dispose()
