"""User text is text: bare addresses, ``www.`` names, e-mail addresses, Markdown links and
HTML in notes, claims, rating summaries and article titles render as written, in headless
Chromium, never as a link or markup. Real source links still render (through safe_link)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tracker import db, queries, services
from tracker.models import Article, ClaimUpdate, RatingUpdate

from .test_e2e_browser import SHOTS, browser, served, settle
from .test_e2e_sessions import sign_in

__all__ = ["browser", "served"]  # fixtures, imported for use here
pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = (
    "See https://evil.example/x or www.evil.example, write a@b.example, "
    "[x](javascript:alert(1)) <b>bold</b>"
)
# any link in the page's main area that user text could have made
USER_LINKS = """() => [...document.querySelectorAll('[data-testid="stMain"] a[href]')]
    .map(a => a.getAttribute('href'))
    .filter(h => !h.startsWith('#') && /evil|javascript|mailto|a@b/i.test(h))"""


def plant(url: str, claim_id: int) -> None:
    engine = db.make_engine(url)
    with Session(engine) as s:
        claim = queries.get_claim(session=s, claim_id=claim_id)
        claim = services.update_claim(
            session=s,
            claim_id=claim_id,
            changes=ClaimUpdate(claim=f"{claim.claim} {HOSTILE}"),
            actor="admin",
            expected_version=claim.version,
        )
        services.add_note(session=s, claim_id=claim_id, body=HOSTILE, actor="admin")
        services.rate_claim(
            session=s,
            claim_id=claim_id,
            changes=RatingUpdate(verdict_summary=HOSTILE),
            actor="admin",
            expected_version=queries.get_claim(session=s, claim_id=claim_id).version,
        )
        services.add_source(
            session=s,
            claim_id=claim_id,
            url="https://source.example/report",
            stance="supports",
            actor="admin",
        )
        article = s.exec(select(Article)).first()
        assert article is not None
        article.title = HOSTILE
        s.add(article)
        s.commit()
    engine.dispose()


def test_addresses_in_user_text_are_not_links(served: tuple[str, str], browser: object) -> None:
    base, url = served
    plant(url, 12)
    context = browser.new_context(viewport={"width": 1400, "height": 1400})  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, base)
    for address, name in (
        (f"{base}/claim?id=12", "claim"),
        (f"{base}/article?claim=12", "article"),
    ):
        page.goto(address)
        page.get_by_text("evil", exact=False).first.wait_for(timeout=30_000)
        settle(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"user-text-{name}.png"), full_page=True)
        assert page.evaluate(USER_LINKS) == [], name
        assert page.locator('[data-testid="stMain"] b').count() == 0  # no HTML either
        main = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")
        assert "https://evil.example/x" in main and "a@b.example" in main  # shown as written
        assert "[x](javascript:alert(1))" in main and "<b>bold</b>" in main
    page.goto(f"{base}/claim?id=12")
    page.get_by_text("evil", exact=False).first.wait_for(timeout=30_000)
    settle(page)
    source = page.locator('[data-testid="stMain"] a[href="https://source.example/report"]')
    assert source.count() == 1  # a source's link is still a link
    context.close()
