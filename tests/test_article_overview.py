"""The article view and the overview (#11), through Streamlit's AppTest and on both
databases for the overview's queries."""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from dashboard.render import (
    STATUS_HEX,
    STATUS_LABELS,
    STATUS_SIGNS,
    article_claim_url,
    claim_url,
)
from tracker import queries, services
from tracker.intake.loading import LoadedArticle
from tracker.models import Claim, Event, VerdictDay, as_utc
from tracker.services import import_article

from .test_dashboard_apptest import app, empty_db, seeded_db, texts

__all__ = ["empty_db", "seeded_db"]  # fixtures, imported for use here

CANDIDATES = (
    "# Chip prices\n\n"
    "AWS said Trainium 3 is 40% cheaper than Trainium 2, according to a statement.\n"
    "We think this is nice.\n"
)


def verify(s: Session, claim_id: int, actor: str) -> None:
    services.add_source(
        session=s,
        claim_id=claim_id,
        url=f"https://example.org/{claim_id}",
        stance="supports",
        actor=actor,
    )
    version = queries.get_claim(session=s, claim_id=claim_id).version
    services.review_claim(
        session=s, claim_id=claim_id, status="verified", actor=actor, expected_version=version
    )


# --- article view ---------------------------------------------------------------------


def test_highlights_are_coloured_by_status_and_each_links_to_its_claim(
    seeded_db: Engine,
) -> None:
    with Session(seeded_db) as s:
        verify(s, 1, "ana")
        services.review_claim(
            session=s, claim_id=4, status="in_review", actor="bob", expected_version=1
        )
    body = texts(app("views/article.py"))
    assert f"[**\\#1** {STATUS_SIGNS['verified']}]({claim_url(1)})" in body
    assert ":green-background[" in body and ":blue-background[" in body
    assert f"[**\\#7** {STATUS_SIGNS['unreviewed']}](claim?id=7)" in body
    legend = next(line for line in body.splitlines() if line.startswith("Highlights:"))
    for status, label in STATUS_LABELS.items():
        assert f"{label} {STATUS_SIGNS[status]}" in legend
    assert "<" not in legend  # Markdown only, no HTML


def test_markdown_tables_render_as_tables_with_highlights_in_their_cells(
    seeded_db: Engine,
) -> None:
    at = app("views/article.py")
    body = texts(at)
    table = next(m.value for m in at.markdown if "| Metric |" in m.value).splitlines()
    assert table[0] == "| Metric | Trainium 3 Cluster | NVIDIA Vera Rubin |"
    assert table[1] == "|---|---|---|"
    assert len(table) == 6  # header, rule, four rows
    perf = next(row for row in table if row.startswith("| Performance per Dollar |"))
    assert perf.count(" | ") == 2  # three cells: the highlight stays inside its cell
    assert ":gray-background[1\\.4x (Winner)]" in perf.replace("\\(", "(").replace("\\)", ")")
    assert "](claim?id=" in perf
    assert "\\| Metric" not in body  # not shown as escaped pipes any more


def test_below_threshold_candidates_look_different_from_queued_claims(
    empty_db: Engine,
) -> None:
    with Session(empty_db) as s:
        report = import_article(
            session=s, source=LoadedArticle(CANDIDATES, None, None, "chips.md"), actor="editor"
        )
        claims = queries.list_claims(
            session=s, filters=queries.ClaimFilter(include_below_threshold=True), limit=None
        )
    queued = next(c for c in claims if not c.below_threshold)
    candidate = next(c for c in claims if c.below_threshold)
    assert report.below_threshold >= 1
    body = texts(app("views/article.py"))
    assert f":gray-background[{queued.quote[:10]}" in body.replace("\\", "")
    assert f"[◇{candidate.id}]({claim_url(candidate.id)})" in body
    line = next(x for x in body.splitlines() if f"◇{candidate.id}" in x)
    assert "-background[" not in line and line.startswith("*")  # italics, no background


