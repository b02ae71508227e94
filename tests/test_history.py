"""Found by the review of #9: articles have a history, and every change to a claim
is a versioned, audited change whoever makes it (a person or a revision)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tracker import queries, services
from tracker.audit import EventAction
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import ArticleRevision, ClaimUpdate, Event

TEXT = (
    "# Tool report\n\n## Results\n\nTool sales rose 12% in 2024, the company said.\n\n"
    "Shipments of hammers doubled to 4 million units last year.\n"
)
URL = "https://www.example.org/report"


def _import(session: Session, tmp_path: Path, text: str) -> services.ArticleImportReport:
    path = tmp_path / "report.md"
    path.write_text(text)
    return services.import_article(
        session=session, source=str(path), actor="editor", slug="tool-report", threshold=0.0
    )


def _claim_with_quote(session: Session, words: str) -> int:
    article = queries.get_article(session=session, slug="tool-report")
    claims = queries.claims_in_article(session=session, article_id=article.id or 0)
    return next(c.id for c in claims if words in c.quote)


def test_importing_and_revising_an_article_keeps_every_text_and_records_who(
    session: Session, tmp_path: Path
) -> None:
    _import(session, tmp_path, TEXT)
    _import(session, tmp_path, TEXT.replace("## Results", "## Verified results"))
    article = queries.get_article(session=session, slug="tool-report")
    revisions = session.exec(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(col(ArticleRevision.revision))
    ).all()
    assert [(r.revision, r.created_by) for r in revisions] == [(1, "editor"), (2, "editor")]
    assert revisions[0].text == TEXT and revisions[1].text == article.text
    events = session.exec(
        select(Event).where(Event.article_id == article.id).order_by(col(Event.id))
    ).all()
    assert [(e.action, e.actor, e.new_value) for e in events] == [
        (EventAction.article_created, "editor", revisions[0].sha256),
        (EventAction.article_revised, "editor", revisions[1].sha256),
    ]
    assert events[1].old_value == revisions[0].sha256


def test_a_revision_that_moves_a_quote_bumps_the_claims_version(
    session: Session, tmp_path: Path
) -> None:
    _import(session, tmp_path, TEXT)
    cid = _claim_with_quote(session, "hammers")
    before = queries.get_claim(session=session, claim_id=cid)
    _import(session, tmp_path, TEXT.replace("## Results\n", "## Results\n\nA new line.\n"))
    after = queries.get_claim(session=session, claim_id=cid)
    assert after.quote_start > before.quote_start and after.version == before.version + 1
    moved = [e for e in queries.claim_detail(session=session, claim_id=cid).events]
    assert (moved[-1].action, moved[-1].claim_version) == (EventAction.relocated, after.version)


def test_a_lost_quote_clears_the_confirmation_once(session: Session, tmp_path: Path) -> None:
    _import(session, tmp_path, TEXT)
    cid = _claim_with_quote(session, "12%")
    services.add_source(session=session, claim_id=cid, url=URL, stance="supports", actor="ana")
    services.review_claim(
        session=session, claim_id=cid, status="verified", actor="ana", expected_version=None
    )
    services.confirm_verdict(session=session, claim_id=cid, actor="eve", expected_version=None)
    edited = TEXT.replace("rose 12%", "rose 15%")
    _import(session, tmp_path, edited)
    claim = queries.get_claim(session=session, claim_id=cid)
    assert claim.status == "verified" and claim.pending_confirmation
    _import(session, tmp_path, edited + "\nA closing line.\n")  # a later revision
    actions = [e.action for e in queries.claim_detail(session=session, claim_id=cid).events]
    assert actions.count(EventAction.quote_lost) == 1  # said once, not at every revision
    assert actions.count(EventAction.confirmation_cleared) == 1


def test_promoting_a_candidate_is_a_versioned_change(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "low.md"
    path.write_text(TEXT)
    services.import_article(
        session=session, source=str(path), actor="editor", slug="tool-report", threshold=1.0
    )
    cid = _claim_with_quote(session, "hammers")
    before = queries.get_claim(session=session, claim_id=cid)
    assert before.below_threshold
    after = services.promote_candidate(session=session, claim_id=cid, actor="ana")
    assert after.version == before.version + 1 and not after.below_threshold


def test_an_editor_who_edited_a_verdicts_claim_cannot_confirm_it(seeded: Session) -> None:
    services.add_source(session=seeded, claim_id=1, url=URL, stance="supports", actor="ana")
    verdict = services.review_claim(
        session=seeded, claim_id=1, status="verified", actor="ana", expected_version=None
    )
    services.update_claim(
        session=seeded,
        claim_id=1,
        changes=ClaimUpdate(claim="Reworded by the editor who will not confirm it."),
        actor="eve",
        expected_version=verdict.version,
    )
    with pytest.raises(PermissionDenied, match="eve edited this claim after its verdict"):
        services.confirm_verdict(session=seeded, claim_id=1, actor="eve", expected_version=None)
    confirmed = services.confirm_verdict(
        session=seeded, claim_id=1, actor="editor", expected_version=None
    )
    assert confirmed.confirmed_by == "editor"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Ana", "account 'Ana' already exists (as 'ana')"),
        ("ＡＮＡ", "is not allowed"),  # full-width letters
        ("Seed", "is not allowed"),  # a system name in other case
        ("a b", "is not allowed"),
    ],
)
def test_look_alike_account_names_are_refused(session: Session, name: str, says: str) -> None:
    with pytest.raises(ValidationFailed, match=says.replace("(", r"\(").replace(")", r"\)")):
        services.create_user(session=session, name=name, role="reviewer", actor="admin")


def test_an_email_must_look_like_one(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="is not an address"):
        services.create_user(
            session=session, name="zoe", role="reviewer", actor="admin", email="not an email"
        )
    made = services.create_user(
        session=session, name="zoe", role="reviewer", actor="admin", email="Zoe@Example.org"
    )
    assert made.email == "zoe@example.org"
