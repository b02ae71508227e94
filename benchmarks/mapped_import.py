"""Mapped import of another tracker's CSV (#13): rows per second, SQLite and PostgreSQL.

Every row goes through the review rules (create, add source, review), so the
figure to watch is the time per row next to a plain INSERT of the same claims
(``executemany``), measured in the same run.

    .venv/bin/python -m benchmarks.mapped_import [--rows 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import Session

from tracker import db, services
from tracker.interchange.mapping import read_labels
from tracker.services import create_user

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


def run(url: str, n: int) -> tuple[float, float]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as s:
        create_user(session=s, name="admin", role="admin", actor=None)
        create_user(session=s, name="editor", role="editor", actor="admin")
    data = rows(n)
    started = time.perf_counter()
    with Session(engine) as s:
        services.import_mapped_csv(
            session=s,
            actor="editor",
            mapping={"claim": "claim", "label": "label", "source": "url"},
            article="bench",
            data=data,
            labels=read_labels(LABELS.encode(), "labels.csv"),
            delimiter="\t",
        )
    mapped = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:  # the floor: the same claims, one executemany, no rules
        conn.execute(
            text(
                "INSERT INTO claim (article_id, claim, quote, quote_start, quote_end, claim_type,"
                " status, origin, below_threshold, version, created_at, updated_at)"
                " VALUES (1, :c, '', 0, 0, 'other', 'unreviewed', 'imported', false, 1,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            [{"c": f"raw {i}"} for i in range(n)],
        )
    raw = time.perf_counter() - started
    engine.dispose()
    return mapped, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    targets = [("sqlite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")]
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    targets.append(("postgres", f"{args.postgres}?options=-csearch_path%3D{schema}"))
    print(
        f"{'database':<10} {'rows':>7} {'mapped import':>14} {'rows/s':>8} {'raw insert':>11} ratio"
    )
    try:
        for name, url in targets:
            mapped, raw = run(url, args.rows)
            print(
                f"{name:<10} {args.rows:>7,} {mapped:>13.1f}s {args.rows / mapped:>8,.0f}"
                f" {raw:>10.2f}s {mapped / raw:>5.0f}x"
            )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
