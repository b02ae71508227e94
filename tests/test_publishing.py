"""Rating and verdict summary (#13): editors only, versioned, audited; what is published."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker import db, publishing, queries, services
from tracker.config import DEFAULT_RATING_SCALE, get_settings, rating_scale
from tracker.errors import EditConflict, InvalidTransition, PermissionDenied, ValidationFailed
from tracker.models import Event, RatingUpdate

SLUG = "trainium3-silicon-sovereignty"


def events(s: Session, claim_id: int, *actions: str) -> list[Event]:
    return list(
        s.exec(
            select(Event)
            .where(Event.claim_id == claim_id, col(Event.action).in_(actions))
            .order_by(col(Event.id))
        )
    )


def confirmed_verdict(s: Session, claim_id: int, stance: str = "supports") -> int:
    """Give ``claim_id`` a confirmed verdict; returns its version."""
    services.add_source(
        session=s,
        claim_id=claim_id,
        url=f"https://e.example/{claim_id}",
        stance=stance,
        actor="ana",
    )
    if stance == "supports":
        services.review_claim(
            session=s, claim_id=claim_id, status="verified", actor="ana", expected_version=None
        )
    else:
        services.review_claim(
            session=s,
            claim_id=claim_id,
            status="flagged",
            reason="false",
            note="contradicted",
            actor="ana",
            expected_version=None,
        )
    return services.confirm_verdict(
        session=s, claim_id=claim_id, actor="editor", expected_version=None
    ).version


def rate(s: Session, claim_id: int, version: int | None, actor: str = "eve", **fields: str | None):
    return services.rate_claim(
        session=s,
        claim_id=claim_id,
        changes=RatingUpdate(**fields),
        actor=actor,
        expected_version=version,
    )


def test_an_editor_rates_and_summarises_with_one_event_per_field(seeded: Session) -> None:
    version = confirmed_verdict(seeded, 3)
    c = rate(seeded, 3, version, rating="mostly-TRUE", verdict_summary="  Both firms   said so.\n")
    assert (c.rating, c.verdict_summary, c.rated_by) == (
        "Mostly true",
        "Both firms said so.",
        "eve",
    )
    assert c.version == version + 1 and c.rated_at is not None and c.rated_at.tzinfo
    assert c.confirmed_by == "editor"  # rating is the editor's call, not a new verdict
    got = [
        (e.action, e.field, e.old_value, e.new_value, e.actor, e.claim_version)
        for e in events(seeded, 3, "rated", "summary_edited")
    ]
    assert got == [
        ("rated", "rating", None, "Mostly true", "eve", version + 1),
        ("summary_edited", "verdict_summary", None, "Both firms said so.", "eve", version + 1),
    ]
    # a number is the scale position; only the rating changes, so only it is recorded
    c = rate(seeded, 3, c.version, rating="1")
    assert (c.rating, c.verdict_summary) == ("False", "Both firms said so.")
    assert [e.new_value for e in events(seeded, 3, "rated")] == ["Mostly true", "False"]
    # clearing is a change too
    c = rate(seeded, 3, c.version, rating=None, verdict_summary="")
    assert (c.rating, c.verdict_summary) == (None, None)


def test_changing_nothing_writes_nothing(seeded: Session) -> None:
    c = rate(seeded, 5, 1, rating="Unverifiable", verdict_summary="No source.")
    again = rate(seeded, 5, c.version, rating="unverifiable", verdict_summary="No source.")
    assert again.version == c.version
    assert len(events(seeded, 5, "rated", "summary_edited")) == 2


@pytest.mark.parametrize("who", ["ana", "victor"])
def test_reviewers_and_viewers_may_not_rate(seeded: Session, who: str) -> None:
    with pytest.raises(PermissionDenied, match=rf"{who} \(\w+\) may not rate claims"):
        rate(seeded, 3, 1, actor=who, rating="True", verdict_summary="x")
    c = queries.get_claim(session=seeded, claim_id=3)
    assert (c.rating, c.version) == (None, 1)


def test_a_stale_version_is_refused_with_who_changed_it(seeded: Session) -> None:
    services.review_claim(
        session=seeded, claim_id=6, status="in_review", actor="bob", expected_version=1
    )
    with pytest.raises(EditConflict, match="changed by bob"):
        rate(seeded, 6, 1, rating="True", verdict_summary="x")
    assert queries.get_claim(session=seeded, claim_id=6).rating is None
    assert events(seeded, 6, "rated") == []


def test_unknown_rating_names_the_value_and_the_scale(seeded: Session) -> None:
    with pytest.raises(ValidationFailed, match=r"unknown rating 'Pants on fire'.*'Mostly false'"):
        rate(seeded, 3, 1, rating="Pants on fire")
    with pytest.raises(ValidationFailed, match="verdict summary is 601 characters"):
        rate(seeded, 3, 1, verdict_summary="x" * 601)


def test_a_dismissed_claim_is_not_rated(seeded: Session) -> None:
    services.review_claim(
        session=seeded, claim_id=7, status="dismissed", actor="ana", expected_version=1
    )
    with pytest.raises(InvalidTransition, match="claim 7 is dismissed"):
        rate(seeded, 7, 2, rating="True")


def test_only_confirmed_rated_and_summarised_verdicts_are_published(seeded: Session) -> None:
    v3 = confirmed_verdict(seeded, 3)
    rate(seeded, 3, v3, rating="True", verdict_summary="Confirmed.")
    v10 = confirmed_verdict(seeded, 10, stance="refutes")
    rate(seeded, 10, v10, rating="False")  # no summary yet
    rate(seeded, 11, 1, rating="True", verdict_summary="Not reviewed.")  # no verdict
    services.add_source(
        session=seeded, claim_id=12, url="https://e.example/12", stance="supports", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=12, status="verified", actor="ana", expected_version=1
    )
    rate(seeded, 12, None, rating="True", verdict_summary="Pending confirmation.")

    report = publishing.published_report(session=seeded, slug=SLUG)
    assert [c.id for c in report.claims] == [3]
    assert report.claims_in_article == 110
    assert report.claims[0].sources[0].url == "https://e.example/3"
    blockers = {
        cid: publishing.publication_blockers(queries.get_claim(session=seeded, claim_id=cid))
        for cid in (3, 10, 11, 12)
    }
    assert blockers == {
        3: [],
        10: ["a verdict summary"],
        11: ["a verdict (it is unreviewed)"],
        12: ["the verdict's confirmation by a second editor"],
    }
    # reopening the verdict unpublishes it until it is confirmed again
    services.review_claim(
        session=seeded, claim_id=3, status="in_review", actor="editor", expected_version=None
    )
    assert publishing.published_report(session=seeded, slug=SLUG).claims == []
    assert [r.slug for r in publishing.published_reports(session=seeded)] == []


def test_the_scale_comes_from_the_environment(
    seeded: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert get_settings().rating_scale == DEFAULT_RATING_SCALE
    monkeypatch.setenv("TRACKER_RATING_SCALE", "Wrong | Partly right |Right")
    assert get_settings().rating_scale == ("Wrong", "Partly right", "Right")
    assert rate(seeded, 3, 1, rating="partly right").rating == "Partly right"
    with pytest.raises(ValidationFailed, match="unknown rating 'Mostly true'"):
        rate(seeded, 3, None, rating="Mostly true")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("Only", "has 1 label"),
        ("A||B", "has an empty label"),
        ("True|true", "repeats a label"),
        ("No|Unverifiable|Yes", "always available outside the scale"),
        ("A|" + "b" * 61, "longer than 60"),
    ],
)
def test_a_bad_scale_is_refused_naming_it(raw: str, problem: str) -> None:
    with pytest.raises(ValidationFailed, match=f"TRACKER_RATING_SCALE=.*{problem}"):
        rating_scale(raw)


def test_migration_0007_adds_and_removes_the_columns(engine: Engine) -> None:
    from sqlalchemy import inspect as sa_inspect

    added = {"rating", "verdict_summary", "rated_by", "rated_at"}

    def columns() -> set[str]:
        with engine.connect() as conn:
            return {c["name"] for c in sa_inspect(conn).get_columns("claim")}

    assert added <= columns()
    db.downgrade(engine, "0006")
    assert not added & columns()
    db.upgrade(engine)
    assert added <= columns()
    assert db.current_revision(engine) == db.head_revision()