def test_a_claim_link_opens_its_article_marked_and_with_an_anchor(empty_db: Engine) -> None:
    with Session(empty_db) as s:
        import_article(
            session=s, source=LoadedArticle(CANDIDATES, None, None, "chips.md"), actor="editor"
        )
        from tracker.services.seeding import seed

        from .conftest import SEEDS

        seed(session=s, seeds_dir=SEEDS)
        other = s.exec(select(Claim).where(Claim.article_id == 1)).first()
    assert other is not None and other.id is not None
    at = app("views/article.py", claim=str(other.id))
    assert at.selectbox(key="a_slug").value == "chip-prices"
    heading = next(h for h in at.subheader if h.value.startswith("▶ Claim"))
    assert heading.value == f"▶ Claim {other.id} · Unreviewed"
    assert heading.proto.anchor == f"claim-{other.id}"
    assert f"(#claim-{other.id})" in texts(at)  # the jump link
    assert article_claim_url("chip prices", 12) == "article?slug=chip%20prices&claim=12#claim-12"


def test_a_bad_claim_parameter_shows_the_article_and_says_so(seeded_db: Engine) -> None:
    at = app("views/article.py", claim="12abc")
    warned = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "claim='12abc': not a claim number" in warned
    assert not [h for h in at.subheader if h.value.startswith("▶")]


# --- overview ---------------------------------------------------------------------------


def charts(at: object) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]  # type: ignore[attr-defined]


def test_overview_shows_pending_confirmations_pace_and_whole_number_axes(
    seeded_db: Engine,
) -> None:
    with Session(seeded_db) as s:
        verify(s, 1, "ana")
        verify(s, 2, "ana")
        verify(s, 3, "bob")
        services.confirm_verdict(session=s, claim_id=1, actor="editor", expected_version=2)
    at = app("views/overview.py")
    values = {m.label: m.value for m in at.metric}
    assert values["Pending confirmation"] == "2"
    assert values["Verdicts in the last 30 days"] == "3"
    assert values["Median first review → confirmed (30 days)"] != "–"
    specs = charts(at)
    assert len(specs) == 3
    for spec in specs:
        text = json.dumps(spec)
        assert '"format": "d"' in text and '"tickMinStep": 1' in text
    status_chart = json.dumps(specs[0])
    for colour in STATUS_HEX.values():
        assert colour in status_chart
    assert '"field": "reviewer"' in json.dumps(specs[2])
    assert specs[1]["mark"]["point"] is True  # one day of verdicts: its points drawn


def test_years_of_verdicts_are_a_curve_without_a_point_per_day(seeded_db: Engine) -> None:
    """1,400 points cost the browser a tenth of a second; past 60 days they are a line."""
    start = date(2025, 1, 1)
    with Session(seeded_db) as s:
        for i in range(90):  # past the 60 days drawn with a point each
            day = (start + timedelta(days=i)).isoformat()
            s.add(VerdictDay(article_id=0, day=day, status="verified", n=1))
        s.commit()
    spec = charts(app("views/overview.py"))[1]
    assert spec["mark"]["point"] is False


def test_review_pace_on_both_databases(seeded: Session) -> None:
    for claim_id, who in ((1, "ana"), (2, "ana"), (3, "bob"), (4, "bob")):
        verify(seeded, claim_id, who)
    services.review_claim(
        session=seeded, claim_id=5, status="in_review", actor="ana", expected_version=1
    )
    for claim_id in (1, 3):
        services.confirm_verdict(
            session=seeded, claim_id=claim_id, actor="editor", expected_version=2
        )
    pace = queries.review_pace(session=seeded)
    assert pace.pending_confirmation == 2
    days = {d for d, _, _ in pace.verdicts_by_reviewer_day}
    assert len(days) == 1  # all given today (UTC)
    assert [(who, n) for _, who, n in pace.verdicts_by_reviewer_day] == [("ana", 2), ("bob", 2)]
    # the median equals what the rows say: confirmation minus first review, per claim
    waits = []
    for claim_id in (1, 3):
        confirmed = seeded.get(Claim, claim_id).confirmed_at  # type: ignore[union-attr]
        first = seeded.exec(
            select(func.min(Event.at)).where(Event.claim_id == claim_id, Event.action == "review")
        ).one()
        waits.append((as_utc(confirmed) - as_utc(first)).total_seconds())  # type: ignore[operator]
    assert pace.confirmed_measured == 2
    assert pace.median_to_confirmed == timedelta(seconds=statistics.median(waits))
    # an article filter narrows all three; nothing is counted from other articles
    assert queries.review_pace(session=seeded, article="no-such-article").pending_confirmation == 0
    later = queries.review_pace(
        session=seeded, now=queries.datetime.now(queries.UTC) + timedelta(days=60)
    )
    assert later.verdicts_by_reviewer_day == []  # outside the 30-day window
