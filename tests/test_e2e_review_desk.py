"""The reviewer's keyboard and bulk flows in headless Chromium (#11).

Keyboard: ``j``/``k`` walk the claims of the queue's filter, ``v`` verifies, and
a ``v`` typed into the note field stays in the note (the shortcut does not fire).
Bulk: tick three rows of the queue and take them in one go.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tracker import db, queries

from .conftest import ROOT
from .test_e2e_browser import PASSWORD, browser, served, settle  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ROOT / "artifacts" / "screenshots"


def claim(url: str, claim_id: int) -> queries.ClaimPublic:
    engine = db.make_engine(url)
    try:
        with Session(engine) as s:
            return queries.get_claim(session=s, claim_id=claim_id)
    finally:
        engine.dispose()


def signed_in(browser: object, base: str) -> object:  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(base)
    page.get_by_role("textbox", name="Account name").fill("ana")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").first.wait_for(timeout=30_000)
    settle(page)
    return page


def press(page: object, key: str) -> None:
    """A key pressed with the focus outside any field (on the page's body), once the
    page's shortcut listener is in place (the component's iframe loads after the page)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => window.__streamlitShortcutsListener?.__inPage && window.__trackerShortcutGuard",
        timeout=20_000,
    )
    page.evaluate("() => window.parent.document.activeElement?.blur()")  # type: ignore[attr-defined]
    page.keyboard.press(key)  # type: ignore[attr-defined]
    settle(page)


def test_keyboard_walks_verifies_and_never_fires_while_typing(
    served: tuple[str, str],  # noqa: F811
    browser: object,  # noqa: F811
) -> None:
    base, url = served
    page = signed_in(browser, base)
    page.get_by_role("button", name="Next unreviewed →").click()  # type: ignore[attr-defined]
    page.get_by_text("In the article").first.wait_for(timeout=20_000)  # type: ignore[attr-defined]
    settle(page)
    assert page.url.endswith("id=1")  # type: ignore[attr-defined]

    press(page, "j")
    page.wait_for_url("**/claim?id=2", timeout=20_000)  # type: ignore[attr-defined]
    press(page, "k")
    page.wait_for_url("**/claim?id=1", timeout=20_000)  # type: ignore[attr-defined]
    settle(page)

    page.get_by_role("textbox", name="URL (http or https)").fill(  # type: ignore[attr-defined]
        "https://www.example.org/vera-rubin"
    )
    page.get_by_role("button", name="Add source").click()  # type: ignore[attr-defined]
    # the page is drawn again with the source (its second run clears the form): only then
    # type, or that redraw takes the focus out of the note
    page.get_by_role("heading", name="Sources (1)").first.wait_for(timeout=20_000)  # type: ignore[attr-defined]
    settle(page)
    assert claim(url, 1).source_count == 1

    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelectorAll('textarea[aria-label=\"Add a note\"]').length === 1"
    )
    note = page.get_by_role("textbox", name="Add a note")  # type: ignore[attr-defined]
    settle(page)
    note.click()
    page.keyboard.type("very valid: verify via vendor", delay=40)  # type: ignore[attr-defined]
    settle(page)
    assert note.input_value() == "very valid: verify via vendor"  # every v stayed in the note
    assert claim(url, 1).status == "unreviewed"  # and none of them verified

    press(page, "v")
    page.get_by_text("Verified.").first.wait_for(timeout=20_000)  # type: ignore[attr-defined]
    assert claim(url, 1).status == "verified"

    press(page, "?")
    page.get_by_role("dialog").get_by_text("show this list").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "claim-shortcuts.png"))  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_bulk_take_three_rows_of_the_queue(
    served: tuple[str, str],  # noqa: F811
    browser: object,  # noqa: F811
) -> None:
    base, url = served
    page = signed_in(browser, base)
    grid = page.locator('[data-testid="stDataFrame"]').first  # type: ignore[attr-defined]
    grid.wait_for()
    page.wait_for_timeout(800)  # type: ignore[attr-defined]
    box = grid.bounding_box()
    header, row = 36, 68  # px: the grid's header and the queue's row height
    for index in range(3):  # the row markers (tick boxes) at the left edge
        page.mouse.click(box["x"] + 18, box["y"] + header + row * index + row / 2)  # type: ignore[attr-defined]
        settle(page)
    page.get_by_text("3 selected").first.wait_for(timeout=10_000)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Assign to me").click()  # type: ignore[attr-defined]
    settle(page)
    page.get_by_text("3 changed (#1, #2, #3)").first.wait_for(timeout=20_000)  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-bulk-result.png"))  # type: ignore[attr-defined]
    assert [claim(url, i).assignee for i in (1, 2, 3, 4)] == ["ana", "ana", "ana", None]
    page.context.close()  # type: ignore[attr-defined]
