"""The dashboard benchmark's page-side clock (benchmarks/dashboard_e2e.READY_CLOCK_JS).

A page that imitates Streamlit's two signals (``stApp``'s script state, the status
widget) inserts, changes and idles at moments it records itself, in its own clock;
the clock's answer, in the same clock, must come at or after each of them. Orderings
only: no absolute time is asserted.
"""

from __future__ import annotations

import time

import pytest

from benchmarks.dashboard_e2e import new_profile, wait_ready

from .test_e2e_browser import browser  # noqa: F401

pytestmark = [pytest.mark.browser]

PAGE = """<!doctype html><div data-testid="stApp" data-test-script-state="running"></div>
<script>
  const app = document.querySelector('[data-testid="stApp"]');
  const at = () => performance.timeOrigin + performance.now();
  window.moments = {};
  setTimeout(() => {  // the key element shows
    const h = document.createElement('h1');
    h.textContent = 'Review queue';
    app.append(h);
    window.moments.inserted = at();
  }, INSERT_MS);
  setTimeout(() => {  // the run ends
    app.dataset.testScriptState = 'notRunning';
    window.moments.idle = at();
  }, IDLE_MS);
</script>"""


def open_html(page: object, html: str) -> None:
    """A real navigation (the clock is added to every new document), served by Playwright."""
    page.route(  # type: ignore[attr-defined]
        "http://ready.test/", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.goto("http://ready.test/")  # type: ignore[attr-defined]


def ready_and_moments(page: object, insert_ms: int, idle_ms: int) -> tuple[float, dict[str, float]]:
    """Open the imitation page; once wait_ready is satisfied, the clock's answer for the
    heading and the page's own moments (all ms in the page's clock)."""
    started = time.time()
    open_html(page, PAGE.replace("INSERT_MS", str(insert_ms)).replace("IDLE_MS", str(idle_ms)))
    took = wait_ready(page, "queue heading", started)
    assert 0 < took <= time.time() - started
    ready, _ = page.evaluate(  # type: ignore[attr-defined]
        "() => window.__readyClock.readyAt(document.querySelector('h1'))"
    )
    return ready, page.evaluate("() => window.moments")  # type: ignore[attr-defined]


def test_ready_waits_for_the_run_to_end(browser: object) -> None:  # noqa: F811
    context = new_profile(browser)
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        ready, moments = ready_and_moments(page, insert_ms=150, idle_ms=400)
        assert moments["inserted"] < moments["idle"] <= ready

        # its text changed in place (as React does) after the run: the answer moves to then
        page.evaluate(
            "() => { const text = document.querySelector('h1').firstChild; text.data = 'Old';"
            " setTimeout(() => { text.data = 'Review queue';"
            " window.moments.changed = performance.timeOrigin + performance.now(); }, 200); }"
        )
        wait_ready(page, "queue heading", time.time())
        again, _ = page.evaluate("() => window.__readyClock.readyAt(document.querySelector('h1'))")
        assert again >= page.evaluate("() => window.moments.changed") > ready
    finally:
        context.close()  # type: ignore[attr-defined]


def test_an_element_shown_after_the_run_ended_counts_from_when_it_shows(
    browser: object,  # noqa: F811
) -> None:
    context = new_profile(browser)
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        ready, moments = ready_and_moments(page, insert_ms=400, idle_ms=150)
        assert moments["idle"] < moments["inserted"] <= ready
    finally:
        context.close()  # type: ignore[attr-defined]


def test_an_element_that_never_changes_cannot_be_ready_before_the_start(
    browser: object,  # noqa: F811
) -> None:
    """The key element already on the page before the clock started: the clock refuses
    the figure rather than report a negative or early time."""
    context = new_profile(browser)
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        open_html(
            page,
            '<div data-testid="stApp" data-test-script-state="notRunning">'
            "<h1>Review queue</h1></div>",
        )
        page.wait_for_timeout(300)
        with pytest.raises(RuntimeError, match="ready clock"):
            wait_ready(page, "queue heading", time.time())
    finally:
        context.close()  # type: ignore[attr-defined]


def test_what_happens_after_the_wait_saw_it_ready_does_not_move_the_answer(
    browser: object,  # noqa: F811
) -> None:
    """A run that starts right after (the sign-in page's cookie fragment does) neither
    loses the idle moment nor lets its changes count."""
    context = new_profile(browser)
    try:
        page = context.new_page()  # type: ignore[attr-defined]
        ready, moments = ready_and_moments(page, insert_ms=150, idle_ms=400)
        assert moments["idle"] <= ready
        again, _ = page.evaluate(
            """async () => {
              const clock = window.__readyClock, h = document.querySelector('h1');
              clock.notice();
              document.querySelector('[data-testid=stApp]').dataset.testScriptState = 'running';
              h.firstChild.data = 'Review queue, again';
              await new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)));
              return clock.readyAt(h);
            }"""
        )
        assert again == ready
    finally:
        context.close()  # type: ignore[attr-defined]
