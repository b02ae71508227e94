"""The queue's stored best matches are refreshed off the page's run (#11, #12)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.background import THREAD_NAME, MatchRefresher
from tracker import queries, services
from tracker.queries import ClaimFilter

from .test_dashboard_apptest import app, empty_db, seeded_db  # noqa: F401 (fixtures)

FEED = Path(__file__).parent / "data" / "claimreview_feed.json"
WAIT = 120  # seconds; generous for a loaded machine, never reached when it works


def _claims_marker(engine: Engine) -> int:
    with Session(engine) as s:
        return queries.change_markers(session=s)["claims"]


def _matched(engine: Engine) -> int:
    with Session(engine) as s:
        return queries.count_claims(session=s, filters=ClaimFilter(has_match=True))


def test_a_request_refreshes_in_the_background_and_then_nothing_is_due(seeded: Session) -> None:
    engine = seeded.get_bind()
    assert isinstance(engine, Engine)
    services.import_references(session=seeded, path=FEED, actor="editor")
    before = _claims_marker(engine)
    assert _matched(engine) == 0
    refresher = MatchRefresher(engine)
    assert refresher.request(before) is False  # returns at once: a refresh is due
    assert refresher.wait(WAIT) and refresher.last_error is None
    assert _matched(engine) > 0
    after = _claims_marker(engine)
    assert after > before  # the refresh wrote matches: caches keyed by the marker see them
    assert refresher.request(after) is False  # checks once more as of the new marker
    assert refresher.wait(WAIT) and refresher.last_error is None
    assert _claims_marker(engine) == after  # that refresh had nothing to write
    assert refresher.request(after) is True  # up to date: nothing starts
    assert refresher.runs == 2


class _Gated(MatchRefresher):
    """A refresher whose refresh waits for the test, and records what it was asked."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.asked: list[tuple[int, ...]] = []

    def _refresh(self, claim_ids: tuple[int, ...]) -> None:
        self.asked.append(claim_ids)
        self.entered.set()
        assert self.gate.wait(WAIT)


def test_requests_made_while_a_refresh_runs_make_one_more_run_with_the_newest_rows(
    seeded: Session,
) -> None:
    refresher = _Gated(seeded.get_bind())  # type: ignore[arg-type]
    assert refresher.request(5, [1, 2]) is False
    assert refresher.entered.wait(WAIT)
    for marker, rows in ((6, [3]), (7, [4, 5]), (6, [9])):  # pages rerun while it works
        assert refresher.request(marker, rows) is False
    refresher.gate.set()
    assert refresher.wait(WAIT)
    assert refresher.asked == [(1, 2), (9,)]  # the last page's rows, once
    assert refresher.request(7) is True and refresher.request(6) is True
    assert refresher.request(8, [1]) is False
    assert refresher.wait(WAIT) and refresher.asked[-1] == (1,)


def test_a_failed_refresh_is_logged_and_tried_again_at_the_next_request(seeded: Session) -> None:
    engine = seeded.get_bind()
    assert isinstance(engine, Engine)
    refresher = MatchRefresher(engine, actor="nobody-here")  # no such account: refused
    marker = _claims_marker(engine)
    assert refresher.request(marker) is False
    assert refresher.wait(WAIT)
    assert "nobody-here" in str(refresher.last_error)
    assert refresher.request(marker) is False  # not marked done: tried again
    assert refresher.wait(WAIT) and refresher.runs == 2


def test_the_queue_does_not_wait_for_the_refresh_and_shows_it_at_the_next_rerun(
    seeded_db: Engine,  # noqa: F811
) -> None:
    with Session(seeded_db) as s:
        services.import_references(session=s, path=FEED, actor="editor")
    at = app("views/queue.py", user="ana")
    assert "Checked before" not in at.dataframe[0].value.columns  # nothing stored yet
    for thread in threading.enumerate():  # the page asked this process's refresher
        if thread.name == THREAD_NAME:
            thread.join(WAIT)
    assert _matched(seeded_db) > 0
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["Checked before"].astype(bool).any()


def test_after_warming_a_refresh_builds_no_index_inside_its_write_transaction(
    seeded: Session,
) -> None:
    from tracker.matching import store
    from tracker.services.references import warm_refresh

    services.import_references(session=seeded, path=FEED, actor="editor")
    warm_refresh(session=seeded)
    builds = store.stats(seeded).builds
    assert builds >= 1  # the warm-up built the index, reading only
    seeded.rollback()
    services.refresh_matches(session=seeded)
    assert store.stats(seeded).builds == builds
    assert _matched(seeded.get_bind()) > 0  # type: ignore[arg-type]


def test_the_refresher_works_in_short_transactions_until_nothing_is_pending(
    seeded: Session,
) -> None:
    engine = seeded.get_bind()
    assert isinstance(engine, Engine)
    services.import_references(session=seeded, path=FEED, actor="editor")
    refresher = MatchRefresher(engine, batch=25, pause=0)
    refresher.request(_claims_marker(engine))
    assert refresher.wait(WAIT) and refresher.last_error is None
    assert refresher.runs == 1 and refresher.transactions > 1  # 110 claims, 25 a transaction
    with Session(engine) as s:
        assert services.refresh_matches(session=s, limit=0).pending == 0


def test_the_background_refresh_benchmark_runs(tmp_path: Path) -> None:
    from benchmarks import background_refresh
    from benchmarks.generate import generate

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    generate(url, 200, seed=3)
    lines = background_refresh.main(["--db", url])
    assert lines[0].startswith("first refresh") and lines[2].startswith("peak memory")
