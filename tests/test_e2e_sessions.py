"""Sessions that survive a reload, in headless Chromium (#11).

Sign in; the session cookie is set (SameSite=Strict, Path=/); a reload and a
claim link in a new tab open signed in; signing out in one tab deletes the
cookie and the server session, and the other tab is signed out at its next
action.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlmodel import Session, select

from tracker import db
from tracker.models import WebSession

from .test_e2e_browser import PASSWORD, browser, served, settle

__all__ = ["browser", "served"]  # fixtures, imported for use here
pytestmark = [pytest.mark.browser, pytest.mark.slow]
COOKIE = "tracker_session"


def session_cookie(context: object, present: bool = True, timeout: float = 20) -> dict | None:
    """The session cookie once it is there (or None once it is gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE]  # type: ignore[attr-defined]
        if bool(found) == present:
            return found[0] if found else None
        time.sleep(0.2)
    pytest.fail(f"the session cookie was {'never set' if present else 'not deleted'}")


def sessions_in(url: str) -> int:
    engine = db.make_engine(url)
    with Session(engine) as s:
        n = len(s.exec(select(WebSession)).all())
    engine.dispose()
    return n


def sign_in(page: object, base: str | None) -> None:
    """Sign in as ana at ``base`` (None: on the sign-in page the tab shows)."""
    if base is not None:
        page.goto(base)  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Account name").fill("ana")  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    # .first: while a rerun is drawn, Streamlit may show the previous run's
    # elements beside the new ones for a moment (seen once in CI, under load)
    page.get_by_role("heading", name="Review queue").first.wait_for(timeout=30_000)  # type: ignore[attr-defined]
    settle(page)
    assert page.get_by_role("heading", name="Review queue").count() == 1  # type: ignore[attr-defined]
    # the cookie component is gone before the queue is drawn: nothing above it moves later
    assert page.locator('iframe[title="dashboard.auth.cookie"]').count() == 0  # type: ignore[attr-defined]


def signed_in_tab(browser: object, base: str) -> tuple[Any, Any]:
    """A new browser (context) at 1400x900 with one tab, signed in as ana."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, base)
    return context, page


def test_a_session_survives_a_reload_and_a_new_tab_and_ends_everywhere(
    served: tuple[str, str], browser: object
) -> None:
    base, url = served
    context, page = signed_in_tab(browser, base)
    cookie = session_cookie(context)
    assert cookie is not None
    assert (cookie["sameSite"], cookie["path"], cookie["secure"]) == ("Strict", "/", False)
    assert cookie["expires"] > time.time() + 6 * 86_400  # lives as long as the session may
    assert sessions_in(url) == 1

    page.reload()
    page.get_by_role("heading", name="Review queue").first.wait_for(timeout=30_000)
    settle(page)
    page.get_by_text("Signed in as").first.wait_for()
    assert page.get_by_role("heading", name="Sign in").count() == 0
    assert page.get_by_role("button", name="Deploy").count() == 0  # no developer toolbar

    other = context.new_page()
    other.goto(f"{base}/claim?id=12")
    other.get_by_text("Claim #12", exact=False).first.wait_for(timeout=30_000)
    settle(other)
    other.get_by_text("Signed in as").first.wait_for()
    assert sessions_in(url) == 1  # the same session, resumed

    other.get_by_role("button", name="Sign out").click()
    other.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    session_cookie(context, present=False)
    assert sessions_in(url) == 0

    # the first tab still shows the queue; its next action finds the session gone
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    page.get_by_text("this session has ended").first.wait_for()
    settle(page)  # the cookie component's reruns leave the message in place
    assert page.get_by_text("this session has ended").is_visible()
    assert page.get_by_text("Signed in as").count() == 0

    # and a reload stays signed out: the cookie is gone
    page.reload()
    page.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    settle(page)
    assert page.get_by_text("Signed in as").count() == 0
    context.close()


def test_behind_a_tls_proxy_the_cookie_is_secure(served: tuple[str, str], browser: object) -> None:
    """A proxy that ends TLS says so with X-Forwarded-Proto; the cookie gets Secure."""
    base, _url = served
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 900},
        extra_http_headers={"X-Forwarded-Proto": "https"},
    )
    sign_in(context.new_page(), base)
    cookie = session_cookie(context)
    assert cookie is not None
    assert (cookie["secure"], cookie["sameSite"]) == (True, "Strict")
    context.close()


def test_a_second_sign_in_page_leaves_the_first_ones_cookie_alone(
    served: tuple[str, str], browser: object
) -> None:
    """The sign-in page puts its token in the cookie before the sign-in; a tab opened
    meanwhile finds a cookie naming no session and must neither complain nor replace
    it, or the first tab, once signed in, would hold a cookie that is not its session."""
    base, url = served
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    first = context.new_page()
    first.goto(base)
    first.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    preset = session_cookie(context)
    assert preset is not None and sessions_in(url) == 0  # in the cookie, bound to nothing yet
    assert (preset["sameSite"], preset["path"]) == ("Strict", "/")

    second = context.new_page()
    second.goto(f"{base}/claim?id=12")
    second.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    settle(second)
    assert second.get_by_text("session has ended").count() == 0  # nothing to tell
    assert session_cookie(context)["value"] == preset["value"]  # type: ignore[index]

    sign_in(first, None)  # binds the token the browser already holds
    assert session_cookie(context)["value"] == preset["value"]  # type: ignore[index]
    assert sessions_in(url) == 1
    first.reload()
    first.get_by_text("Signed in as").first.wait_for(timeout=30_000)

    # the second tab signs in the way that waits for the browser, with a token of its own
    second.get_by_role("textbox", name="Account name").fill("ana")
    second.get_by_role("textbox", name="Password").fill(PASSWORD)
    second.get_by_role("button", name="Sign in").click()
    second.get_by_text("Claim #12", exact=False).first.wait_for(timeout=30_000)
    deadline = time.monotonic() + 20
    while session_cookie(context)["value"] == preset["value"]:  # type: ignore[index]
        assert time.monotonic() < deadline, "the second sign-in never stored its token"
        time.sleep(0.2)
    assert sessions_in(url) == 2
    second.reload()
    second.get_by_text("Claim #12", exact=False).first.wait_for(timeout=30_000)
    second.get_by_text("Signed in as").first.wait_for(timeout=30_000)
    context.close()


def sign_in_as(page: Any, name: str) -> None:
    """Sign in as ``name`` on the sign-in form the tab shows; wait for the queue."""
    page.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Account name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Review queue").first.wait_for(timeout=30_000)
    settle(page)


def signed_in_as(page: Any) -> str | None:
    """The account the tab's sidebar names (None on the sign-in page)."""
    page.wait_for_function(
        "() => document.body.innerText.includes('Signed in as')"
        " || !!document.querySelector('h1') && document.body.innerText.includes('Sign in')",
        timeout=30_000,
    )
    settle(page)
    found = page.locator('[data-testid="stSidebar"]').get_by_text("Signed in as")
    if found.count() == 0:
        return None
    return str(found.first.inner_text()).split("Signed in as", 1)[1].split()[0]


