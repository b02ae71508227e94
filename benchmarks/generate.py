"""A realistic, deterministic newsroom archive for benchmarks (#10).

N/100 articles of about 18 KB of text, 100 claims each quoting their article
at exact offsets, 0-5 sources and 0-3 notes per claim, a review history and
the audit events of all of it, in the schema the project's own migrations
create (SQLite or PostgreSQL). The same ``--claims`` and ``--seed`` give the
same archive. Rows are written in bulk (SQLite ``executemany``, PostgreSQL
``COPY``), article by article batch, so memory stays flat at any size; the
text index, counters and change markers end up as the services keep them.

    python -m benchmarks.generate --claims 100000 --db sqlite:///archive.db
    python -m benchmarks.generate --claims 100000 --db postgresql://postgres@127.0.0.1/h10_bench
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker import counters, db, services

CLAIMS_PER_ARTICLE = 100
SENTENCES_PER_ARTICLE = 120
SENTENCES_PER_PART = 20  # under a heading "Part N: ...", the claims' section "Part N"
SENTENCES_PER_PARAGRAPH = 5  # a paragraph is a line, as in an imported article
ACCOUNTS = {"admin": "admin", "editor": "editor", "eve": "editor", "ana": "reviewer"}
ACCOUNTS |= {"bob": "reviewer", "carol": "reviewer", "dan": "reviewer", "victor": "viewer"}
REVIEWERS = ("ana", "bob", "carol", "dan", "editor", "eve")
STATUSES = ("unreviewed", "in_review", "verified", "flagged", "dismissed")
STATUS_WEIGHTS = (55, 8, 20, 10, 7)
TYPES = ("statistic", "comparison", "attribution", "event", "capability", "prediction", "other")
REASONS = ("false", "misleading", "unverifiable", "outdated", "needs_editor")
STANCES = ("supports", "refutes", "context")
BASE = datetime(2025, 1, 1, tzinfo=UTC)

COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "it",
    "its",
    "this",
    "are",
    "was",
    "be",
    "has",
    "have",
    "will",
    "more",
    "than",
    "per",
    "cent",
    "percent",
    "billion",
    "million",
    "year",
    "years",
    "new",
    "chips",
    "cloud",
    "data",
    "model",
    "models",
    "training",
    "inference",
    "market",
    "share",
    "revenue",
    "said",
    "according",
    "report",
]
# Consonant-vowel(-coda) syllables: made-up words with about as many distinct
# trigrams as English text has, so a trigram index is not flattered or punished.
SYLLABLES = [
    c + v + k for c in "bcdfghjklmnprstvwz" for v in "aeiou" for k in ("", "n", "r", "s", "l")
]


def vocabulary(rng: random.Random, size: int = 6000) -> tuple[list[str], list[float]]:
    """Made-up words with a Zipf-like frequency, plus common English ones on top."""
    words = list(COMMON)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    return words, cumulative


@dataclass
class Rows:
    """One batch of rows per table, as tuples in the column order of ``COLUMNS``."""

    article: list[tuple[Any, ...]] = field(default_factory=list)
    claim: list[tuple[Any, ...]] = field(default_factory=list)
    source: list[tuple[Any, ...]] = field(default_factory=list)
    note: list[tuple[Any, ...]] = field(default_factory=list)
    event: list[tuple[Any, ...]] = field(default_factory=list)


COLUMNS = {
    "article": (
        "id",
        "slug",
        "title",
        "publisher",
        "url",
        "published",
        "text",
        "sha256",
        "revision",
        "created_at",
    ),
    "claim": (
        "id",
        "article_id",
        "claim",
        "quote",
        "quote_start",
        "quote_end",
        "section",
        "claim_type",
        "score",
        "status",
        "flag_reason",
        "assignee",
        "origin",
        "below_threshold",
        "last_reviewed_by",
        "last_reviewed_at",
        "confirmed_by",
        "confirmed_at",
        "created_at",
        "updated_at",
        "version",
        "source_count",
    ),
    "source": ("id", "claim_id", "url", "title", "publisher", "stance", "added_by", "added_at"),
    "note": ("id", "claim_id", "author", "body", "created_at"),
    "event": (
        "id",
        "claim_id",
        "actor",
        "action",
        "field",
        "old_value",
        "new_value",
        "detail",
        "claim_version",
        "at",
    ),
}
TABLES = tuple(COLUMNS)  # foreign-key order


class Archive:
    """Generates the archive's rows batch by batch; ids are assigned here."""

    def __init__(self, claims: int, seed: int, *, sqlite: bool = False) -> None:
        self.rng = random.Random(seed)
        # Timestamps as the database driver takes them: SQLite gets the text
        # SQLAlchemy stores (UTC, microseconds), made once here, not per value later.
        self.stamp: Callable[[datetime], Any] = _sqlite_stamp if sqlite else _same
        self.day: Callable[[date], Any] = date.isoformat if sqlite else _same
        self.words, self.cum = vocabulary(self.rng)
        self.claims = claims
        self.ids = Counter[str]()

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def sentence(self) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.cum, k=rng.randint(14, 30))
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), f"{rng.randint(2, 999)}{rng.choice(['%', ''])}")
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def batches(self, articles_per_batch: int) -> Iterator[Rows]:
        n_articles = -(-self.claims // CLAIMS_PER_ARTICLE)
        left = self.claims
        for start in range(0, n_articles, articles_per_batch):
            rows = Rows()
            for _ in range(min(articles_per_batch, n_articles - start)):
                count = min(CLAIMS_PER_ARTICLE, left)
                left -= count
                self.article(rows, count)
            yield rows

    def article(self, rows: Rows, n_claims: int) -> None:
        rng = self.rng
        article_id = self.next_id("article")
        parts, offsets, pos = [], [], 0
        for i in range(SENTENCES_PER_ARTICLE):
            if i % SENTENCES_PER_PART == 0:  # a heading line, then the part's paragraphs
                title = self.sentence()[:40].rstrip(".")
                lead = "\n\n" if i else ""
                gap = f"{lead}Part {i // SENTENCES_PER_PART + 1}: {title}\n\n"
            else:
                gap = "\n\n" if i % SENTENCES_PER_PARAGRAPH == 0 else " "
            parts.append(gap)
            pos += len(gap)
            s = self.sentence()
            offsets.append((pos, pos + len(s), i // SENTENCES_PER_PART + 1))
            parts.append(s)
            pos += len(s)
        text = "".join(parts) + "\n"
        created = BASE + timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86_399))
        rows.article.append(
            (
                article_id,
                f"archive-{article_id:07d}",
                self.sentence()[:120],
                rng.choice(["Daily Ledger", "The Wire", "Metro Post", "Signal"]),
                f"https://news.example/{article_id}",
                self.day((created - timedelta(days=1)).date()),
                text,
                hashlib.sha256(text.encode()).hexdigest(),
                1,
                self.stamp(created),
            )
        )
        for start, end, part in sorted(rng.sample(offsets, n_claims)):
            self.claim(rows, article_id, text, start, end, part, created)

    def claim(
        self, rows: Rows, article_id: int, text: str, start: int, end: int, part: int, at: datetime
    ) -> None:
        rng = self.rng
        claim_id = self.next_id("claim")
        quote = text[start:end]
        status = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
        created = at + timedelta(minutes=rng.randint(1, 600))
        version = 1
        stamp = self.stamp
        self.event(
            rows, claim_id, "admin", "created", None, None, quote[:80], None, 1, stamp(created)
        )
        n_sources = rng.randint(1 if status == "verified" else 0, 5)
        stances = [rng.choice(STANCES) for _ in range(n_sources)]
        if status == "verified":
            stances[0] = "supports"
        for k, stance in enumerate(stances):
            added = created + timedelta(hours=k + 1)
            url = f"https://source{rng.randint(1, 400)}.example/{claim_id}/{k}"
            added = stamp(added)
            rows.source.append(
                (self.next_id("source"), claim_id, url, None, None, stance, "ana", added)
            )
            self.event(
                rows, claim_id, "ana", "source_added", "source", None, url, None, None, added
            )
        n_notes = rng.randint(1 if status == "flagged" else 0, 3)
        for k in range(n_notes):
            added = created + timedelta(hours=k + 2)
            body = self.sentence()[: rng.randint(30, 160)]
            added = stamp(added)
            rows.note.append((self.next_id("note"), claim_id, "bob", body, added))
            self.event(rows, claim_id, "bob", "note_added", "note", None, body, None, None, added)
        reviewer = reviewed_at = reason = None
        updated = created
        if status != "unreviewed":
            reviewer = rng.choice(REVIEWERS)
            reviewed_at = updated = created + timedelta(days=rng.randint(0, 60), hours=6)
            reason = rng.choice(REASONS) if status == "flagged" else None
            if reason in ("false", "misleading") and not {"refutes", "context"} & set(stances):
                reason = "unverifiable"
            version += 1
            detail = f"flag reason: - -> {reason}" if reason else None
            self.event(
                rows, claim_id, reviewer, "review", "status", "unreviewed", status, detail,
                version, stamp(reviewed_at),
            )  # fmt: skip
        assignee = rng.choice((None, None, *REVIEWERS))
        rows.claim.append(
            (
                claim_id,
                article_id,
                quote[: rng.randint(60, 140)].rstrip() or quote,
                quote,
                start,
                end,
                f"Part {part}",
                rng.choice(TYPES),
                round(rng.random(), 3),
                status,
                reason,
                assignee,
                rng.choice(("curated", "extracted", "imported")),
                False,
                reviewer,
                reviewed_at and stamp(reviewed_at),
                None,
                None,
                stamp(created),
                stamp(updated),
                version,
                n_sources,
            )
        )

    def event(self, rows: Rows, claim_id: int, *values: Any) -> None:
        rows.event.append((self.next_id("event"), claim_id, *values))


def _sqlite_stamp(value: datetime) -> str:
    """As SQLAlchemy stores a (UTC) DateTime on SQLite: no offset, microseconds."""
    return value.isoformat(" ", "microseconds")[:26]


def _same(value: Any) -> Any:
    return value


def _write_sqlite(conn: Any, rows: Rows) -> None:
    cur = conn.cursor()
    cur.execute("BEGIN")
    for table in TABLES:
        cols = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        cur.executemany(sql, getattr(rows, table))
    cur.execute("COMMIT")


def _write_postgres(conn: Any, rows: Rows) -> None:
    with conn.cursor() as cur:
        for table in TABLES:
            with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                for r in getattr(rows, table):
                    copy.write_row(r)
    conn.commit()


def _finish(engine: Engine, archive: Archive) -> None:
    """Counters and sequences, as the services would have left them."""
    with engine.begin() as conn:  # the counters were recounted after the bulk rows
        conn.exec_driver_sql("UPDATE change_marker SET n = n + 1")
        if engine.dialect.name == "postgresql":
            for table in TABLES:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        else:
            conn.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "postgresql":  # visibility map for index-only scans, statistics
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {', '.join(TABLES)}, verdict_day")


# Built once after the bulk rows instead of row by row: secondary indexes of the
# bulk tables, the text index and every counter (tracker.counters: its triggers are
# off while the bulk rows go in, then each counter is set to its recount).


def _defer_sqlite(dbapi: Any) -> list[str]:
    """Drop what the bulk rows would maintain row by row; the statements that restore it."""
    names = ", ".join(f"'{t}'" for t in TABLES)
    kept_by_triggers = ("claim_fts_ai", "note_fts_ai", *counters.triggers("sqlite"))
    deferred = ", ".join(f"'{t}'" for t in kept_by_triggers)
    saved = dbapi.execute(
        f"SELECT name, type, sql FROM sqlite_master WHERE tbl_name IN ({names}) AND ("
        "(type = 'index' AND sql IS NOT NULL) OR "  # not the primary keys' autoindexes
        f"(type = 'trigger' AND name IN ({deferred})))"
    ).fetchall()
    for name, kind, _ in saved:
        dbapi.execute(f"DROP {kind.upper()} {name}")
    return [
        "INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')",
        "INSERT INTO note_fts(note_fts) VALUES ('rebuild')",
        *counters.recount_statements("sqlite"),
        *(sql for _, _, sql in saved),
    ]


def _defer_postgres(dbapi: Any) -> list[str]:
    names = ", ".join(f"'{t}'" for t in TABLES)
    with dbapi.cursor() as cur:
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
            f" AND i.tablename IN ({names}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)"
        )
        saved = cur.fetchall()
        for name, _ in saved:
            cur.execute(f'DROP INDEX "{name}"')
        for trigger, table in counters.triggers("postgresql").items():
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    dbapi.commit()
    return [
        "SET maintenance_work_mem = '256MB'",
        *counters.recount_statements("postgresql"),
        *(
            f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"
            for trigger, table in counters.triggers("postgresql").items()
        ),
        *(sql for _, sql in saved),
    ]


