"""The article view in headless Chromium (#11): a highlight opens its claim, and a
claim's article link opens the article scrolled to it."""

from __future__ import annotations

import pytest

from dashboard.render import article_claim_url

from .test_e2e_browser import browser, served, settle
from .test_e2e_sessions import signed_in_tab

__all__ = ["browser", "served"]  # fixtures, imported for use here
pytestmark = [pytest.mark.browser, pytest.mark.slow]
SLUG = "trainium3-silicon-sovereignty"


def test_clicking_a_highlight_opens_its_claim_and_links_scroll_to_a_claim(
    served: tuple[str, str], browser: object
) -> None:
    context, page = signed_in_tab(browser, served[0])
    base = served[0]
    page.get_by_role("link", name="Article").click()
    page.get_by_role("heading", name="Article").first.wait_for(timeout=30_000)
    settle(page)
    marker = page.get_by_role("link", name="#12 ○", exact=True)
    marker.scroll_into_view_if_needed()
    with context.expect_page() as opened:
        marker.click()
    claim_page = opened.value
    claim_page.get_by_text("Claim #12", exact=False).first.wait_for(timeout=30_000)
    assert claim_page.url.endswith("/claim?id=12")
    claim_page.get_by_text("Signed in as").first.wait_for()  # the new tab is signed in too
    claim_page.close()

    # "See in article": the article opens at claim 60, far down the text
    page.goto(f"{base}/{article_claim_url(SLUG, 60)}")
    anchor = page.locator("#claim-60")
    anchor.wait_for(timeout=30_000)
    settle(page)
    page.wait_for_function(
        "() => { const r = document.getElementById('claim-60').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        timeout=15_000,
    )
    assert page.get_by_role("heading", name="▶ Claim 60 · Unreviewed").count() == 1
    context.close()
