"""`tracker import-article` of a large article: time, peak memory and the write lock.

The articles are BBC News texts (``../shared/data/bbc-news/articles.jsonl``, see
its README; never copied into the repository) joined one after another up to
250 KB, 1 MB and 4.9 MB (under the 5 MB cap). Each size is imported into a
fresh SQLite database by ``services.import_article`` in its own process, so its
peak memory (``VmHWM``) is its own; this process meanwhile tries to take the
write lock (``BEGIN IMMEDIATE`` with no wait) every 5 ms, and sums the time it
was refused: how long every other writer would have been told "database is
busy". The per-MB ratios show whether the import grows linearly.

    nice -n 10 .venv/bin/python -m benchmarks.article_import [--sizes 250k,1m,4.9m]
        [--limit 900] [--data ../shared/data/bbc-news/articles.jsonl]

A size that has not finished after ``--limit`` seconds is stopped and shown
as "> limit". The table is printed and written to
``benchmarks/results/article_import-YYYY-MM-DD.txt``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from benchmarks.csv_import import peak_mb
from tracker import db, services
from tracker.services import create_user

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "bbc-news" / "articles.jsonl"
RESULTS = Path(__file__).with_name("results")
SIZES = {"250k": 250_000, "1m": 1_000_000, "4.9m": 4_900_000}


def article(data: Path, size: int) -> str:
    """BBC articles one after another (a blank line between), cut to ``size`` bytes."""
    parts: list[str] = []
    total = 0
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line)["text"].strip() + "\n\n"
            parts.append(text)
            total += len(text.encode("utf-8"))
            if total >= size:
                break
    if total < size:
        raise SystemExit(f"error: {data} holds only {total:,} bytes of text; {size:,} asked")
    return "".join(parts).encode("utf-8")[:size].decode("utf-8", "ignore")


def _child(url: str, path: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = db.make_engine(url)
    started = time.perf_counter()
    cpu = time.process_time()
    with Session(engine) as session:
        report = services.import_article(session=session, source=path, actor="editor")
    out.put(
        {
            "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu,
            "peak_mb": peak_mb(),
            "candidates": len(report.created) + report.below_threshold,
            "linked": len(report.linked),
        }
    )
    engine.dispose()


def _lock_prober(path: Path, stop: threading.Event, held: list[float]) -> None:
    """Sum the time a no-wait ``BEGIN IMMEDIATE`` is refused (the write lock is taken)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    last = time.perf_counter()
    while not stop.is_set():
        now = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            held[0] += now - last
        last = now
        stop.wait(0.005)
    conn.close()


def measure(text: str, limit: float) -> dict[str, float] | None:
    with tempfile.TemporaryDirectory(prefix="article-import-") as tmp:
        db_path = Path(tmp) / "bench.db"
        url = f"sqlite:///{db_path}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        with Session(engine) as s:
            create_user(session=s, name="admin", role="admin", actor=None)
            create_user(session=s, name="editor", role="editor", actor="admin")
        engine.dispose()
        source = Path(tmp) / "article.txt"
        source.write_text(text, encoding="utf-8")
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        child = ctx.Process(target=_child, args=(url, str(source), out))
        stop, held = threading.Event(), [0.0]
        prober = threading.Thread(target=_lock_prober, args=(db_path, stop, held))
        prober.start()
        child.start()
        child.join(limit)
        finished = not child.is_alive()
        if not finished:
            child.terminate()
            child.join()
        stop.set()
        prober.join()
        if not finished or out.empty():
            return None
        result: dict[str, float] = out.get()
        result["lock_seconds"] = held[0]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="of " + ", ".join(SIZES))
    parser.add_argument("--limit", type=float, default=900.0, help="seconds per size")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--label", default="", help="a word for the results file name")
    args = parser.parse_args()
    names = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in names if s not in SIZES]
    if unknown:
        raise SystemExit(f"error: unknown size {unknown[0]!r}; sizes are {', '.join(SIZES)}")
    header = (
        f"{'size':>6} {'bytes':>10} {'candidates':>10} {'seconds':>8} {'s/MB':>7} "
        f"{'cpu s':>7} {'peak MB':>8} {'lock s':>7} {'lock s/MB':>9}"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC)
    label = f"-{args.label}" if args.label else ""
    target = RESULTS / f"article_import-{stamp:%Y-%m-%d}{label}.txt"
    rows = [f"# benchmarks.article_import, {stamp:%Y-%m-%d %H:%M} UTC, SQLite", header]
    print(header, flush=True)
    for name in names:
        text = article(args.data, SIZES[name])
        size = len(text.encode("utf-8"))
        mb = size / 1_000_000
        r = measure(text, args.limit)
        if r is None:
            row = f"{name:>6} {size:>10,} {'':>10} {'> ' + format(args.limit, 'g'):>8}"
        else:
            row = (
                f"{name:>6} {size:>10,} {int(r['candidates']):>10,} {r['seconds']:>8.1f} "
                f"{r['seconds'] / mb:>7.1f} {r['cpu']:>7.1f} {r['peak_mb']:>8.0f} "
                f"{r['lock_seconds']:>7.2f} {r['lock_seconds'] / mb:>9.2f}"
            )
        rows.append(row)
        print(row, flush=True)
        # written after each size: a long run stopped half-way keeps what it measured
        target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
