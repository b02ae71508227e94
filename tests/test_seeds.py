"""The seed article is byte-identical and every curated claim points at its quote."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from sqlmodel import Session, func, select

from tracker.models import Article, Claim, ClaimType, Event, Note
from tracker.services.seeding import seed

from .conftest import SEEDS

ARTICLE = SEEDS / "trainium3-silicon-sovereignty.txt"
CLAIMS = SEEDS / "trainium3-silicon-sovereignty.claims.json"


def test_article_is_byte_identical_to_the_shared_seed() -> None:
    digest = hashlib.sha256(ARTICLE.read_bytes()).hexdigest()
    assert digest == "d234e41b890d8eb358897c13578d81585b754233a220460d9f12861f0d3ac459"


def test_every_seed_quote_is_verbatim_at_its_offsets() -> None:
    text = ARTICLE.read_bytes().decode("utf-8")
    claims = json.loads(CLAIMS.read_text(encoding="utf-8"))["claims"]
    for index, c in enumerate(claims, start=1):
        assert text[c["quote_start"] : c["quote_end"]] == c["quote"], f"claim #{index}"


def test_seed_claims_are_many_atomic_and_typed() -> None:
    claims = json.loads(CLAIMS.read_text(encoding="utf-8"))["claims"]
    assert len(claims) > 60
    assert {c["claim_type"] for c in claims} <= {t.value for t in ClaimType}
    # one fact per claim: no two claims say the same thing
    assert len({c["claim"] for c in claims}) == len(claims)
    # every table cell that asserts a figure is its own claim
    quotes = Counter(c["quote"] for c in claims)
    for cell in ("1.15x (Faster)", "1.25x (Faster)", "1.4x (Winner)", "0.7x (Winner)"):
        assert quotes[cell] == 1, cell


def test_internal_inconsistencies_are_recorded_naming_both_places() -> None:
    claims = json.loads(CLAIMS.read_text(encoding="utf-8"))["claims"]
    notes = " ".join(n for c in claims for n in c.get("notes", []))
    assert "1/0.6 = 1.67x" in notes  # 40% lower TCO vs 1.4x performance per dollar
    assert "'6.1' appears twice" in notes  # Part 7 numbered 6.1
    assert "H200" in notes and "Vera Rubin" in notes  # two different baselines


def test_seed_is_idempotent(session: Session) -> None:
    first = seed(session=session, seeds_dir=SEEDS)
    counts = [
        session.exec(select(func.count()).select_from(t)).one()
        for t in (Article, Claim, Note, Event)
    ]
    second = seed(session=session, seeds_dir=SEEDS)
    again = [
        session.exec(select(func.count()).select_from(t)).one()
        for t in (Article, Claim, Note, Event)
    ]
    assert first.claims_created > 60 and first.articles_created == 1
    assert second.claims_created == 0 and second.claims_present == first.claims_created
    assert again == counts
    article = session.exec(select(Article)).one()
    assert article.sha256 == hashlib.sha256(ARTICLE.read_bytes()).hexdigest()
    for claim in session.exec(select(Claim)):
        assert article.text[claim.quote_start : claim.quote_end] == claim.quote