def generate(url: str, claims: int, *, seed: int = 7, progress: bool = False) -> dict[str, int]:
    """Create the schema at ``url`` and fill it; returns the row count per table."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as s:
        for name, role in ACCOUNTS.items():
            services.create_user(session=s, name=name, role=role, actor="admin")
    sqlite = engine.dialect.name == "sqlite"
    archive = Archive(claims, seed, sqlite=sqlite)
    with engine.connect() as conn:  # the accounts' events came first
        for table in TABLES:
            archive.ids[table] = conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0
    raw = engine.raw_connection()
    try:
        dbapi: Any = raw.driver_connection
        if sqlite:
            dbapi.execute("PRAGMA synchronous=OFF")
            dbapi.execute("PRAGMA cache_size=-262144")  # 256 MB for building the indexes
            restore = _defer_sqlite(dbapi)
        else:
            restore = _defer_postgres(dbapi)
        write = _write_sqlite if sqlite else _write_postgres
        started = time.perf_counter()
        for rows in archive.batches(articles_per_batch=100):
            write(dbapi, rows)
            if progress:
                done = archive.ids["claim"]
                rate = done / (time.perf_counter() - started)
                print(f"\r{done:>10,} claims  {rate:>8,.0f}/s", end="", file=sys.stderr)
        if progress:
            print(file=sys.stderr)
        built = time.perf_counter()
        if sqlite:
            dbapi.execute("BEGIN")
            for sql in restore:
                dbapi.execute(sql)
            dbapi.execute("COMMIT")
        else:
            with dbapi.cursor() as cur:
                for sql in restore:
                    cur.execute(sql)
            dbapi.commit()
        if progress:
            took = time.perf_counter() - built
            print(f"indexes, text index and tally built in {took:.1f} s", file=sys.stderr)
    finally:
        raw.close()
    _finish(engine, archive)
    engine.dispose()
    return dict(archive.ids)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--db", required=True, metavar="URL")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.db, args.claims, seed=args.seed, progress=True)
    took = time.perf_counter() - started
    print(", ".join(f"{n:,} {t}s" for t, n in counts.items()) + f" in {took:.1f} s")


if __name__ == "__main__":
    main()
