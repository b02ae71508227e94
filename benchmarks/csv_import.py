"""`tracker import csv` of N new claims (#10): the project next to a raw executemany, and memory.

The file has the export's columns; N/100 articles of 120 sentences each get
100 new claims each, quoting their article (offsets left to the import to
find, as a hand-made file would). Both sides run in one transaction on a
fresh database, each in its own process so its peak memory (``VmHWM``, see :func:`peak_mb`)
is its own:

- **project**: ``services.import_claims_csv(path=...)`` with every rule
  (limits, claim type, quote located in its article, duplicate quotes,
  permissions) and the ``created`` event of each claim;
- **raw**: the same file read with ``csv.reader``, the same cheap checks
  (article exists, claim text present, quote found in the article text), then
  ``executemany`` of the claims and of their events, 2,000 rows at a time
  (on PostgreSQL one multi-row ``INSERT ... SELECT FROM unnest(...)`` of each
  2,000, since an executemany there is one statement a row);
- **raw + dup**: raw plus the duplicate-quote rule (``duplicate_of``: overlap,
  or rapidfuzz token-set ratio >= 90 with no figure changed, against the
  article's claims), the one check that costs as much as the writing.

    nice -n 10 .venv/bin/python -m benchmarks.csv_import --rows 100000 [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import multiprocessing
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlmodel import Session

from tracker import db, services
from tracker.interchange.csv_export import CSV_COLUMNS
from tracker.models import Article
from tracker.services import create_user
from tracker.services.claims import duplicate_of

CLAIMS_PER_ARTICLE = 100
SENTENCES = 120
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def article_text(rng: random.Random) -> tuple[str, list[str]]:
    """About 18 KB of made-up sentences with figures; returns the text and its sentences."""
    sentences = []
    for i in range(SENTENCES):
        words = ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(22)]
        words.insert(rng.randint(0, 20), f"{rng.randint(1, 999)}.{i}%")
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences), sentences


def prepare(url: str, n: int, csv_path: Path) -> None:
    """Schema, accounts and the articles; the CSV of ``n`` new claims quoting them."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = random.Random(7)
    with Session(engine) as s:
        create_user(session=s, name="admin", role="admin", actor=None)
        create_user(session=s, name="editor", role="editor", actor="admin")
    with (
        Session(engine) as s,
        csv_path.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        blank = dict.fromkeys(CSV_COLUMNS, "")
        for a in range(-(-n // CLAIMS_PER_ARTICLE)):  # ceil: the last one may have fewer
            body, sentences = article_text(rng)
            slug = f"bench-{a:06d}"
            digest = hashlib.sha256(body.encode()).hexdigest()
            s.add(Article(slug=slug, title=slug, text=body, sha256=digest))
            for i in range(min(CLAIMS_PER_ARTICLE, n - a * CLAIMS_PER_ARTICLE)):
                row = blank | {"article": slug, "claim": f"Claim {a}.{i}: {sentences[i][:80]}"}
                writer.writerow(row | {"quote": sentences[i], "claim_type": "statistic"})
            if a % 50 == 49:
                s.commit()
        s.commit()
    engine.dispose()


def project(url: str, csv_path: Path) -> int:
    engine = db.make_engine(url)
    with Session(engine) as s:
        report = services.import_claims_csv(session=s, path=csv_path, actor="editor")
    engine.dispose()
    return len(report.created)


def raw(url: str, csv_path: Path, dedupe: bool = False) -> int:
    """The floor: the same rows, the same cheap checks, one transaction; an executemany
    per chunk on SQLite, one unnest INSERT per chunk and table on PostgreSQL."""
    engine = db.make_engine(url)
    claims_sql = text(
        "INSERT INTO claim (article_id, claim, quote, quote_start, quote_end, claim_type,"
        " status, origin, below_threshold, version, created_at, updated_at, source_count)"
        " VALUES (:a, :c, :q, :s, :e, :t, 'unreviewed', 'imported', false, 1,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)"
    )
    events_sql = text(
        "INSERT INTO event (claim_id, actor, action, new_value, claim_version, at)"
        " VALUES (:id, 'editor', 'created', :c, 1, CURRENT_TIMESTAMP)"
    )
    # PostgreSQL: an executemany is one statement a row (psycopg pipelines them), and
    # the tally triggers (migration 0018) run once per statement: one multi-row
    # INSERT per 2,000 rows is how anyone would write it there.
    postgres = engine.dialect.name == "postgresql"
    claims_pg = text(
        "INSERT INTO claim (article_id, claim, quote, quote_start, quote_end, claim_type,"
        " status, origin, below_threshold, version, created_at, updated_at, source_count)"
        " SELECT a, c, q, s, e, t, 'unreviewed', 'imported', false, 1,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0 FROM unnest(CAST(:a AS int[]),"
        " CAST(:c AS text[]), CAST(:q AS text[]), CAST(:s AS int[]), CAST(:e AS int[]),"
        " CAST(:t AS text[])) AS r (a, c, q, s, e, t)"
    )
    events_pg = text(
        "INSERT INTO event (claim_id, actor, action, new_value, claim_version, at)"
        " SELECT i, 'editor', 'created', c, 1, CURRENT_TIMESTAMP"
        " FROM unnest(CAST(:id AS int[]), CAST(:c AS text[])) AS r (i, c)"
    )
    done = 0
    with engine.begin() as conn, csv_path.open(encoding="utf-8", newline="") as f:
        articles = {
            slug: (i, body)
            for i, slug, body in conn.execute(text("SELECT id, slug, text FROM article"))
        }
        batch: list[dict[str, Any]] = []
        quotes: dict[int, list[tuple[int, str, int, int]]] = {}

        def flush() -> None:
            nonlocal batch, done
            if not batch:
                return
            first = conn.execute(text("SELECT coalesce(max(id), 0) FROM claim")).scalar_one()
            events = [{"id": first + 1 + k, "c": r["c"]} for k, r in enumerate(batch)]
            if postgres:  # one statement per table: arrays, unnested
                conn.execute(claims_pg, {k: [r[k] for r in batch] for k in batch[0]})
                conn.execute(events_pg, {k: [r[k] for r in events] for k in events[0]})
            else:
                conn.execute(claims_sql, batch)
                conn.execute(events_sql, events)
            done += len(batch)
            batch = []

        for row in csv.DictReader(f):
            article_id, body = articles[row["article"]]
            start = body.find(row["quote"])
            if not row["claim"].strip() or start < 0:
                raise ValueError(row)
            if dedupe:
                known = quotes.setdefault(article_id, [])
                end = start + len(row["quote"])
                if duplicate_of(row["quote"], start, end, known) is not None:
                    raise ValueError(row)
                known.append((0, row["quote"], start, end))
            batch.append(
                {
                    "a": article_id,
                    "c": row["claim"],
                    "q": row["quote"],
                    "s": start,
                    "e": start + len(row["quote"]),
                    "t": row["claim_type"] or "other",
                }
            )
            if len(batch) >= 2_000:
                flush()
        flush()
    engine.dispose()
    return done


def _child(func: Callable[..., int], args: tuple[Any, ...], out: Any) -> None:
    started = time.perf_counter()
    rows = func(*args)
    seconds = time.perf_counter() - started
    out.send((rows, seconds, peak_mb()))


def peak_mb() -> float:
    """This process's peak resident set, MB (Linux's ``VmHWM``).

    Not ``ru_maxrss``: Linux carries it across ``execve``, so a child that
    multiprocessing spawns (fork, then exec) starts with its parent's resident
    set as its peak, and a parent that had just written a 1M-row file made every
    child look 341 MB. ``VmHWM`` belongs to the new process image alone.
    """
    status = Path("/proc/self/status")
    if not status.exists():
        raise RuntimeError("the benchmarks read peak memory from /proc/self/status (Linux)")
    for line in status.read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


def in_child(func: Callable[..., int], *args: Any) -> tuple[int, float, float]:
    """(rows, seconds, peak MB of the process) of ``func(*args)`` in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(func, args, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result  # type: ignore[no-any-return]


def _baseline() -> int:
    return 0  # the interpreter and the imports alone


def targets(postgres: str | None) -> tuple[list[tuple[str, Callable[[], str]]], Callable[[], None]]:
    """(name, make a fresh database URL) per backend, and a clean-up."""
    schemas: list[str] = []

    def sqlite() -> str:
        return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"

    def pg() -> str:
        assert postgres is not None
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(postgres, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        return f"{postgres}?options=-csearch_path%3D{schema}"

    def cleanup() -> None:
        if schemas:
            with create_engine(postgres or "", isolation_level="AUTOCOMMIT").connect() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    out: list[tuple[str, Callable[[], str]]] = [("sqlite", sqlite)]
    if postgres:
        out.append(("postgres", pg))
    return out, cleanup


def arguments(argv: list[str] | None, doc: str) -> argparse.Namespace:
    """--rows, --postgres URL, --sqlite-only: the options of both import benchmarks."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument(
        "--project-only", action="store_true", help="skip the raw sides (a 1M memory check)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv, __doc__ or "")
    csv_path = Path(tempfile.mkdtemp()) / "new-claims.csv"
    backends, cleanup = targets(None if args.sqlite_only else args.postgres)
    if args.postgres_only:
        backends = backends[1:]
    _, _, base_mb = in_child(_baseline)
    print(f"# import csv of {args.rows:,} new claims; process baseline {base_mb:.0f} MB")
    print(
        f"{'database':<10} {'project s':>10} {'raw s':>8} {'ratio':>6} {'raw+dup s':>10}"
        f" {'ratio':>6} {'project MB':>11} {'raw MB':>7}"
    )
    try:
        for name, fresh in backends:
            urls = fresh(), fresh(), fresh()
            for url in urls[:1] if args.project_only else urls:
                prepare(url, args.rows, csv_path)
            rows, p_s, p_mb = in_child(project, urls[0], csv_path)
            if args.project_only:
                print(f"{name:<10} {p_s:>10.2f} {'':>8} {'':>6} {'':>10} {'':>6} {p_mb:>11.0f}")
                continue
            raw_rows, r_s, r_mb = in_child(raw, urls[1], csv_path)
            dup_rows, d_s, _ = in_child(raw, urls[2], csv_path, True)
            assert rows == raw_rows == dup_rows == args.rows, (rows, raw_rows, dup_rows)
            print(
                f"{name:<10} {p_s:>10.2f} {r_s:>8.2f} {p_s / r_s:>5.1f}x {d_s:>10.2f}"
                f" {p_s / d_s:>5.1f}x {p_mb:>11.0f} {r_mb:>7.0f}"
            )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
