"""Every path works on a database that has been used (tests/livedin.py), on both backends.

The lived-in database holds what a desk's database holds after weeks: revised
articles with lost quotes, claim vectors and stored matches, a reference
library, sessions, link checks, archives, ratings and confirmations. Pages,
reports and exports are exercised on it as a new user would.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from tracker import publishing, queries, services
from tracker.config import get_settings
from tracker.errors import TrackerError
from tracker.interchange.csv_export import export_csv_bytes
from tracker.models import Article, Claim, Event, Source, VerdictDay

from .conftest import ROOT, LivedDb
from .livedin import LOST_QUOTE, REVISED

APP = str(ROOT / "dashboard" / "app.py")
ROLE_OF = {"victor": "viewer", "ana": "reviewer", "editor": "editor", "admin": "admin"}
TALLY_DIMS = {
    "status": "status",
    "flag_reason": "flag_reason",
    "reviewer": "last_reviewed_by",
    "assignee": "assignee",
}


def _visits(lived_in: LivedDb) -> list[tuple[str, dict[str, str]]]:
    """Each page, and each page about a row that has a story, with its address."""
    f = lived_in.facts
    claims = sorted(
        {
            f.lost_quote_claim,
            f.deleted_quote_claim,
            f.relocated_claim,
            f.rated_claim,
            f.reopened_claim,
            f.edited_claim,
            f.candidate_claim,
            f.promoted_claim,
            f.curated_claim,
            *f.by_status.values(),
        }
    )
    visits: list[tuple[str, dict[str, str]]] = [
        (page, {}) for page in ("queue", "confirm", "overview", "export", "report")
    ]
    visits += [("claim", {"id": str(c)}) for c in claims]
    visits += [("article", {"slug": slug}) for slug in f.articles]
    visits += [("article", {"slug": REVISED, "claim": str(f.lost_quote_claim)})]
    return visits


@pytest.mark.slow
@pytest.mark.parametrize("user", ROLE_OF)
def test_every_page_renders_for_every_role(
    lived_in: LivedDb, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", lived_in.url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["signed_in"] = {"name": user, "role": ROLE_OF[user]}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    for page, query in _visits(lived_in):
        at.query_params.clear()
        at.query_params.update(query)
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, query, [e.message for e in at.exception])
    # the report and overview pages, article by article
    for slug in lived_in.facts.articles:
        at.switch_page("views/report.py").run()
        at.selectbox(key="r_article").set_value(slug).run()
        assert not at.exception, ("report", slug, [e.message for e in at.exception])
        at.switch_page("views/overview.py").run()
        at.selectbox(key="o_article").set_value(slug).run()
        assert not at.exception, ("overview", slug, [e.message for e in at.exception])


def _settings() -> Any:
    return dataclasses.replace(
        get_settings(), org_name="Desk Checks", report_base_url="https://desk.example/reports"
    )


def test_report_and_claimreview_render_for_every_article(lived_in: LivedDb) -> None:
    with Session(lived_in.engine) as s:
        for slug in lived_in.facts.articles:
            page = publishing.report_html(session=s, slug=slug, settings=_settings())
            assert page.startswith("<!doctype html>"), slug
        items = publishing.claimreview_items(session=s, settings=_settings())
    json.dumps(items)
    reviewed = {item["claimReviewed"] for item in items}
    assert reviewed  # the seed article's published claims
    assert not any(LOST_QUOTE in str(r) for r in reviewed)


@pytest.mark.slow
def test_pdf_report_renders_for_every_article(lived_in: LivedDb) -> None:
    from tracker.interchange.pdf import find_chromium, html_to_pdf

    try:
        find_chromium()
    except TrackerError as exc:
        pytest.skip(str(exc))
    with Session(lived_in.engine) as s:
        pages = [publishing.report_html(session=s, slug=slug) for slug in lived_in.facts.articles]
    for page in pages:
        assert html_to_pdf(page).startswith(b"%PDF")


def test_a_lost_quote_is_neither_confirmed_nor_published(lived_in: LivedDb) -> None:
    lost = lived_in.facts.lost_quote_claim
    with Session(lived_in.engine) as s:
        version = queries.get_claim(session=s, claim_id=lost).version
        with pytest.raises(TrackerError):
            services.confirm_verdict(
                session=s, claim_id=lost, actor="editor", expected_version=version
            )
        page = publishing.report_html(session=s, slug=REVISED)
    assert LOST_QUOTE not in page


def _counts(s: Session) -> dict[str, int]:
    s.expire_all()
    return {
        model.__name__: s.exec(select(func.count()).select_from(model)).one()
        for model in (Claim, Event, Source)
    }


def test_csv_export_then_import_changes_nothing(lived_in: LivedDb) -> None:
    with Session(lived_in.engine) as s:
        first = export_csv_bytes(session=s, filters=queries.ClaimFilter())
        before = _counts(s)
        report = services.import_claims_csv(session=s, data=first, actor="editor")
        assert (report.updated, report.created) == ([], [])
        assert _counts(s) == before
        s.expire_all()
        assert export_csv_bytes(session=s, filters=queries.ClaimFilter()) == first


# --- derived data equals a recount from the rows ---------------------------------------


def recount_claim_tally(s: Session) -> dict[tuple[int, str, str], int]:
    counts: Counter[tuple[int, str, str]] = Counter()
    for claim in s.exec(select(Claim).where(col(Claim.below_threshold).is_(False))):
        for dim, column in TALLY_DIMS.items():
            key = getattr(claim, column) or ""
            counts[(claim.article_id, dim, key)] += 1
            counts[(0, dim, key)] += 1
    return dict(counts)


def stored_claim_tally(s: Session) -> dict[tuple[int, str, str], int]:
    rows = s.connection().exec_driver_sql(
        "SELECT article_id, dim, key, n FROM claim_tally WHERE n <> 0"
    )
    return {(a, d, k): n for a, d, k, n in rows}


def recount_source_tally(s: Session) -> dict[tuple[int, str], int]:
    counts: Counter[tuple[int, str]] = Counter()
    rows = s.exec(
        select(Claim.article_id, Source.stance)
        .join(Claim, col(Claim.id) == col(Source.claim_id))
        .where(col(Claim.below_threshold).is_(False))
    )
    for article_id, stance in rows:
        counts[(article_id, stance)] += 1
        counts[(0, stance)] += 1
    return dict(counts)


def stored_source_tally(s: Session) -> dict[tuple[int, str], int]:
    rows = s.connection().exec_driver_sql(
        "SELECT article_id, stance, n FROM source_tally WHERE n <> 0"
    )
    return {(a, st): n for a, st, n in rows}


def recount_verdict_days(s: Session) -> dict[tuple[int, str, str], int]:
    """Status changes per article and day, from the review events (the audit trail)."""
    counts: Counter[tuple[int, str, str]] = Counter()
    rows = s.exec(
        select(Claim.article_id, Event.at, Event.new_value)
        .join(Claim, col(Claim.id) == col(Event.claim_id))
        .where(Event.action == "review")
    )
    for article_id, at, status in rows:
        day = at.date().isoformat()
        counts[(article_id, day, str(status))] += 1
        counts[(0, day, str(status))] += 1
    return dict(counts)


def stored_verdict_days(s: Session) -> dict[tuple[int, str, str], int]:
    return {(v.article_id, v.day, v.status): v.n for v in s.exec(select(VerdictDay)) if v.n}


def check_derived(s: Session) -> None:
    """Every counter and tally equals a recount from the rows it counts."""
    s.expire_all()
    per_claim = dict(
        s.exec(select(Source.claim_id, func.count()).group_by(col(Source.claim_id))).all()
    )
    for claim_id, kept in s.exec(select(Claim.id, Claim.source_count)):
        assert kept == per_claim.get(claim_id, 0), claim_id
    assert stored_claim_tally(s) == recount_claim_tally(s)
    assert stored_source_tally(s) == recount_source_tally(s)
    assert stored_verdict_days(s) == recount_verdict_days(s)
    for article in s.exec(select(Article)):
        revisions = s.connection().exec_driver_sql(
            f"SELECT max(revision), count(*) FROM article_revision WHERE article_id = {article.id}"
        )
        assert tuple(revisions.one()) == (article.revision, article.revision), article.slug


def test_counters_and_tallies_equal_a_recount(lived_in: LivedDb) -> None:
    with Session(lived_in.engine) as s:
        check_derived(s)


def test_the_lived_in_database_has_what_it_promises(lived_in: LivedDb) -> None:
    f = lived_in.facts
    with Session(lived_in.engine) as s:
        statuses = set(s.exec(select(Claim.status)))
        assert statuses == {"unreviewed", "in_review", "verified", "flagged", "dismissed"}
        assert set(s.exec(select(Source.stance))) == {"supports", "refutes", "context"}
        revised = s.exec(select(Article).where(Article.slug == REVISED)).one()
        assert revised.revision == 2 and LOST_QUOTE not in revised.text
        lost = s.get(Claim, f.lost_quote_claim)
        assert lost is not None and lost.quote.startswith(LOST_QUOTE)
        assert lost.rating == "True" and lost.confirmed_by is None  # cleared by the revision
        rated = s.get(Claim, f.rated_claim)
        assert rated is not None and rated.confirmed_by and rated.rating
        actions = set(s.exec(select(Event.action)))
        for action in ("quote_lost", "relocated", "confirm", "rated", "confirmation_cleared"):
            assert action in actions, action
        link_states = set(s.exec(select(Source.link_state)))
        assert {"live", "failing"} <= link_states, link_states
        assert any(s.exec(select(Source.archived_url).where(col(Source.archived_url).is_not(None))))
        assert s.connection().exec_driver_sql("SELECT count(*) FROM claim_vector").scalar()
        assert s.connection().exec_driver_sql("SELECT count(*) FROM reference").scalar() == (
            f.references
        )
        assert s.connection().exec_driver_sql("SELECT count(*) FROM web_session").scalar() == len(
            f.sessions
        )
        assert s.connection().exec_driver_sql("SELECT count(*) FROM signin_attempt").scalar()
        for name, token in f.sessions.items():
            assert services.resume_session(session=s, token=token).name == name
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", f.link_base)
