"""Bulk actions (#11): many claims, one service call each, per-claim outcomes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tracker import queries, services
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import Event
from tracker.services import Refusal


def versions(session: Session, *ids: int) -> dict[int, int | None]:
    return {i: queries.get_claim(session=session, claim_id=i).version for i in ids}


def test_bulk_assign_keeps_the_others_when_one_claim_changed_meanwhile(seeded: Session) -> None:
    seen = versions(seeded, 1, 2, 3, 4)
    services.review_claim(  # bob changes claim 3 after the editor read it
        session=seeded, claim_id=3, status="in_review", actor="bob", expected_version=seen[3]
    )
    outcomes = services.bulk_update(
        session=seeded, versions=seen, action="assign", assignee="ana", actor="editor"
    )
    assert [(o.claim_id, o.refused) for o in outcomes] == [
        (1, None),
        (2, None),
        (3, Refusal.conflict),
        (4, None),
    ]
    assert "changed by bob" in outcomes[2].message
    got = {i: queries.get_claim(session=seeded, claim_id=i) for i in (1, 2, 3, 4)}
    assert [got[i].assignee for i in (1, 2, 3, 4)] == ["ana", "ana", None, "ana"]
    assert outcomes[0].version == got[1].version == 2
    events = seeded.exec(select(Event).where(Event.action == "assign")).all()
    assert sorted(e.claim_id for e in events) == [1, 2, 4]  # one event per changed claim


def test_bulk_reports_role_and_rule_refusals_per_claim(seeded: Session) -> None:
    services.assign_claim(
        session=seeded, claim_id=2, assignee="bob", actor="editor", expected_version=1
    )
    services.review_claim(
        session=seeded, claim_id=5, status="dismissed", actor="bob", expected_version=1
    )
    seen = versions(seeded, 1, 2, 5) | {999_999: 1}
    # ana (reviewer) may take claim 1, not bob's claim 2; 999999 does not exist
    took = services.bulk_update(
        session=seeded, versions=seen, action="assign", assignee="ana", actor="ana"
    )
    assert [o.refused for o in took] == [None, Refusal.role, None, Refusal.missing]
    assert "needs the editor role" in took[1].message
    seen = versions(seeded, 1, 5)
    started = services.bulk_update(
        session=seeded, versions=seen, action="start_review", actor="ana"
    )
    assert [o.refused for o in started] == [None, None]  # dismissed -> in_review is allowed
    again = services.bulk_update(
        session=seeded, versions=versions(seeded, 1), action="start_review", actor="ana"
    )
    assert again[0].refused is Refusal.rule and "already in_review" in again[0].message


def test_bulk_dismiss_writes_the_reason_as_a_note(seeded: Session) -> None:
    outcomes = services.bulk_update(
        session=seeded,
        versions=versions(seeded, 7, 8),
        action="dismiss",
        note="Dismissed: opinion",
        actor="carol",
    )
    assert all(o.refused is None for o in outcomes)
    for cid in (7, 8):
        d = queries.claim_detail(session=seeded, claim_id=cid)
        assert d.claim.status == "dismissed" and d.notes[-1].body == "Dismissed: opinion"


def test_bulk_is_refused_whole_for_a_viewer_and_checks_its_input(seeded: Session) -> None:
    with pytest.raises(PermissionDenied, match="victor \\(viewer\\) may not"):
        services.bulk_update(
            session=seeded,
            versions=versions(seeded, 1),
            action="assign",
            assignee="victor",
            actor="victor",
        )
    with pytest.raises(ValidationFailed, match="bulk action"):
        services.bulk_update(session=seeded, versions={1: 1}, action="verify", actor="ana")
    with pytest.raises(ValidationFailed, match="assigning needs"):
        services.bulk_update(session=seeded, versions={1: 1}, action="assign", actor="editor")
    assert queries.get_claim(session=seeded, claim_id=1).version == 1


def test_pending_confirmations_are_listed_oldest_verdict_first(seeded: Session) -> None:
    for cid, who in ((9, "bob"), (4, "ana"), (6, "carol")):
        services.add_source(
            session=seeded,
            claim_id=cid,
            url=f"https://e.example/{cid}",
            stance="supports",
            actor=who,
        )
        services.review_claim(
            session=seeded, claim_id=cid, status="verified", actor=who, expected_version=1
        )
    services.confirm_verdict(session=seeded, claim_id=4, actor="editor", expected_version=2)
    pending = queries.pending_confirmations(session=seeded)
    assert [d.claim.id for d in pending] == [9, 6]  # in the order the verdicts were given
    assert pending[0].sources[0].url == "https://e.example/9"
    f = queries.ClaimFilter(pending_confirmation=True)
    assert queries.count_claims(session=seeded, filters=f) == 2
    assert queries.next_claim_id(session=seeded, after_id=9, filters=f, backwards=True) == 6
