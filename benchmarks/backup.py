"""Backups, restores and copies of a generated N-claim archive, next to raw baselines.

The archive comes from :mod:`benchmarks.generate` (reused from ``--archive``
when it is already there) with a claim vector (512 bytes, as the matcher
stores them) for every claim, so the binary columns are measured too. Each
step runs in its own process (peak memory is its own ``VmHWM``, see
:func:`benchmarks.csv_import.peak_mb`) beside a raw baseline measured in the
same run:

- **dump**: ``export json`` (every table in key order, 1,000 rows a batch,
  each value encoded by its column's type) vs a plain ``SELECT *`` of every
  table written as JSON lines (``json.dumps`` of the tuple, bytes as hex);
- **restore**: ``import json`` into an empty database (schema by Alembic, every
  value checked, bulk inserts, one transaction) vs reading the raw JSON lines
  and ``executemany`` (PostgreSQL: ``COPY``) into tables already created;
- **copy**: ``tracker copy`` SQLite -> PostgreSQL and back (schema, bulk
  inserts, sha256 of every table on both sides) vs a plain ``SELECT *`` of
  each table and ``executemany`` (PostgreSQL: ``COPY``) into tables already created.

Not part of the test suite (a 100,000-claim run takes minutes)::

    nice -n 10 .venv/bin/python -m benchmarks.backup --claims 100000

The printed table is also written, line by line, to
``benchmarks/results/backup-<claims>-<UTC time>.txt``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from tracker import db, services
from tracker.interchange.json_dump import all_tables, write_dump

from .csv_import import in_child
from .generate import generate

RESULTS = Path(__file__).parent / "results"
VECTOR_BYTES = 512


# --- preparing ---------------------------------------------------------------------------


def archive(path: Path, claims: int) -> str:
    """The generated SQLite archive at ``path`` (made once), with a vector per claim."""
    url = f"sqlite:///{path}"
    if not path.exists():
        generate(url, claims, progress=True)
    with sqlite3.connect(path) as conn:
        have = conn.execute("SELECT count(*) FROM claim_vector").fetchone()[0]
        if not have:
            rng = random.Random(7)
            now = datetime(2026, 1, 1, tzinfo=UTC).isoformat(sep=" ")
            ids = [r[0] for r in conn.execute("SELECT id FROM claim ORDER BY id")]
            conn.executemany(
                "INSERT INTO claim_vector (claim_id, text_sha, embedding, updated_at) "
                "VALUES (?, ?, ?, ?)",
                ((i, f"{i:064x}", rng.randbytes(VECTOR_BYTES), now) for i in ids),
            )
    return url


@contextmanager
def pg_schemas(server: str) -> Iterator[Callable[[], str]]:
    """Fresh PostgreSQL schemas on ``server``, dropped at the end."""
    made: list[str] = []
    admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def fresh() -> str:
        schema = f"bench_backup_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return f"{server}?options=-csearch_path%3D{schema}"

    try:
        yield fresh
    finally:
        with admin.connect() as conn:
            for schema in made:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def migrated(url: str) -> str:
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    return url


# --- the project's side ------------------------------------------------------------------


def project_dump(url: str, out: str) -> int:
    engine = db.make_engine(url)
    revision = db.current_revision(engine)
    with engine.connect() as conn, conn.begin(), open(out, "w", encoding="utf-8") as fh:
        counts = write_dump(conn, fh, schema_revision=revision)
    engine.dispose()
    return sum(counts.values())


def project_restore(url: str, dump: str) -> int:
    engine = db.make_engine(url)
    with Session(engine) as s:
        report = services.restore_json(session=s, actor="admin", path=Path(dump))
    engine.dispose()
    return sum(report.rows.values())


def project_copy(source: str, target: str) -> int:
    src, dst = db.make_engine(source), db.make_engine(target)
    report = services.copy_database(source=src, target=dst, actor="admin")
    src.dispose()
    dst.dispose()
    return sum(n for n, _ in report.tables.values())


# --- the raw side ------------------------------------------------------------------------

NAMES = [t.name for t in all_tables()]


def _hex(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes | memoryview) else str(value)


def raw_dump(url: str, out: str) -> int:
    """``SELECT *`` of every table, one ``json.dumps`` line a row."""
    engine = db.make_engine(url)
    rows = 0
    with engine.connect() as conn, open(out, "w", encoding="utf-8") as fh:
        for name in NAMES:
            fh.write(json.dumps({"table": name}) + "\n")
            result = conn.execution_options(stream_results=True).exec_driver_sql(
                f"SELECT * FROM {name}"
            )
            for row in result:
                fh.write(json.dumps(list(row), default=_hex, ensure_ascii=False) + "\n")
                rows += 1
    engine.dispose()
    return rows


def _raw_insert(engine: Any, rows_of: Iterator[tuple[str, list[str], list[list[Any]]]]) -> int:
    done = 0
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for name, columns, batch in rows_of:
            if conn.dialect.name == "postgresql":
                # COPY per batch: the tally triggers are statement-level, so run once a batch
                # (an executemany fires them once a row and grows quadratically, see bulk.py).
                raw: Any = conn.connection.dbapi_connection
                with (
                    raw.cursor() as cur,
                    cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for r in batch:
                        copy.write_row(r)
            else:
                marks = ", ".join(["?"] * len(columns))
                sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"
                conn.exec_driver_sql(sql, [tuple(r) for r in batch])
            done += len(batch)
    return done


def raw_restore(url: str, dump: str) -> int:
    """The project's dump read with ``json.loads`` and ``executemany``'d, 1,000 rows a time."""

    def batches() -> Iterator[tuple[str, list[str], list[list[Any]]]]:
        with open(dump, encoding="utf-8") as fh:
            next(fh)
            name, columns, batch, binary = "", [], [], []
            for line in fh:
                item = json.loads(line)
                if isinstance(item, list):
                    for i in binary:
                        if item[i] is not None:
                            item[i] = base64.b64decode(item[i]["base64"])
                    batch.append(item)
                    if len(batch) >= 1000:
                        yield name, columns, batch
                        batch = []
                elif "table" in item:
                    name, columns, batch = item["table"], item["columns"], []
                    binary = [i for i, c in enumerate(columns) if c == "embedding"]
                elif "end" in item and batch:
                    yield name, columns, batch
                    batch = []

    engine = db.make_engine(url)
    done = _raw_insert(engine, batches())
    engine.dispose()
    return done


def raw_copy(source: str, target: str) -> int:
    """``SELECT *`` of each table and ``executemany`` into the target, 1,000 rows a time."""
    src, dst = db.make_engine(source), db.make_engine(target)

    def batches() -> Iterator[tuple[str, list[str], list[list[Any]]]]:
        with src.connect() as conn:
            for table in all_tables():  # Core types: SQLite's 0/1 become PostgreSQL booleans
                name = table.name
                result = conn.execution_options(stream_results=True).execute(select(table))
                columns = list(result.keys())
                while chunk := result.fetchmany(1000):
                    yield name, columns, [list(r) for r in chunk]

    done = _raw_insert(dst, batches())
    src.dispose()
    dst.dispose()
    return done


# --- the run -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--archive", type=Path, help="generated SQLite file (made if missing)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench_backup_"))
    path = args.archive or Path(tempfile.gettempdir()) / f"bench_backup_{args.claims}.db"
    source = archive(path, args.claims)
    RESULTS.mkdir(exist_ok=True)
    result = RESULTS / f"backup-{args.claims}-{datetime.now(UTC):%Y-%m-%dT%H%MZ}.txt"

    def say(line: str) -> None:  # to the results file as it goes: a stopped run keeps its rows
        print(line, flush=True)
        with result.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    load = os.getloadavg()
    say(
        f"# backup of a generated {args.claims:,}-claim archive (with a 512-byte vector per "
        f"claim), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )
    say(
        f"{'step':<28} {'rows':>9} {'project s':>10} {'raw s':>8} {'ratio':>6}"
        f" {'project MB':>11} {'raw MB':>7}"
    )

    def row(step: str, project: tuple[int, float, float], raw: tuple[int, float, float]) -> None:
        rows, p_s, p_mb = project
        _, r_s, r_mb = raw
        say(
            f"{step:<28} {rows:>9,} {p_s:>10.1f} {r_s:>8.1f} {p_s / r_s:>5.1f}x"
            f" {p_mb:>11.0f} {r_mb:>7.0f}"
        )

    dump = str(work / "dump.jsonl")
    row(
        "dump SQLite",
        in_child(project_dump, source, dump),
        in_child(raw_dump, source, str(work / "raw.jsonl")),
    )
    say(f"#   dump file {os.path.getsize(dump) / 1e6:,.0f} MB")
    new_sqlite = lambda name: f"sqlite:///{work / name}"  # noqa: E731
    row(
        "restore -> SQLite",
        in_child(project_restore, new_sqlite("restored.db"), dump),
        in_child(raw_restore, migrated(new_sqlite("raw_restored.db")), dump),
    )
    with pg_schemas(args.postgres) as fresh:
        pg_restored = fresh()
        row(
            "restore -> PostgreSQL",
            in_child(project_restore, pg_restored, dump),
            in_child(raw_restore, migrated(fresh()), dump),
        )
        row(
            "copy SQLite -> PostgreSQL",
            in_child(project_copy, source, fresh()),
            in_child(raw_copy, source, migrated(fresh())),
        )
        row(
            "copy PostgreSQL -> SQLite",
            in_child(project_copy, pg_restored, new_sqlite("copied.db")),
            in_child(raw_copy, pg_restored, migrated(new_sqlite("raw_copied.db"))),
        )
    load = os.getloadavg()
    say(f"# load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"# written to {result}")


if __name__ == "__main__":
    main()
