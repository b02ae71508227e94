"""How long a dashboard page rerun takes: a small archive vs. 10,000 claims.

Runs every page through Streamlit's AppTest on both databases in the same
process, interleaved, and prints the median rerun time per page and the ratio
(10k / 200 claims), both archives from ``benchmarks/generate.py``. A flat
ratio means paging and filtering happen in SQL.

    python benchmarks/dashboard_rerun.py [--claims 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks.generate import generate
from benchmarks.scale import matches_current

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = {
    "queue": None,
    "claim": "views/claim.py",
    "confirm": "views/confirm.py",
    "article": "views/article.py",
    "overview": "views/overview.py",
    "export": "views/export.py",
}


def time_page(url: str, page: str | None, runs: int) -> tuple[float, float]:
    os.environ["TRACKER_DATABASE_URL"] = url
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["signed_in"] = {"name": "admin", "role": "admin"}
    at.query_params["id"] = "1"
    start = time.perf_counter()
    at.run()
    if page:
        at.switch_page(page).run()
    first = time.perf_counter() - start
    assert not at.exception, [e.message for e in at.exception]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - start)
    return first, statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, large = f"sqlite:///{Path(tmp) / 'small.db'}", f"sqlite:///{Path(tmp) / 'large.db'}"
        for url, n in ((small, 200), (large, args.claims)):
            generate(url, n)
            made, took = matches_current(url)  # not the queue's refresh of every match (#12)
            print(f"# {n:,} claims: {made:,} vectors stored in {took:.1f} s, matches current")
        print(
            f"{'page':<10} {'small first':>13} {'small rerun':>13} "
            f"{f'{args.claims} first':>13} {f'{args.claims} rerun':>13} {'ratio':>6}"
        )
        for name, page in PAGES.items():
            s_first, s_rerun = time_page(small, page, args.runs)
            l_first, l_rerun = time_page(large, page, args.runs)
            print(
                f"{name:<10} {s_first * 1000:>11.0f}ms {s_rerun * 1000:>11.0f}ms "
                f"{l_first * 1000:>11.0f}ms {l_rerun * 1000:>11.0f}ms {l_rerun / s_rerun:>6.2f}"
            )


if __name__ == "__main__":
    main()
