"""Moving whole databases: restoring a JSON dump, copying one database into another.

Both are admin use cases that write every table in bulk (Core ``insert`` with
rows in batches, audit events included: a restore or copy puts back events as
they were, it does not make new ones for them) inside one unit of work on the
target, so a failure anywhere leaves the target as it was. Each records one
event of its own, on the acting admin's account, after the copied rows (so it
gets the next id): a dump of a restored database is the original dump plus
exactly that event; a copy's target holds the source's rows plus that event.

The target must be empty (a restore refuses any row; a copy refuses any row
unless ``force``, which empties every table first, and still refuses a target
with audit events, which the database never deletes). On PostgreSQL the id
sequences are moved past the copied ids so new rows work afterwards.

The target's schema is created (or upgraded) by Alembic inside that same unit
of work, so a restore or copy that fails leaves no empty schema behind: the
target is exactly as it was (a new SQLite file is removed again by
:func:`tracker.db.as_it_was_on_failure`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from .. import bulk, counters, db
from ..audit import EventAction, record_event
from ..errors import ImportFailed, RowProblem, TrackerError
from ..interchange import json_dump
from ..interchange.json_dump import Header, Row, TableEnd, TableSpec, TableStart
from ..localfiles import open_text
from ..permissions import Action, authorize
from .uow import clean_actor, unit_of_work

Progress = Callable[[int], None]


@dataclass
class RestoreReport:
    source: str
    schema_revision: str | None
    rows: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        per = ", ".join(f"{t} {n}" for t, n in self.rows.items())
        return (
            f"{self.source}: restored {sum(self.rows.values())} rows ({per}); "
            f"dump schema {self.schema_revision}; accounts have no password: "
            "set them with `tracker users reset-password NAME --by ADMIN`"
        )


@dataclass
class CopyReport:
    source: str
    target: str
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)  # rows, sha256
    emptied: bool = False

    def lines(self) -> list[str]:
        out = [f"copied {self.source} -> {self.target}; verified row counts and sha256:"]
        width = max((len(t) for t in self.tables), default=5)
        for name, (rows, digest) in self.tables.items():
            out.append(f"  {name:<{width}}  {rows:>9}  {digest}")
        return out


def _tables_with_rows(conn: Connection) -> dict[str, int]:
    """Tables of the target that have rows."""
    counts = {}
    for table in json_dump.all_tables():
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            counts[table.name] = int(n)
    return counts


def _advance_sequences(conn: Connection, tables: Iterable[TableSpec]) -> None:
    """PostgreSQL: each id sequence continues after the largest copied id."""
    if conn.dialect.name != "postgresql":
        return  # SQLite hands out max(id) + 1 by itself
    for ts in tables:
        if "id" not in ts.table.columns or not ts.table.columns["id"].primary_key:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{ts.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {ts.name}), 0) + 1, false)"
            )
        )


def _insert_batch(session: Session, ts: TableSpec, batch: list[Row], source: str) -> None:
    """Insert rows; on a database refusal find the first refused row and name its line."""
    if not batch:
        return
    savepoint = session.begin_nested()
    try:
        bulk.insert_rows(session=session, table=ts.table, rows=[r.values for r in batch])
        savepoint.commit()
        return
    except DBAPIError:
        savepoint.rollback()
    for row in batch:
        one = session.begin_nested()
        try:
            session.connection().execute(insert(ts.table), [row.values])
            one.commit()
        except DBAPIError as exc:
            one.rollback()
            reason = " ".join(str(getattr(exc, "orig", exc)).split())[:300]
            raise ImportFailed(
                source, [RowProblem(row.line, ts.name, None, f"refused by the database: {reason}")]
            ) from None
    raise ImportFailed(  # pragma: no cover - the batch failed but no single row does
        source, [RowProblem(batch[0].line, ts.name, None, "the database refused this batch")]
    )


def restore_json(
    *,
    session: Session,
    actor: str,
    path: Path | None = None,
    lines: Iterable[str] | None = None,
    source: str | None = None,
    progress: Progress | None = None,
) -> RestoreReport:
    """Restore a dump (:mod:`tracker.interchange.json_dump`) into an empty database.

    All of it or nothing. The acting account must be an active admin *in the
    dump* (the empty database has no accounts to check): it is authorized
    against the restored accounts before anything is committed.
    """
    source = source or (str(path) if path else "<dump>")
    actor = clean_actor(actor)
    if lines is None and path is None:
        raise ValueError("give path or lines")
    fh = None
    try:
        if lines is None:
            assert path is not None
            fh = open_text(str(path))  # a regular file, or one clear error
            lines = fh
        with unit_of_work(session):
            db.migrate(session.connection())  # in the restore's transaction: all or nothing
            busy = _tables_with_rows(session.connection())
            if busy:
                shown = ", ".join(f"{t} ({n})" for t, n in busy.items())
                raise TrackerError(
                    f"the database is not empty ({shown}); a dump restores only into an empty "
                    "database: create one with `tracker --db URL init`"
                )
            report = _restore_rows(session, lines, source, progress)
            authorize(session, actor, Action.restore_database)
            total = sum(report.rows.values())
            record_event(
                session,
                EventAction.database_restored,
                actor=actor,
                account=actor,
                detail=(
                    f"restored {total} rows from {Path(source).name} "
                    f"(dump format {json_dump.FORMAT_VERSION}, schema {report.schema_revision})"
                ),
            )
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            source, [RowProblem(0, None, None, f"not UTF-8 ({exc.reason}); not a tracker dump")]
        ) from None
    finally:
        if fh is not None:
            fh.close()
    return report


def _restore_rows(
    session: Session, lines: Iterable[str], source: str, progress: Progress | None
) -> RestoreReport:
    report = RestoreReport(source=source, schema_revision=None)
    specs: list[TableSpec] = []
    current: TableSpec | None = None
    batch: list[Row] = []
    for item in json_dump.read_dump(lines, source):
        if isinstance(item, Header):
            report.schema_revision = item.schema_revision
        elif isinstance(item, TableStart):
            current = item.spec
            specs.append(current)
        elif isinstance(item, Row):
            batch.append(item)
            if len(batch) >= json_dump.BATCH:
                assert current is not None
                _insert_batch(session, current, batch, source)
                if progress:
                    progress(len(batch))
                batch = []
        elif isinstance(item, TableEnd):
            assert current is not None
            _insert_batch(session, current, batch, source)
            if progress:
                progress(len(batch))
            batch = []
            report.rows[item.name] = item.rows
    counters.recount(session.connection())  # the rows' triggers counted the restored rows
    _advance_sequences(session.connection(), specs)
    return report


# --- copy ------------------------------------------------------------------------------


def copy_database(
    *,
    source: Engine,
    target: Engine,
    actor: str,
    force: bool = False,
    progress: Progress | None = None,
    batch_size: int = json_dump.BATCH,
) -> CopyReport:
    """Copy every table of ``source`` into ``target`` (schema created by Alembic), verified.

    The source is read in one transaction (a consistent snapshot), in key
    order, ``batch_size`` rows at a time; the target's schema is created and
    its rows written in one unit of work. Before anything is committed the
    target's row counts and per-table sha256
    (:func:`~tracker.interchange.json_dump.table_checksums`) must equal the
    source's, or nothing is written. Everything is copied, password hashes and
    sign-in throttle counts included: it is the same database.
    """
    actor = clean_actor(actor)
    src_revision = db.current_revision(source)
    if src_revision is None:
        raise TrackerError(f"the source {db.public_url(source.url)} has no tracker schema")
    head = db.head_revision()
    if src_revision != head:
        raise TrackerError(
            f"the source is at schema {src_revision} and this tracker writes {head}; "
            "upgrade the source first (`tracker --db SOURCE init`)"
        )
    report = CopyReport(db.public_url(source.url), db.public_url(target.url))
    with Session(source) as src:
        authorize(src, actor, Action.copy_database)  # an admin of the data being copied
        src.rollback()
    specs = [json_dump.spec(t, full=True) for t in json_dump.all_tables()]
    with db.as_it_was_on_failure(target), Session(target) as dst, unit_of_work(dst):
        db.migrate(dst.connection())  # in the copy's transaction: no empty schema on failure
        busy = _tables_with_rows(dst.connection())
        if busy:
            shown = ", ".join(f"{t} ({n})" for t, n in busy.items())
            if not force:
                raise TrackerError(
                    f"the target is not empty ({shown}); copy into an empty database "
                    "(`tracker --db URL init` makes one), or give --force to empty it first"
                )
            if "event" in busy:
                raise TrackerError(
                    f"the target has an audit trail ({busy['event']} events), which is never "
                    "deleted, so --force cannot empty it; copy into a new database or schema"
                )
            for table in reversed(json_dump.all_tables()):
                dst.connection().execute(delete(table))
            report.emptied = True
        expected: dict[str, tuple[int, str]] = {}
        with source.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                for ts in specs:
                    _copy_table(conn, dst, ts, batch_size, progress)
                expected = json_dump.table_checksums(conn, specs, batch_size)
        counters.recount(dst.connection())  # the rows' triggers counted the copied rows
        got = json_dump.table_checksums(dst.connection(), specs, batch_size)
        if got != expected:
            bad = [t for t in expected if expected[t] != got.get(t)]
            raise TrackerError(
                f"the copy does not match the source in: {', '.join(bad)}; {UNCHANGED}"
            )
        _advance_sequences(dst.connection(), specs)
        report.tables = got
        authorize(dst, actor, Action.copy_database)
        record_event(
            dst,
            EventAction.database_copied,
            actor=actor,
            account=actor,
            detail=f"copied {sum(n for n, _ in got.values())} rows from {report.source}",
        )
    return report


UNCHANGED = "nothing was written: the target is as it was"


def _copy_table(
    conn: Connection, dst: Session, ts: TableSpec, batch_size: int, progress: Progress | None
) -> None:
    names = ts.column_names
    rows: list[dict[str, Any]] = []
    for row in json_dump.iter_rows(conn, ts, batch_size):
        rows.append(dict(zip(names, row, strict=True)))
        if len(rows) >= batch_size:
            _write_batch(dst, ts, rows)
            if progress:
                progress(len(rows))
            rows = []
    if rows:
        _write_batch(dst, ts, rows)
        if progress:
            progress(len(rows))


def _write_batch(dst: Session, ts: TableSpec, rows: list[dict[str, Any]]) -> None:
    """Insert a batch; a refusal (a value the source's backend allowed) names the table."""
    try:
        bulk.insert_rows(session=dst, table=ts.table, rows=rows)
    except DBAPIError as exc:
        reason = " ".join(str(getattr(exc, "orig", exc)).split())[:300]
        key = next(iter(ts.table.primary_key.columns)).name
        first, last = rows[0].get(key), rows[-1].get(key)
        raise TrackerError(
            f"the target refused a row of {ts.name} ({key} {first} to {last}): {reason}; "
            f"{UNCHANGED}"
        ) from None
