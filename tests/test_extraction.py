"""Candidate extraction, article import and consistency checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from tracker import queries, services
from tracker.cli import app
from tracker.errors import InvalidTransition, ValidationFailed
from tracker.intake import consistency
from tracker.intake.extract import extract_candidates, sentences
from tracker.intake.loading import load_article
from tracker.linkcheck.netguard import LinkPolicy
from tracker.models import Claim, Event
from tracker.services import import_article

from .conftest import SEEDS, make_accounts_via_cli
from .linkserver import serve

ARTICLE = SEEDS / "trainium3-silicon-sovereignty.txt"
TEXT = ARTICLE.read_bytes().decode("utf-8")


def test_every_candidate_quote_is_exact() -> None:
    candidates = extract_candidates(TEXT)
    assert len(candidates) > 150
    for c in candidates:
        assert TEXT[c.start : c.end] == c.quote
        assert c.quote == c.quote.strip() and c.quote


def test_headings_and_questions_are_never_candidates() -> None:
    by_text = {c.quote: c for c in extract_candidates(TEXT)}
    for heading in (
        "Part 1: The NVIDIA Exodus — Why Now?",
        "1.1 The Inference Economics of 2026",
        "Frequently Asked Questions",
    ):
        assert by_text[heading].score == 0 and by_text[heading].kind == "heading"
    for question in (
        "How long should quality tech hardware last?",
        "What comes after the current shift?",
    ):
        assert by_text[question].score == 0 and by_text[question].reasons == ["question"]


def test_scores_come_with_reasons_and_types() -> None:
    by_text = {c.quote: c for c in extract_candidates(TEXT)}
    reported = next(
        c for q, c in by_text.items() if q.startswith("Anthropic has reportedly moved 60%")
    )
    assert reported.score >= 0.8 and reported.claim_type.value == "attribution"
    assert any(r.startswith("percentage: 60%") for r in reported.reasons)
    assert any(r.startswith("attribution: reportedly") for r in reported.reasons)
    prediction = next(c for q, c in by_text.items() if q.startswith("By 2030, the"))
    assert prediction.claim_type.value == "prediction"
    advice = next(c for q, c in by_text.items() if q.startswith("Avoid devices that phone home"))
    assert advice.score < 0.35


def test_parenthetical_answer_stays_with_its_question() -> None:
    quotes = [s.text for s in sentences(TEXT)]
    assert any(q.endswith("without vendor approval? (Trainium: Yes)") for q in quotes)


def test_import_is_idempotent_and_respects_the_threshold(session: Session, tmp_path: Path) -> None:
    loaded = load_article(str(ARTICLE))
    first = import_article(session=session, source=loaded, actor="editor", title="Trainium copy")
    assert first.outcome == "created" and len(first.created) > 60 and first.below_threshold > 10
    counts = session.exec(select(func.count()).select_from(Claim)).one()
    again = import_article(session=session, source=loaded, actor="editor", title="Trainium copy")
    assert again.outcome == "unchanged"
    assert session.exec(select(func.count()).select_from(Claim)).one() == counts
    listed = queries.list_claims(session=session, limit=None)
    assert len(listed) == len(first.created)
    assert all(c.origin == "extracted" and c.score is not None and c.reasons for c in listed)
    every = queries.list_claims(
        session=session, limit=None, filters=queries.ClaimFilter(include_below_threshold=True)
    )
    assert len(every) == len(first.created) + first.below_threshold
    low = next(c for c in every if c.below_threshold)
    services.promote_candidate(session=session, claim_id=low.id, actor="ana")
    assert queries.count_claims(session=session) == len(first.created) + 1
    with pytest.raises(InvalidTransition, match="already in the review queue"):
        services.promote_candidate(session=session, claim_id=low.id, actor="ana")


def test_revision_relocates_claims_and_reports_lost_quotes(session: Session) -> None:
    loaded = load_article(str(ARTICLE))
    import_article(session=session, source=loaded, actor="editor", slug="t3")
    claim = queries.list_claims(
        session=session, filters=queries.ClaimFilter(search="reportedly moved 60%")
    )[0]
    gone = queries.list_claims(
        session=session, filters=queries.ClaimFilter(search="Iran conflict has sent")
    )[0]
    revised_text = "Editor's note: updated.\n" + TEXT.replace(
        gone.quote, "The Iran conflict raised prices."
    )
    loaded.text = revised_text
    report = import_article(session=session, source=loaded, actor="editor", slug="t3")
    assert report.outcome == "revised" and report.revision == 2
    assert gone.id in report.lost and report.relocated > 50
    moved = queries.get_claim(session=session, claim_id=claim.id)
    assert revised_text[moved.quote_start : moved.quote_end] == moved.quote
    actions = {e.action for e in session.exec(select(Event).where(Event.claim_id == gone.id))}
    assert "quote_lost" in actions
    assert report.linked  # unchanged sentences matched their existing claims


def test_near_duplicates_of_curated_claims_are_linked_not_added(seeded: Session) -> None:
    slug = "trainium3-silicon-sovereignty"
    loaded = load_article(str(ARTICLE))
    loaded.text = TEXT + "\nAnthropic has reportedly moved 60% of its training compute to Trainium."
    report = import_article(session=seeded, source=loaded, actor="editor", slug=slug)
    assert report.outcome == "revised" and not report.lost
    linked_quotes = [q for _, q in report.linked]
    assert (
        "Anthropic has reportedly moved 60% of its training compute to Trainium." in linked_quotes
    )


def test_html_file_keeps_headings(session: Session, tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Chip story</title></head><body><nav>Home</nav><article>"
        "<h1>Chip story</h1><p>AWS said Trainium 3 is 40% cheaper than Trainium 2, according to "
        "a statement on Monday.</p><h2>Part 1: Costs</h2><p>NVIDIA reportedly sold 2 million "
        "chips in 2025, analysts at three firms said in their reports.</p>"
        "<p>Is this good for buyers?</p></article><footer>(c) 2026</footer></body></html>",
        encoding="utf-8",
    )
    loaded = load_article(str(page))
    assert (
        loaded.title == "Chip story"
        and "## Part 1: Costs" in loaded.text
        and "Home" not in loaded.text
    )
    report = import_article(session=session, source=loaded, actor="editor")
    quotes = [
        c.quote
        for c in queries.list_claims(
            session=session, filters=queries.ClaimFilter(include_below_threshold=True)
        )
    ]
    assert any(q.startswith("AWS said Trainium 3 is 40% cheaper") for q in quotes)
    assert "Is this good for buyers?" not in quotes and "## Part 1: Costs" not in quotes
    assert report.slug == "chip-story"


def test_url_import_uses_the_link_guard(session: Session) -> None:
    with serve() as server:
        with pytest.raises(ValidationFailed, match="blocked"):
            load_article(f"{server.base}/ok", policy=LinkPolicy())
        assert server.log.requests == []
        loaded = load_article(f"{server.base}/ok", policy=LinkPolicy.parse("127.0.0.1"))
    assert loaded.url == f"{server.base}/ok"


def test_consistency_checks_name_both_places_and_the_arithmetic() -> None:
    warnings = consistency.check(TEXT)
    messages = [w.message for w in warnings]
    assert "subsection 6.1 sits under part 7; expected 7.1" in messages
    assert "section number 6.1 is used twice" in messages
    figures = next(w for w in warnings if w.kind == "figures")
    assert "1/0.6 = 1.67" in figures.message and "1.4x" in figures.message
    assert [p.text for p in figures.places] == [
        "40% lower Total Cost of Ownership",
        "Performance per Dollar | 1.4x",
    ]
    assert not any(w.kind == "total" for w in warnings)  # 30 + 25 + 20 + 25 = 100
    broken = consistency.check(TEXT.replace("Energy Integration (25%)", "Energy Integration (35%)"))
    assert any(w.message.endswith("= 110%, not 100%") for w in broken)


def test_cli_import_and_list_with_below_threshold(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db_url, "init"]).exit_code == 0
    make_accounts_via_cli(db_url)
    denied = runner.invoke(app, ["--db", db_url, "import-article", str(ARTICLE), "--by", "ana"])
    assert denied.exit_code == 1 and "needs the editor role" in denied.stderr
    result = runner.invoke(
        app, ["--db", db_url, "import-article", str(ARTICLE), "--by", "editor", "--title", "T3"]
    )
    assert result.exit_code == 0 and "created (revision 1)" in result.stdout
    again = runner.invoke(
        app, ["--db", db_url, "import-article", str(ARTICLE), "--by", "editor", "--title", "T3"]
    )
    assert "unchanged" in again.stdout
    queue = json.loads(runner.invoke(app, ["--db", db_url, "claims", "--format", "json"]).stdout)
    everything = json.loads(
        runner.invoke(
            app, ["--db", db_url, "claims", "--format", "json", "--include-below-threshold"]
        ).stdout
    )
    assert len(everything) > len(queue) > 60
    assert {c["origin"] for c in everything} == {"extracted"}
    assert all(isinstance(c["score"], float) and isinstance(c["reasons"], list) for c in everything)
    warnings = json.loads(
        runner.invoke(app, ["--db", db_url, "check-article", "t3", "--format", "json"]).stdout
    )
    assert len(warnings) == 3


def test_pysbd_keeps_abbreviations_that_a_regex_splitter_breaks() -> None:
    text = "The U.S. government and AWS vs. NVIDIA, e.g. in 2026, is a race. It goes on."
    assert [s.text for s in sentences(text)] == [
        "The U.S. government and AWS vs. NVIDIA, e.g. in 2026, is a race.",
        "It goes on.",
    ]
    assert len(sentences(text, segmenter="regex")) > 2  # why pysbd is the default


def test_revision_scores_replaced_and_re_figured_sentences_as_candidates(
    session: Session,
) -> None:
    loaded = load_article(str(ARTICLE))
    import_article(session=session, source=loaded, actor="editor", slug="t3")

    def find(search: str) -> int:
        return queries.list_claims(session=session, filters=queries.ClaimFilter(search=search))[
            0
        ].id

    replaced_id, refigured_id = find("Iran conflict has sent"), find("reducing costs by 50%")
    old_sentence = "The Iran conflict has sent energy prices into a tailspin."
    new_sentence = "Energy markets calmed after a ceasefire was agreed in June 2026."
    assert old_sentence in TEXT and "reducing costs by 50%" in TEXT
    revised = TEXT.replace(old_sentence, new_sentence).replace(
        "reducing costs by 50%", "reducing costs by 65%"
    )
    loaded.text = revised
    report = import_article(session=session, source=loaded, actor="editor", slug="t3")

    assert set(report.lost) == {replaced_id, refigured_id}
    every = queries.list_claims(
        session=session, limit=None, filters=queries.ClaimFilter(include_below_threshold=True)
    )
    by_quote = {c.quote: c for c in every}
    new = by_quote[new_sentence]
    refigured = next(c for c in every if "reducing costs by 65%" in c.quote)
    assert refigured.id in report.created  # a percentage: well above the threshold
    for claim, old_id in ((new, replaced_id), (refigured, refigured_id)):
        assert revised[claim.quote_start : claim.quote_end] == claim.quote
        assert (claim.id, old_id) in report.replacements
        assert f"may replace claim {old_id} (its quote is not in revision 2)" in claim.reasons
        assert f"{claim.id} (replaces claim {old_id}?)" in report.line()
        assert claim.id not in {m for m, _ in report.linked}
    assert not any(q == new_sentence or "by 65%" in q for _, q in report.linked)


def test_a_sentence_with_a_changed_figure_is_not_a_duplicate(session: Session) -> None:
    loaded = load_article(str(ARTICLE))
    import_article(session=session, source=loaded, actor="editor", slug="t3")
    sixty = "Anthropic has reportedly moved 60% of its training compute for Claude 5"
    assert sixty in TEXT
    added = (
        sixty.replace("60%", "85%") + " (the “Sovereign Agent”) to Amazon’s Trainium clusters.",
        "Anthropic has reportedly moved 60% of its training compute to Amazon’s Trainium.",
    )
    loaded.text = TEXT + "\n" + "\n".join(added)
    report = import_article(session=session, source=loaded, actor="editor", slug="t3")
    assert not report.lost
    linked = [q for _, q in report.linked]
    assert added[0] not in linked  # 85% is not 60%: a new candidate
    new = queries.list_claims(session=session, filters=queries.ClaimFilter(search="moved 85%"))
    assert [c.quote for c in new] == [added[0]] and new[0].id in report.created
    assert added[1] in linked  # leaving "Claude 5" out changes no figure


def test_markdown_import_keeps_no_heading_markers_or_datelines(session: Session) -> None:
    from tracker.intake.loading import LoadedArticle

    text = (
        "# Chip story\nBy Jane Doe | 14 March 2025\nPublished 14 March 2025\n\n"
        "AWS said Trainium 3 is 40% cheaper than Trainium 2, according to a statement.\n"
        "## Part 1: Costs\nUpdated: 3 May 2024 10:00 BST\n"
        "NVIDIA reportedly sold 2 million chips in 2025, analysts said.\n"
    )
    report = import_article(
        session=session, source=LoadedArticle(text, None, None, "story.md"), actor="editor"
    )
    assert report.slug == "chip-story"
    assert queries.get_article(session=session, slug="chip-story").title == "Chip story"
    every = queries.list_claims(
        session=session, limit=None, filters=queries.ClaimFilter(include_below_threshold=True)
    )
    sections = {c.quote: c.section for c in every}
    assert sections == {
        "AWS said Trainium 3 is 40% cheaper than Trainium 2, according to a statement.": (
            "Chip story"
        ),
        "NVIDIA reportedly sold 2 million chips in 2025, analysts said.": "Part 1: Costs",
    }
