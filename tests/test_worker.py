"""``tracker worker``: a real subprocess on SQLite and PostgreSQL, one per database,
a clean stop on SIGTERM, its failures on the overview; the "no match" threshold."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tracker import services
from tracker.matching import store
from tracker.matching.index import MATCH_THRESHOLD
from tracker.models import ClaimVector, Source
from tracker.services.worker import worker_status

from .linkserver import serve
from .test_dashboard_apptest import app, empty_db, seeded_db, texts  # noqa: F401 (fixtures)

FEED = Path(__file__).parent / "data" / "claimreview_feed.json"
ROOT = Path(__file__).resolve().parent.parent


def worker(url: str, *args: str, links: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tracker.cli", "--db", url, "worker", *args]
    return subprocess.Popen(
        command if links else [*command, "--no-links"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TRACKER_LINKCHECK_ALLOW": "127.0.0.1", "TRACKER_HTTP_TIMEOUT": "2"},
    )


def until(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def running(engine: Engine) -> bool:
    with Session(engine) as s:
        return worker_status(session=s).running


def runs(engine: Engine) -> int:
    with Session(engine) as s:
        return worker_status(session=s).runs


def test_a_worker_process_refreshes_the_stored_matches(seeded: Session, db_url: str) -> None:
    services.import_references(session=seeded, path=FEED, actor="editor")
    assert store.match_status(seeded).pending  # nothing computed yet: the queue says so
    done = worker(db_url, "--once")
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert "matches recomputed" in err and "lease released" in err
    seeded.rollback()  # a new read transaction: what the worker committed
    assert not store.match_status(seeded).pending
    claims = seeded.exec(select(func.count()).select_from(ClaimVector)).one()
    assert claims > 0
    best = seeded.exec(select(func.max(ClaimVector.best_score))).one()
    assert best is not None and best >= MATCH_THRESHOLD  # the Trainium fact-check
    status = worker_status(session=seeded)
    assert status.runs == 1 and status.last_error is None and not status.running


def test_a_second_worker_waits_and_sigterm_stops_the_first_cleanly(
    seeded: Session, db_url: str
) -> None:
    engine = seeded.get_bind()
    first = worker(db_url, "--interval", "1")
    try:
        until(lambda: running(engine))  # type: ignore[arg-type]
        second = worker(db_url, "--once")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "another worker holds the lease" in err and "matches recomputed" not in err
        until(lambda: runs(engine) >= 2)  # past its first cycle (the index load) and idle
        started = time.monotonic()
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=10)
        assert time.monotonic() - started < 5
        assert first.returncode == 0, err
        assert "SIGTERM received" in err and "lease released" in err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert not running(engine)  # type: ignore[arg-type]
    with Session(engine) as s:  # type: ignore[arg-type]
        assert worker_status(session=s).runs >= 1


def test_the_worker_rechecks_stale_links(seeded_db: Engine) -> None:  # noqa: F811
    with serve() as server, Session(seeded_db) as s:
        for path in ("/ok", "/404"):
            services.add_source(
                session=s, claim_id=1, url=f"{server.base}{path}", stance="context", actor="ana"
            )
        url = seeded_db.url.render_as_string(hide_password=False)
        done = worker(url, "--once", "--stale-after", "0", links=True)
        _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert "2 links checked" in err
    with Session(seeded_db) as s:
        checked = s.exec(select(Source.url, Source.http_status)).all()
    assert sorted(code for _, code in checked) == [200, 404]


def _break_a_stored_vector(engine: Engine) -> None:
    with Session(engine) as s:
        services.refresh_matches(session=s, limit=None)
        s.execute(
            update(ClaimVector)
            .where(ClaimVector.claim_id == 1)
            .values(embedding=b"broken", generation=store.PENDING)
        )
        s.commit()


def test_a_failed_cycle_is_recorded_and_shown_on_the_overview(
    seeded_db: Engine,  # noqa: F811
) -> None:
    _break_a_stored_vector(seeded_db)
    url = str(seeded_db.url.render_as_string(hide_password=False))
    done = worker(url, "--once")
    _, err = done.communicate(timeout=120)
    assert done.returncode == 1 and "error:" in err
    with Session(seeded_db) as s:
        status = worker_status(session=s)
    assert status.last_error and "ValueError" in status.last_error
    at = app("views/overview.py", user="admin")
    shown = texts(at)
    assert "Worker's last error" in shown and "ValueError" in shown
    assert "not running" in shown


def test_without_a_worker_the_queue_says_its_matches_are_stale(
    seeded_db: Engine,  # noqa: F811
) -> None:
    with Session(seeded_db) as s:
        services.refresh_matches(session=s, limit=None)
        services.import_references(session=s, path=FEED, actor="editor")
    at = app("views/queue.py", user="ana")
    captions = " ".join(c.value for c in at.caption)
    assert "refresh pending" in captions and "Matches last computed" in captions


def test_has_a_match_filter_says_why_nothing_is_shown(seeded_db: Engine) -> None:  # noqa: F811
    at = app("views/queue.py", user="ana")
    at.toggle(key="f_match").set_value(True).run()
    assert "nothing to match against" in texts(at)


# --- "no match" below the calibrated threshold -----------------------------------------

CONFLICT = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://factcheck.example/shelling",
    "claimReviewed": "Troops shelled the border villages overnight, killing twelve civilians",
    "reviewRating": {"@type": "Rating", "alternateName": "False"},
    "author": {"@type": "Organization", "name": "Conflict Check"},
}


def test_an_unrelated_fact_check_is_not_a_match(session: Session, tmp_path: Path) -> None:
    feed = tmp_path / "conflict.json"
    feed.write_text(json.dumps([CONFLICT]), encoding="utf-8")
    services.import_references(session=session, path=feed, actor="editor")
    assert store.search(session, "Revenue dipped 1.4% in the third quarter") == []
    assert store.match_status(session).explain(live=True).startswith("No reviewed claim")


def test_a_related_fact_check_is_a_match(session: Session) -> None:
    services.import_references(session=session, path=FEED, actor="editor")
    found = store.search(session, "Do 5G towers spread the coronavirus?")
    assert found and found[0].url == "https://factcheck.example/5g-covid"
    assert found[0].score >= MATCH_THRESHOLD


def test_has_a_match_filter_names_the_threshold_when_nothing_reaches_it(
    seeded_db: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    feed = tmp_path / "conflict.json"
    feed.write_text(json.dumps([CONFLICT]), encoding="utf-8")
    with Session(seeded_db) as s:
        services.import_references(session=s, path=feed, actor="editor")
        services.refresh_matches(session=s, limit=None)
    at = app("views/queue.py", user="ana")
    at.toggle(key="f_match").set_value(True).run()
    shown = texts(at)
    assert "No claim has an earlier match" in shown
    assert f"above the match threshold {MATCH_THRESHOLD:.2f}" in shown


def test_checked_before_panel_says_why_it_shows_nothing(
    seeded_db: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    at = app("views/claim.py", user="ana", id="1")
    assert "nothing to match against" in " ".join(c.value for c in at.caption)
    feed = tmp_path / "conflict.json"
    feed.write_text(json.dumps([CONFLICT]), encoding="utf-8")
    with Session(seeded_db) as s:
        services.import_references(session=s, path=feed, actor="editor")
    at = app("views/claim.py", user="ana", id="1")
    captions = " ".join(c.value for c in at.caption)
    assert f"above the match threshold {MATCH_THRESHOLD:.2f}" in captions
    assert not any(b.key == "c_reuse_reference_1" for b in at.button)  # nothing to reuse


def test_no_library_is_named_as_the_reason(session: Session) -> None:
    assert "nothing to match against" in store.match_status(session).explain()


def test_the_worker_cli_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`tracker worker`" in readme
    assert os.access(ROOT / "scripts" / "run.sh", os.R_OK)
    assert "tracker worker" in (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
