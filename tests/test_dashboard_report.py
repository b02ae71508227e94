"""The claim page's rating form and the Report page, through Streamlit's AppTest (#13)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker import services
from tracker.models import Event

from .test_dashboard_apptest import app, claim, empty_db, seeded_db, texts  # noqa: F401
from .test_report import publish_some


def rating_events(engine: Engine, claim_id: int) -> list[tuple[str, str | None, str]]:
    with Session(engine) as s:
        rows = s.exec(
            select(Event)
            .where(Event.claim_id == claim_id, col(Event.action).in_(["rated", "summary_edited"]))
            .order_by(col(Event.id))
        )
        return [(e.action, e.new_value, e.actor) for e in rows]


def test_an_editor_rates_a_claim_on_its_page(seeded_db: Engine) -> None:  # noqa: F811
    at = app("views/claim.py", user="eve", id="3")
    assert "Not published yet: needs a verdict" in " ".join(c.value for c in at.caption)
    at.selectbox(key="c_rating").select("Mostly false")
    at.text_area(key="c_summary").input("Only for *training*, <b>not</b> inference.")
    next(b for b in at.button if b.label == "Save rating and summary").click().run()
    assert not at.exception
    c = claim(seeded_db, 3)
    assert (c.rating, c.verdict_summary, c.rated_by, c.version) == (
        "Mostly false",
        "Only for *training*, <b>not</b> inference.",
        "eve",
        2,
    )
    assert rating_events(seeded_db, 3) == [
        ("rated", "Mostly false", "eve"),
        ("summary_edited", "Only for *training*, <b>not</b> inference.", "eve"),
    ]
    shown = texts(at)
    assert "Rating and summary saved" in " ".join(t.value for t in at.toast)
    assert "\\*training\\*" in shown and "\\<b\\>not\\</b\\>" in shown  # shown as text


def test_reviewers_see_the_rating_but_no_form(seeded_db: Engine) -> None:  # noqa: F811
    at = app("views/claim.py", user="ana", id="3")
    assert "Editors set the rating" in " ".join(c.value for c in at.caption)
    assert not [s for s in at.selectbox if s.key == "c_rating"]


def test_a_stale_rating_is_refused_with_the_conflict(seeded_db: Engine) -> None:  # noqa: F811
    at = app("views/claim.py", user="eve", id="5")
    with Session(seeded_db) as s:  # bob changes claim 5 meanwhile
        services.review_claim(
            session=s, claim_id=5, status="in_review", actor="bob", expected_version=1
        )
    at.selectbox(key="c_rating").select("True")
    at.text_area(key="c_summary").input("Right.")
    next(b for b in at.button if b.label == "Save rating and summary").click().run()
    assert "was changed by bob" in texts(at)
    assert claim(seeded_db, 5).rating is None and rating_events(seeded_db, 5) == []


def test_report_page_summarises_and_previews_the_published_claims(
    seeded_db: Engine,  # noqa: F811
) -> None:
    with Session(seeded_db) as s:
        publish_some(s)
    at = app("views/report.py", user="victor")
    assert not at.exception
    shown = texts(at)
    assert "**3** published claims of 110 in the article" in shown
    assert "True\\: 1" in shown and "Unverifiable\\: 1" in shown
    downloads = at.get("download_button")
    assert downloads[0].label == "Download HTML"
    assert at.button(key="r_make_pdf").label == "Make PDF"


def test_report_page_on_an_empty_database(empty_db: Engine) -> None:  # noqa: F811
    at = app("views/report.py")
    assert not at.exception and "tracker seed" in texts(at)
