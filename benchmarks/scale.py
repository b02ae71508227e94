"""How the tracker answers on a large archive (#10), project and raw side by side.

Point it at an archive made by ``benchmarks/generate.py``; it prints, as
medians: every queue filter, sort and text search with its count, its page and
the queue's one call for both (``queries.queue_page``: the page and its two counts), the
overview, ``tracker claims``, the CSV export next to one raw join written with
``csv.writer``, and cold dashboard reruns of every page (AppTest): the rerun after
a write, which finds every change-marker-keyed cache stale.

    python -m benchmarks.generate --claims 100000 --db sqlite:///a100k.db
    python -m benchmarks.scale --db sqlite:///a100k.db [--runs 5] [--skip-export]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from tracker import db, queries
from tracker.interchange.csv_export import write_csv
from tracker.queries import ClaimFilter

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
QUEUE_TARGET_MS = 100


def median_ms(
    func: Callable[[], object], runs: int, prepare: Callable[[], object] | None = None
) -> float:
    """Median milliseconds of ``func``; ``prepare`` runs untimed before each call."""
    if prepare:
        prepare()
    func()  # warm the page cache: the figures are for a database in use
    samples = []
    for _ in range(runs):
        if prepare:
            prepare()
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def queue_cases(session: Session) -> dict[str, tuple[ClaimFilter, str, bool]]:
    slug = queries.list_articles(session=session)[-1].slug
    word = search_word(session)
    cases: dict[str, tuple[ClaimFilter, str, bool]] = {
        "no filter": (ClaimFilter(), "id", False),
        "status unreviewed": (ClaimFilter(status=["unreviewed"]), "id", False),
        "status flagged+verified": (ClaimFilter(status=["flagged", "verified"]), "id", False),
        "type statistic": (ClaimFilter(claim_type=["statistic"]), "id", False),
        "assignee ana": (ClaimFilter(assignee="ana"), "id", False),
        "unassigned": (ClaimFilter(assignee="-"), "id", False),
        "origin imported": (ClaimFilter(origin="imported"), "id", False),
        "article (last)": (ClaimFilter(article=slug), "id", False),
        "pending confirmation": (ClaimFilter(pending_confirmation=True), "id", False),
        "has a close match": (ClaimFilter(has_match=True), "id", False),
        "search, no match": (ClaimFilter(search="zzqxnotthere"), "id", False),
        "search, a word": (ClaimFilter(search=word), "id", False),
        "search, a word + unreviewed": (
            ClaimFilter(search=word, status=["unreviewed"]),
            "id",
            False,
        ),
    }
    for key in queries.SORT_KEYS[1:]:
        cases[f"sort {key} desc"] = (ClaimFilter(), key, True)
    return cases


def search_word(session: Session) -> str:
    """A word of the archive's vocabulary (the first long one of claim 1)."""
    text = queries.get_claim(session=session, claim_id=1).claim
    return max(text.split(), key=len).strip(".")


def bench_queue(session: Session, runs: int) -> list[tuple[str, float, float, float, int]]:
    """Per case: the count, the page of 50, and the queue's one call for both
    (``queries.queue_page``: the page and its two counts, a search run once)."""
    rows = []
    for name, (filters, sort, desc) in queue_cases(session).items():
        total = 0

        def count(f: ClaimFilter = filters) -> None:
            nonlocal total
            total = queries.count_claims(session=session, filters=f)

        def page(f: ClaimFilter = filters, s: str = sort, d: bool = desc) -> None:
            queries.list_claims(session=session, filters=f, sort=s, descending=d, limit=50)

        def queue(f: ClaimFilter = filters, s: str = sort, d: bool = desc) -> None:
            queries.queue_page(session=session, filters=f, sort=s, descending=d, limit=50)

        timed = (median_ms(count, runs), median_ms(page, runs), median_ms(queue, runs))
        rows.append((name, *timed, total))
    return rows


def raw_export(engine: Any, out: io.TextIOBase) -> int:
    """The same rows with one join and csv.writer: the floor the export is compared to."""
    sql = (
        "SELECT c.id, a.slug, c.section, c.claim, c.quote, c.quote_start, c.quote_end, "
        "c.claim_type, c.status, c.flag_reason, c.assignee, c.version, c.origin, c.score, "
        "c.source_count, s.stance, s.url, s.archived_url, n.author, n.created_at, n.body, "
        "c.last_reviewed_by, c.last_reviewed_at, c.confirmed_by, c.confirmed_at, "
        "c.created_at, c.updated_at FROM claim c JOIN article a ON a.id = c.article_id "
        "LEFT JOIN source s ON s.claim_id = c.id LEFT JOIN note n ON n.claim_id = c.id "
        "WHERE c.below_threshold = false ORDER BY c.id"
    )
    writer = csv.writer(out)
    n = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).exec_driver_sql(sql)
        for row in result:
            writer.writerow(row)
            n += 1
    return n


def after_a_write(url: str) -> None:
    """What a write leaves for the next rerun: every change marker bumped, so each
    marker-keyed read misses its cache (the stored matches' cache stays, as it does)."""
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE change_marker SET n = n + 1")
    engine.dispose()


