"""A reviewer's whole flow in headless Chromium against `streamlit run` on 127.0.0.1.

Open the queue, say who you are, go to the next unreviewed claim, add a source
and a hostile note, verify, see the status in the queue and in the database,
download the CSV and find the row. Screenshots of every page land in
``artifacts/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from tracker import db, queries
from tracker.cli import streamlit_command
from tracker.services import create_user
from tracker.services.seeding import seed

from .conftest import ROOT, SEEDS, missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "e2e-only-password-1"  # a throwaway account in a temporary database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as s:
        seed(session=s, seeds_dir=SEEDS)
        create_user(session=s, name="admin", role="admin", actor=None, password=PASSWORD)
        create_user(session=s, name="ana", role="reviewer", actor="admin", password=PASSWORD)
    engine.dispose()
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        streamlit_command(port=port, address="127.0.0.1"),
        env={**os.environ, "TRACKER_DATABASE_URL": url},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/_stcore/health", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()}")
        yield base, url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def settle(page: object) -> None:
    """Wait until Streamlit has finished its rerun."""
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=20_000
    )
    page.wait_for_timeout(300)  # type: ignore[attr-defined]


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_reviewer_verifies_a_claim_and_downloads_the_csv(
    served: tuple[str, str], browser: object, tmp_path: Path
) -> None:
    base, url = served
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(base)
    page.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    settle(page)
    shot(page, "0-sign-in")
    page.get_by_role("textbox", name="Account name").fill("ana")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").first.wait_for(timeout=30_000)
    settle(page)
    page.get_by_text("Signed in as").first.wait_for()
    page.get_by_text("110 claims match").first.wait_for()
    shot(page, "1-queue")

    page.get_by_role("button", name="Next unreviewed →").click()
    page.get_by_text("Claim #1", exact=False).first.wait_for(timeout=20_000)
    settle(page)
    assert "id=1" in page.url
    page.get_by_text("In the article").first.wait_for()

    page.get_by_role("textbox", name="URL (http or https)").fill(
        "https://www.example.org/vera-rubin-benchmarks"
    )
    page.get_by_role("textbox", name="Title").fill("Vera Rubin benchmarks")
    page.get_by_role("button", name="Add source").click()
    settle(page)
    page.get_by_text("Source added").first.wait_for()
    # the success is a toast; the page is drawn once more with the source (its second
    # run clears the form): wait for that, or the note box is there twice for a moment
    page.get_by_role("heading", name="Sources (1)").first.wait_for(timeout=20_000)
    page.wait_for_function(
        "() => document.querySelectorAll('textarea[aria-label=\"Add a note\"]').length === 1"
    )
    settle(page)

    hostile = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2> **not bold**"
    page.get_by_role("textbox", name="Add a note").fill(hostile)
    page.get_by_role("button", name="Add note").click()
    settle(page)
    page.get_by_text("Note added").first.wait_for()
    # the markup is shown as text, never run or rendered
    # (the note's paragraph also carries its author line, hence not exact=True)
    page.get_by_text(hostile).first.wait_for()
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("strong", has_text="not bold").count() == 0

    page.get_by_role("button", name="✓ Verify").click()
    settle(page)
    page.get_by_text("Verified.", exact=False).first.wait_for()
    shot(page, "2-claim")

    engine = db.make_engine(url)
    with Session(engine) as s:
        c = queries.get_claim(session=s, claim_id=1)
    engine.dispose()
    assert (c.status, c.last_reviewed_by, c.source_count) == ("verified", "ana", 1)

    page.get_by_role("button", name="← Queue").click()
    page.get_by_role("heading", name="Review queue").first.wait_for()
    settle(page)
    page.get_by_text("110 claims match · 109 unreviewed").first.wait_for()
    status = page.get_by_label("Status")
    status.click()
    page.get_by_role("option", name="Verified").click()
    page.keyboard.press("Escape")
    settle(page)
    page.get_by_text("1 claim matches").first.wait_for()
    shot(page, "3-queue-verified")

    for label, name in (("Article", "4-article"), ("Overview", "5-overview")):
        page.get_by_role("link", name=label).click()
        page.get_by_role("heading", name=label).first.wait_for()
        settle(page)
        shot(page, name)

    page.get_by_role("link", name="Export").click()
    page.get_by_role("heading", name="Export").first.wait_for()
    settle(page)
    page.get_by_text("1 claim will be exported").first.wait_for()
    shot(page, "6-export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV (1 row)").click()
    target = tmp_path / "download.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert len(rows) == 1
    row = rows[0]
    assert (row["claim_id"], row["status"], row["last_reviewed_by"]) == ("1", "verified", "ana")
    assert row["source_urls"] == "https://www.example.org/vera-rubin-benchmarks"
    assert row["notes"].endswith(hostile)
    assert row["confirmation"] == "pending"

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").first.wait_for()
    context.close()
