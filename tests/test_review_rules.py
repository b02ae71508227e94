"""Review rules on SQLite and PostgreSQL: each refusal names the problem, changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tracker import queries, services
from tracker.audit import EventAction
from tracker.errors import (
    EditConflict,
    ImportFailed,
    InvalidTransition,
    NotFound,
    RuleViolation,
    UnsafeURL,
    ValidationFailed,
)
from tracker.models import Claim, ClaimUpdate, Event, Note, Source

URL = "https://www.example.org/report"


def snapshot(session: Session, claim_id: int) -> tuple[object, ...]:
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim is not None
    count = lambda t: session.exec(  # noqa: E731
        select(func.count()).select_from(t).where(t.claim_id == claim_id)
    ).one()
    return (
        claim.status,
        claim.flag_reason,
        claim.version,
        count(Event),
        count(Note),
        count(Source),
    )


def first_claim(session: Session) -> int:
    return queries.list_claims(session=session, limit=1)[0].id


def test_verify_needs_a_source(seeded: Session) -> None:
    cid = first_claim(seeded)
    before = snapshot(seeded, cid)
    with pytest.raises(RuleViolation, match="verify needs at least one supporting source"):
        services.review_claim(
            session=seeded, claim_id=cid, status="verified", actor="ana", expected_version=1
        )
    assert snapshot(seeded, cid) == before


def test_verify_with_a_source_records_one_review_event(seeded: Session) -> None:
    cid = first_claim(seeded)
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="supports", actor="ana")
    claim = services.review_claim(
        session=seeded, claim_id=cid, status="verified", actor="ana", expected_version=1
    )
    assert (claim.status, claim.version, claim.last_reviewed_by) == ("verified", 2, "ana")
    events = seeded.exec(select(Event).where(Event.claim_id == cid, Event.action == "review")).all()
    assert [(e.old_value, e.new_value, e.actor, e.claim_version) for e in events] == [
        ("unreviewed", "verified", "ana", 2)
    ]


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        (None, "why", "flagging needs a reason; allowed: false, misleading"),
        ("misleading", None, "flagging needs a note"),
        ("misleading", "   ", "flagging needs a note"),
        ("false", "wrong", "flag as false needs at least one refuting or context source"),
        ("misleading", "wrong", "flag as misleading needs at least one refuting or context source"),
        ("wrong", "x", "unknown flag reason 'wrong'; allowed: false, misleading, unverifiable"),
    ],
)
def test_flag_rules(seeded: Session, reason: str | None, note: str | None, message: str) -> None:
    cid = first_claim(seeded)
    before = snapshot(seeded, cid)
    with pytest.raises((RuleViolation, ValidationFailed), match=message):
        services.review_claim(
            session=seeded,
            claim_id=cid,
            status="flagged",
            actor="ana",
            expected_version=1,
            reason=reason,
            note=note,
        )
    assert snapshot(seeded, cid) == before


def test_flag_unverifiable_needs_no_source_and_keeps_the_note(seeded: Session) -> None:
    cid = first_claim(seeded)
    claim = services.review_claim(
        session=seeded,
        claim_id=cid,
        status="flagged",
        actor="bob",
        expected_version=1,
        reason="unverifiable",
        note="No public benchmark exists.",
    )
    assert (claim.status, claim.flag_reason) == ("flagged", "unverifiable")
    detail = queries.claim_detail(session=seeded, claim_id=cid)
    assert detail.notes[-1].body == "No public benchmark exists."
    assert [e.action for e in detail.events][-2:] == ["review", "note_added"]
    # leaving flagged (an editor's call once there is a verdict) clears the reason
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="supports", actor="bob")
    claim = services.review_claim(
        session=seeded, claim_id=cid, status="verified", actor="editor", expected_version=2
    )
    assert claim.flag_reason is None


def test_unknown_values_list_the_allowed_ones(seeded: Session) -> None:
    cid = first_claim(seeded)
    with pytest.raises(ValidationFailed, match=r"unknown status 'done'; allowed: unreviewed, "):
        services.review_claim(
            session=seeded, claim_id=cid, status="done", actor="ana", expected_version=1
        )
    with pytest.raises(
        ValidationFailed, match=r"unknown stance 'agrees'; allowed: supports, refutes, context"
    ):
        services.add_source(session=seeded, claim_id=cid, url=URL, stance="agrees", actor="ana")
    with pytest.raises(ValidationFailed, match="a flag reason is only for flagged claims"):
        services.review_claim(
            session=seeded,
            claim_id=cid,
            status="in_review",
            actor="ana",
            expected_version=1,
            reason="false",
        )


def test_transitions(seeded: Session) -> None:
    cid = first_claim(seeded)
    services.review_claim(
        session=seeded, claim_id=cid, status="dismissed", actor="ana", expected_version=1
    )
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="supports", actor="ana")
    with pytest.raises(InvalidTransition, match="cannot go from dismissed to verified"):
        services.review_claim(
            session=seeded, claim_id=cid, status="verified", actor="ana", expected_version=2
        )
    with pytest.raises(InvalidTransition, match="already dismissed"):
        services.review_claim(
            session=seeded, claim_id=cid, status="dismissed", actor="ana", expected_version=2
        )


def test_stale_version_is_an_edit_conflict_naming_who_and_when(seeded: Session) -> None:
    cid = first_claim(seeded)
    services.review_claim(
        session=seeded, claim_id=cid, status="in_review", actor="ana", expected_version=1
    )
    before = snapshot(seeded, cid)
    with pytest.raises(
        EditConflict, match=r"claim \d+ was changed by ana at .* UTC since you opened it"
    ) as info:
        services.review_claim(
            session=seeded, claim_id=cid, status="dismissed", actor="bob", expected_version=1
        )
    assert (info.value.expected_version, info.value.current_version) == (1, 2)
    assert snapshot(seeded, cid) == before
    with pytest.raises(EditConflict):
        services.assign_claim(
            session=seeded, claim_id=cid, assignee="bob", actor="bob", expected_version=1
        )


def test_notes_and_sources_never_bump_the_version(seeded: Session) -> None:
    cid = first_claim(seeded)
    services.add_note(session=seeded, claim_id=cid, body="Checking with AWS.", actor="ana")
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="context", actor="ana")
    assert queries.get_claim(session=seeded, claim_id=cid).version == 1
    with pytest.raises(ValidationFailed, match="already has source"):
        services.add_source(session=seeded, claim_id=cid, url=URL, stance="context", actor="ana")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "ftp://x.org/a",
        "http://user:pass@example.org/",
        "example.org/no-scheme",
        "http:///nohost",
    ],
)
def test_unsafe_source_urls_are_refused(seeded: Session, url: str) -> None:
    cid = first_claim(seeded)
    before = snapshot(seeded, cid)
    with pytest.raises(UnsafeURL):
        services.add_source(session=seeded, claim_id=cid, url=url, stance="supports", actor="ana")
    assert snapshot(seeded, cid) == before


def test_bad_text_is_refused(seeded: Session) -> None:
    cid = first_claim(seeded)
    before = snapshot(seeded, cid)
    with pytest.raises(ValidationFailed, match="control character U\\+0007"):
        services.add_note(session=seeded, claim_id=cid, body="bell\x07", actor="ana")
    with pytest.raises(ValidationFailed, match="the limit is 10,000"):
        services.add_note(session=seeded, claim_id=cid, body="x" * 10_001, actor="ana")
    with pytest.raises(ValidationFailed, match=r"actor .* is required"):
        services.add_note(session=seeded, claim_id=cid, body="hi", actor=" ")
    with pytest.raises(NotFound, match="claim 999999 does not exist"):
        services.add_note(session=seeded, claim_id=999_999, body="hi", actor="ana")
    assert snapshot(seeded, cid) == before


def test_audit_trail_is_append_only_in_the_database(seeded: Session, engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE event SET actor = 'mallory'"))
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM event"))


def test_two_writers_from_the_same_version_cannot_both_win(seeded: Session, engine: Engine) -> None:
    cid = first_claim(seeded)
    with Session(engine) as a, Session(engine) as b:
        services.review_claim(
            session=a, claim_id=cid, status="in_review", actor="ana", expected_version=1
        )
        with pytest.raises(EditConflict, match="changed by ana"):
            services.review_claim(
                session=b, claim_id=cid, status="dismissed", actor="bob", expected_version=1
            )
    with Session(engine) as fresh:
        assert queries.get_claim(session=fresh, claim_id=cid).status == "in_review"


def test_filters_and_paging_happen_in_sql(seeded: Session) -> None:
    total = queries.count_claims(session=seeded)
    assert total > 60
    page = queries.list_claims(session=seeded, limit=10, offset=10)
    assert [c.id for c in page] == list(range(11, 21))
    hbm = queries.list_claims(session=seeded, filters=queries.ClaimFilter(search="hbm4"))
    assert hbm and all("HBM4" in c.quote or "HBM4" in c.claim for c in hbm)
    services.add_note(session=seeded, claim_id=5, body="zebra-unique-word", actor="ana")
    found = queries.list_claims(session=seeded, filters=queries.ClaimFilter(search="ZEBRA-unique"))
    assert [c.id for c in found] == [5]
    pct = queries.list_claims(session=seeded, filters=queries.ClaimFilter(search="100%"))
    assert all("100%" in c.quote or "100%" in c.claim for c in pct) and pct
    stats = queries.count_claims(
        session=seeded, filters=queries.ClaimFilter(claim_type=["statistic"])
    )
    assert 0 < stats < total
    assert queries.next_claim_id(session=seeded, after_id=3) == 4


# --- #9 finding 10: the evidence rule, the same on every path -------------------------


def test_a_refuting_source_alone_does_not_verify(seeded: Session) -> None:
    cid = first_claim(seeded)
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="refutes", actor="ana")
    before = snapshot(seeded, cid)
    with pytest.raises(RuleViolation, match="verify needs at least one supporting source"):
        services.review_claim(
            session=seeded, claim_id=cid, status="verified", actor="ana", expected_version=1
        )
    assert snapshot(seeded, cid) == before


@pytest.mark.parametrize("reason", ["false", "misleading"])
def test_a_supporting_source_alone_does_not_flag_false_or_misleading(
    seeded: Session, reason: str
) -> None:
    cid = first_claim(seeded)
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="supports", actor="ana")
    before = snapshot(seeded, cid)
    with pytest.raises(RuleViolation, match="needs at least one refuting or context source"):
        services.review_claim(
            session=seeded,
            claim_id=cid,
            status="flagged",
            actor="ana",
            expected_version=1,
            reason=reason,
            note="wrong figure",
        )
    assert snapshot(seeded, cid) == before
    services.add_source(
        session=seeded, claim_id=cid, url=URL + "/context", stance="context", actor="ana"
    )
    flagged = services.review_claim(
        session=seeded,
        claim_id=cid,
        status="flagged",
        actor="ana",
        expected_version=1,
        reason=reason,
        note="wrong figure",
    )
    assert (flagged.status, flagged.flag_reason) == ("flagged", reason)


def test_the_evidence_rule_holds_in_the_csv_import(seeded: Session) -> None:
    from tracker.interchange.csv_export import export_csv_bytes

    cid = first_claim(seeded)
    services.add_source(session=seeded, claim_id=cid, url=URL, stance="refutes", actor="ana")
    data = export_csv_bytes(session=seeded, filters=queries.ClaimFilter(ids=[cid])).decode()
    edited = data.replace(",unreviewed,", ",verified,", 1).encode()
    before = snapshot(seeded, cid)
    with pytest.raises(ImportFailed, match="verify needs at least one supporting source"):
        services.import_claims_csv(session=seeded, data=edited, actor="editor", source="x.csv")
    assert snapshot(seeded, cid) == before


def test_the_evidence_rule_holds_in_the_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tracker.cli import app

    from .conftest import make_accounts_via_cli

    url = f"sqlite:///{tmp_path / 't.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    make_accounts_via_cli(url)
    assert runner.invoke(app, ["--db", url, "seed"]).exit_code == 0
    added = runner.invoke(
        app, ["--db", url, "source", "add", "1", URL, "--stance", "refutes", "--by", "ana"]
    )
    assert added.exit_code == 0, added.stderr
    refused = runner.invoke(app, ["--db", url, "review", "1", "verified", "--by", "ana"])
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "error: verify needs at least one supporting source; add one to claim 1 first"
    )


# --- #9 finding 11: an edit after confirmation needs a new second review ---------------


def _confirmed(session: Session) -> int:
    cid = first_claim(session)
    services.add_source(session=session, claim_id=cid, url=URL, stance="supports", actor="ana")
    services.review_claim(
        session=session, claim_id=cid, status="verified", actor="ana", expected_version=1
    )
    confirmed = services.confirm_verdict(
        session=session, claim_id=cid, actor="editor", expected_version=2
    )
    assert confirmed.confirmed_by == "editor" and not confirmed.pending_confirmation
    return cid


@pytest.mark.parametrize(
    "changes",
    [{"claim": "Trainium 3 has 144 GB of HBM3e (reworded)"}, {"quote_start": 0, "quote_end": 1}],
)
def test_editing_a_confirmed_claims_text_or_quote_makes_it_pending_again(
    seeded: Session, changes: dict[str, object]
) -> None:
    cid = _confirmed(seeded)
    current = queries.get_claim(session=seeded, claim_id=cid)
    if "quote_start" in changes:
        article = queries.get_article(session=seeded, slug=current.article)
        changes = {"quote": article.text[0:5], "quote_start": 0, "quote_end": 5}
    edited = services.update_claim(
        session=seeded,
        claim_id=cid,
        changes=ClaimUpdate(**changes),
        actor="eve",
        expected_version=current.version,
    )
    assert edited.pending_confirmation and edited.confirmed_by is None
    actions = [e.action for e in queries.claim_detail(session=seeded, claim_id=cid).events]
    assert actions[-1] == EventAction.confirmation_cleared


def test_editing_a_confirmed_claims_section_keeps_the_confirmation(seeded: Session) -> None:
    cid = _confirmed(seeded)
    current = queries.get_claim(session=seeded, claim_id=cid)
    edited = services.update_claim(
        session=seeded,
        claim_id=cid,
        changes=ClaimUpdate(section="Renamed section"),
        actor="eve",
        expected_version=current.version,
    )
    assert edited.confirmed_by == "editor"


def test_a_status_or_reason_change_of_a_confirmed_claim_needs_a_new_confirmation(
    seeded: Session,
) -> None:
    cid = _confirmed(seeded)
    services.add_source(
        session=seeded, claim_id=cid, url=URL + "/refute", stance="refutes", actor="ana"
    )
    flagged = services.review_claim(
        session=seeded,
        claim_id=cid,
        status="flagged",
        actor="eve",
        expected_version=None,
        reason="misleading",
        note="the baseline differs",
    )
    assert flagged.pending_confirmation
    confirmed = services.confirm_verdict(
        session=seeded, claim_id=cid, actor="editor", expected_version=None
    )
    reflagged = services.review_claim(
        session=seeded,
        claim_id=cid,
        status="flagged",
        actor="eve",
        expected_version=confirmed.version,
        reason="false",
        note="it is plainly false",
    )
    assert reflagged.pending_confirmation and reflagged.flag_reason == "false"
