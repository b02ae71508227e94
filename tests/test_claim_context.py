"""The claim page's "In the article": the paragraph around the quote, cut short when
the paragraph is very long (an article pasted as one line) (#11)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.render import CONTEXT_CHARS, context_span, md_escape, paragraph_with_quote
from tracker import queries
from tracker.intake.loading import LoadedArticle
from tracker.services import import_article

from .test_dashboard_apptest import app, empty_db

__all__ = ["empty_db"]  # a fixture, imported for use here

QUOTE = "AWS said Trainium 3 is 40% cheaper than Trainium 2, according to a statement."


def filler(first: int, last: int) -> str:
    return " ".join(f"Filler sentence number {i} says little." for i in range(first, last))


def one_line_article() -> str:
    return "# Chips\n\n" + filler(0, 80) + " " + QUOTE + " " + filler(80, 160) + "\n"


def test_a_short_paragraph_is_shown_whole_without_ellipses() -> None:
    text = "Heading\nBefore the quote. The quote itself. After it.\nNext paragraph"
    start = text.index("The quote")
    end = start + len("The quote itself.")
    assert context_span(text, start, end) == (8, text.index("\nNext"))
    shown = paragraph_with_quote(text, start, end)
    assert "…" not in shown
    assert shown.startswith(md_escape("Before the quote. "))
    assert shown.endswith(md_escape(" After it."))


def test_a_long_line_is_cut_at_sentence_ends_near_the_limit() -> None:
    text = one_line_article()
    start = text.index(QUOTE)
    end = start + len(QUOTE)
    a, b = context_span(text, start, end)
    assert CONTEXT_CHARS - 60 < start - a <= CONTEXT_CHARS  # one filler sentence is < 60
    assert CONTEXT_CHARS - 60 < b - end <= CONTEXT_CHARS
    assert text[a:].startswith("Filler sentence number")  # a whole sentence begins the cut
    assert text[:b].endswith("says little.")  # and one ends it
    shown = paragraph_with_quote(text, start, end)
    assert shown.startswith("… Filler") and shown.endswith(md_escape("little.") + " …")
    assert md_escape("number 0 says") not in shown  # the line's far ends are left out
    assert md_escape("number 159 says") not in shown


def test_a_sentence_end_that_would_leave_almost_nothing_is_passed_over_for_a_space() -> None:
    """One very long sentence before (and after) the quote: its only sentence end in
    reach is next to the quote, and cutting there would show nothing around it."""
    long_sentence = " ".join(f"clause{i}" for i in range(400))
    text = long_sentence + ". " + QUOTE + " " + long_sentence + ". The end."
    start = text.index(QUOTE)
    end = start + len(QUOTE)
    a, b = context_span(text, start, end)
    assert start - a > CONTEXT_CHARS // 3 and b - end > CONTEXT_CHARS // 3
    assert text[a - 1] == " " and text[b] == " "  # cut between words


def test_a_long_line_without_sentence_ends_is_cut_between_words() -> None:
    words = " ".join(f"word{i}" for i in range(600))
    text = words + " QUOTE " + words
    start = text.index("QUOTE")
    a, b = context_span(text, start, start + 5)
    assert text[a - 1] == " " and text[a:].startswith("word")  # no word cut in half
    assert text[b] == " " and text[:b].split()[-1].startswith("word")
    assert start - a <= CONTEXT_CHARS and b - start - 5 <= CONTEXT_CHARS


def test_the_claim_page_shows_the_cut_context_of_a_one_line_article(empty_db: Engine) -> None:
    with Session(empty_db) as s:
        import_article(
            session=s,
            source=LoadedArticle(one_line_article(), "Chips", None, "chips.md"),
            actor="editor",
        )
        claims = queries.list_claims(
            session=s, filters=queries.ClaimFilter(include_below_threshold=True), limit=None
        )
    target = next(c for c in claims if "Trainium 3" in c.quote)
    at = app("views/claim.py", id=str(target.id))
    shown = next(m.value for m in at.markdown if ":orange-background[" in m.value)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert len(shown) < 3 * (2 * CONTEXT_CHARS + len(QUOTE))  # escaped, but not the article
    assert md_escape("number 0 says") not in shown