def matches_current(url: str) -> tuple[int, float]:
    """Store the missing claim vectors and declare every stored best match current.

    The queue page refreshes every claim's best earlier match (#12) whenever the
    reviewed claims changed, searching the index once per claim: hours at 100k
    claims, a cost of its own, not of a page. Before pages are timed the archive
    is put in the state a finished refresh leaves (vectors stored, matches of the
    current generation); new vectors get no match.
    Returns the vectors computed and the seconds it took.
    """
    from sqlalchemy import update
    from sqlmodel import col, select

    from tracker.matching import embed, store
    from tracker.models import Claim, ClaimVector

    started = time.perf_counter()
    engine = db.make_engine(url)
    try:
        with Session(engine) as s:
            # a write from the start: a dashboard's background refresh (#11) may commit
            # meanwhile, and SQLite refuses to upgrade a read transaction past a write
            db.begin_write(s)
            have = dict(s.exec(select(ClaimVector.claim_id, ClaimVector.text_sha)).all())
            todo = [
                (cid, text)
                for cid, text in s.exec(select(Claim.id, Claim.claim)).all()
                if have.get(cid or 0) != store.text_sha(text)
            ]
            for start in range(0, len(todo), 5000):
                batch = todo[start : start + 5000]
                vectors = embed.encode([text for _, text in batch])
                for (cid, text), vector in zip(batch, vectors, strict=True):
                    row = ClaimVector(
                        claim_id=cid or 0,
                        text_sha=store.text_sha(text),
                        embedding=embed.to_bytes(vector),
                    )
                    s.merge(row) if cid in have else s.add(row)
                s.flush()
            generation = store.generation(s)
            s.execute(
                update(ClaimVector)
                .where(col(ClaimVector.generation).is_distinct_from(generation))
                .values(generation=generation)
            )
            s.commit()
        if engine.dialect.name == "postgresql":
            # Every row was just rewritten: what autovacuum does next, before pages are
            # timed (with stale statistics the to-do query walks every vector by id).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE claim_vector")
    finally:
        engine.dispose()
    return len(todo), time.perf_counter() - started


def bench_dashboard(url: str, runs: int) -> list[tuple[str, float]]:
    from streamlit.testing.v1 import AppTest

    os.environ["TRACKER_DATABASE_URL"] = url
    engine = db.make_engine(url)
    with Session(engine) as session:
        word = search_word(session)
    engine.dispose()
    pages: dict[str, tuple[str | None, dict[str, str]]] = {
        "queue": (None, {}),
        "queue + search": (None, {"search": word}),
        "claim": ("views/claim.py", {}),
        "article": ("views/article.py", {}),
        "overview": ("views/overview.py", {}),
    }
    out = []
    for name, (page, state) in pages.items():
        at = AppTest.from_file(APP, default_timeout=300)
        at.session_state["signed_in"] = {"name": "admin", "role": "admin"}
        at.query_params["id"] = "1"
        at.run()
        if "search" in state:
            at.text_input(key="f_search").input(state["search"]).run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.message for e in at.exception]

        def write(url: str = url) -> None:
            after_a_write(url)

        out.append((name, median_ms(at.run, runs, prepare=write) / 1000))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, metavar="URL")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument(
        "--page-runs", type=int, metavar="N", help="cold reruns per dashboard page (default: "
        "half of --runs, as for the export)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    slow_runs = max(1, args.runs // 2)
    engine = db.make_engine(args.db)
    with Session(engine) as session:
        n = queries.count_claims(session=session)
        print(f"# {n:,} claims on {engine.dialect.name}; medians of {args.runs} warm runs")
        print(f"{'queue case':<26} {'count ms':>9} {'page ms':>9} {'queue ms':>9} {'matches':>9}")
        worst = 0.0
        for name, count_ms, page_ms, queue_ms, total in bench_queue(session, args.runs):
            worst = max(worst, count_ms, page_ms, queue_ms)
            print(f"{name:<26} {count_ms:>9.1f} {page_ms:>9.1f} {queue_ms:>9.1f} {total:>9,}")
        print(f"worst queue query: {worst:.1f} ms (target {QUEUE_TARGET_MS} ms)")
        ov = median_ms(lambda: queries.overview(session=session), args.runs)
        print(f"overview (all claims): {ov:.1f} ms")
        if not args.skip_export:
            project = median_ms(lambda: write_csv(io.StringIO(), session=session), slow_runs)
            raw = median_ms(lambda: raw_export(engine, io.StringIO()), slow_runs)
            print(f"export csv: project {project:.0f} ms, raw {raw:.0f} ms, {project / raw:.2f}x")
    if not args.skip_dashboard:
        made, took = matches_current(args.db)
        print(f"{made:,} claim vectors stored in {took:.1f} s, stored matches declared current")
        print(f"{'dashboard page':<26} {'cold rerun s':>12}")
        for name, seconds in bench_dashboard(args.db, args.page_runs or slow_runs):
            print(f"{name:<26} {seconds:>12.2f}")
    engine.dispose()


if __name__ == "__main__":
    main()
