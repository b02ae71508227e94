"""What the dashboard's background refresh of stored matches costs on an archive (#11, #12).

The queue page never waits for :func:`tracker.services.refresh_matches`: a
worker thread per dashboard process does it (``dashboard/background.py``).
Its first run in a process loads the match index and the stored claim vectors
(``tracker.services.references.warm_refresh``, outside the write transaction); later runs cost
what changed. This prints, for an archive made by ``benchmarks/generate.py``,
the first run's seconds, the next run's after nothing changed, and the
process's peak memory (``VmHWM``), in one process like the dashboard's.

    python -m benchmarks.background_refresh --db sqlite:///a1m.db
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from benchmarks.csv_import import peak_mb
from benchmarks.scale import after_a_write
from dashboard.background import MatchRefresher
from tracker import db, queries


def timed_request(refresher: MatchRefresher, engine: Any, url: str) -> float:
    after_a_write(url)  # every change marker bumped, nothing else changed
    with Session(engine) as s:
        marker = queries.change_markers(session=s)["claims"]
    started = time.perf_counter()
    refresher.request(marker)  # as the queue page after a write
    if not refresher.wait(3600):
        raise RuntimeError("the refresh did not finish within an hour")
    if refresher.last_error is not None:
        raise RuntimeError(f"the refresh failed: {refresher.last_error}")
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, metavar="URL")
    args = parser.parse_args(argv)
    engine = db.make_engine(args.db)
    refresher = MatchRefresher(engine)
    first = timed_request(refresher, engine, args.db)
    again = timed_request(refresher, engine, args.db)
    peak = round(peak_mb())
    lines = [
        f"first refresh in a process (index and vectors loaded): {first:.1f} s",
        f"next refresh, after a write that changed nothing it matches: {again:.2f} s",
        f"peak memory of the process: {peak} MB",
    ]
    print("\n".join(lines))
    engine.dispose()
    return lines


if __name__ == "__main__":
    main()