def test_two_accounts_in_two_tabs_never_switch_silently(
    served: tuple[str, str], browser: object
) -> None:
    """Tab A's sign-in page presets its token; tab B signs in as admin (its own token in
    the cookie); then A signs in as ana. A browser keeps one cookie: the last sign-in
    owns it, so A reloads as ana, and B's reload says it was admin's tab and asks to
    sign in again instead of going on as ana."""
    base, _url = served
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    tab_a = context.new_page()
    tab_a.goto(base)
    tab_a.get_by_role("heading", name="Sign in").first.wait_for(timeout=30_000)
    preset = session_cookie(context)
    assert preset is not None
    tab_b = context.new_page()
    tab_b.goto(base)
    sign_in_as(tab_b, "admin")
    deadline = time.monotonic() + 20
    while session_cookie(context)["value"] == preset["value"]:  # type: ignore[index]
        assert time.monotonic() < deadline, "B's sign-in never stored its token"
        time.sleep(0.2)
    assert signed_in_as(tab_b) == "admin"

    sign_in_as(tab_a, "ana")  # binds A's preset, which B has replaced in the cookie
    assert signed_in_as(tab_a) == "ana"
    deadline = time.monotonic() + 20
    while session_cookie(context)["value"] != preset["value"]:  # type: ignore[index]
        assert time.monotonic() < deadline, "A's sign-in did not take the cookie back"
        time.sleep(0.2)

    tab_a.reload()
    assert signed_in_as(tab_a) == "ana"  # not admin
    tab_a.screenshot(path="/tmp/h6/two-tabs-a-reloaded.png")

    tab_b.reload()
    tab_b.get_by_text("This tab was signed in as admin", exact=False).first.wait_for(timeout=30_000)
    assert signed_in_as(tab_b) is None  # not ana
    tab_b.screenshot(path="/tmp/h6/two-tabs-b-reloaded.png")
    sign_in_as(tab_b, "admin")  # B signs in again and owns the cookie now
    assert signed_in_as(tab_b) == "admin"
    tab_b.reload()
    assert signed_in_as(tab_b) == "admin"
    tab_a.reload()  # and now A's tab is the one told
    tab_a.get_by_text("This tab was signed in as ana", exact=False).first.wait_for(timeout=30_000)
    context.close()
