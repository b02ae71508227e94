"""Mapped import of another tracker's CSV (#13): rows per second, SQLite and PostgreSQL.

Every row is checked by the review rules (create, add source, review) and
written in chunks; the figure to watch is the time next to a plain INSERT of
the same claims (``executemany``; on PostgreSQL one multi-row INSERT per
2,000 rows), measured in the same run, and the peak
memory of each (its own process, ``VmHWM``: see ``csv_import.peak_mb``).

    nice -n 10 .venv/bin/python -m benchmarks.mapped_import [--rows 10000] [--postgres URL]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from tracker import db, services
from tracker.interchange.mapping import read_labels
from tracker.services import create_user

from .csv_import import arguments, in_child, targets

LABELS = (
    "label,status,flag_reason,rating\n"
    "True,verified,,True\n"
    "Pants on Fire,flagged,false,False\n"
    "Half True,flagged,misleading,Misleading / Half true\n"
    "Mostly True,verified,,Mostly true\n"
    "Unproven,flagged,unverifiable,Unverifiable\n"
)


def rows(n: int) -> bytes:
    names = ["True", "Pants on Fire", "Half True", "Mostly True", "Unproven", ""]
    out = ["claim\tlabel\turl"]
    for i in range(n):
        url = f"https://example.org/{i}" if i % 3 else ""
        out.append(f"Claim number {i} about {i * 7} things.\t{names[i % len(names)]}\t{url}")
    return ("\n".join(out) + "\n").encode()


def prepare(url: str, n: int, path: Path) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as s:
        create_user(session=s, name="admin", role="admin", actor=None)
        create_user(session=s, name="editor", role="editor", actor="admin")
    engine.dispose()
    path.write_bytes(rows(n))


def mapped(url: str, path: Path) -> int:
    engine = db.make_engine(url)
    with Session(engine) as s:
        report = services.import_mapped_csv(
            session=s,
            actor="editor",
            mapping={"claim": "claim", "label": "label", "source": "url"},
            article="bench",
            path=path,
            labels=read_labels(LABELS.encode(), "labels.csv"),
            delimiter="\t",
        )
    engine.dispose()
    return report.created


def raw(url: str, path: Path) -> int:
    """The floor: the same claims, no rules; an executemany on SQLite, and on PostgreSQL
    one multi-row INSERT per 2,000 rows (see ``csv_import.raw``)."""
    engine = db.make_engine(url)
    n = path.read_bytes().count(b"\n") - 1
    constants = (
        "'', 0, 0, 'other', 'unreviewed', 'imported', false, 1,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
    )
    columns = (
        "article_id, claim, quote, quote_start, quote_end, claim_type,"
        " status, origin, below_threshold, version, created_at, updated_at"
    )
    texts = [f"raw {i}" for i in range(n)]
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(f"INSERT INTO claim ({columns}) VALUES (1, :c, {constants})"),
                [{"c": c} for c in texts],
            )
        else:
            for start in range(0, n, 2_000):
                conn.execute(
                    text(
                        f"INSERT INTO claim ({columns}) SELECT 1, c, {constants} "
                        "FROM unnest(CAST(:cs AS text[])) AS c"
                    ),
                    {"cs": texts[start : start + 2_000]},
                )
    engine.dispose()
    return n


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv, __doc__ or "")
    path = Path(tempfile.mkdtemp()) / "other.tsv"
    backends, cleanup = targets(None if args.sqlite_only else args.postgres)
    if args.postgres_only:
        backends = backends[1:]
    print(
        f"{'database':<10} {'rows':>7} {'mapped import':>14} {'rows/s':>8} {'raw insert':>11}"
        f" {'ratio':>6} {'mapped MB':>10} {'raw MB':>7}"
    )
    try:
        for name, fresh in backends:
            url = fresh()
            prepare(url, args.rows, path)
            created, seconds, mb = in_child(mapped, url, path)
            assert created == args.rows, created
            raw_cells = f"{'skipped':>11} {'':>6}", f"{'':>7}"
            if not args.project_only:
                _, raw_s, raw_mb = in_child(raw, url, path)
                raw_cells = f"{raw_s:>10.2f}s {seconds / raw_s:>5.1f}x", f"{raw_mb:>7.0f}"
            print(
                f"{name:<10} {args.rows:>7,} {seconds:>13.2f}s {args.rows / seconds:>8,.0f}"
                f" {raw_cells[0]} {mb:>10.0f} {raw_cells[1]}"
            )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
