"""Use cases that change data. Each one is a unit of work: it validates, applies
the review rules, writes the audit trail and commits, or changes nothing.

Entry points (CLI, dashboard, importers) call these and only translate errors.
The ``_apply_*`` helpers do the work inside a caller's transaction so that an
import can apply many rows atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from .accounts import authorize, get_user
from .config import get_settings
from .db import begin_write
from .errors import (
    EditConflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ValidationFailed,
)
from .models import (
    Article,
    ArticleCreate,
    Claim,
    ClaimCreate,
    ClaimPublic,
    ClaimStatus,
    ClaimType,
    ClaimUpdate,
    Event,
    FlagReason,
    Note,
    Origin,
    Source,
    Stance,
    utcnow,
)
from .queries import get_article, get_claim, last_change
from .validation import clean_text, parse_enum, validate_url

# Which status may follow which. Flagged -> flagged changes the reason.
TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.unreviewed: frozenset(
        {ClaimStatus.in_review, ClaimStatus.verified, ClaimStatus.flagged, ClaimStatus.dismissed}
    ),
    ClaimStatus.in_review: frozenset(
        {ClaimStatus.unreviewed, ClaimStatus.verified, ClaimStatus.flagged, ClaimStatus.dismissed}
    ),
    ClaimStatus.verified: frozenset(
        {ClaimStatus.unreviewed, ClaimStatus.in_review, ClaimStatus.flagged}
    ),
    ClaimStatus.flagged: frozenset(
        {ClaimStatus.unreviewed, ClaimStatus.in_review, ClaimStatus.verified, ClaimStatus.flagged}
    ),
    ClaimStatus.dismissed: frozenset({ClaimStatus.unreviewed, ClaimStatus.in_review}),
}
REASONS_NEEDING_SOURCE = frozenset({FlagReason.false, FlagReason.misleading})


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on any error."""
    begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def clean_actor(actor: str | None) -> str:
    text = clean_text(actor, "actor (--by)", max_chars=100, multiline=False)
    assert text is not None
    return text


# --- articles ----------------------------------------------------------------


def create_article(*, session: Session, data: ArticleCreate) -> Article:
    with unit_of_work(session):
        article = apply_create_article(session, data)
    return article


def apply_create_article(session: Session, data: ArticleCreate) -> Article:
    settings = get_settings()
    slug = clean_text(data.slug, "slug", max_chars=120, multiline=False)
    if session.exec(select(Article.id).where(Article.slug == slug)).first() is not None:
        raise ValidationFailed(f"article {slug!r} already exists")
    if data.url:
        validate_url(data.url, "article url")
    if not data.text or not data.text.strip():
        raise ValidationFailed("article text is empty")
    article = Article(
        slug=slug or "",
        title=clean_text(data.title, "title", max_chars=settings.max_text_field_chars) or "",
        publisher=clean_text(
            data.publisher, "publisher", max_chars=200, required=False, multiline=False
        ),
        url=data.url,
        published=data.published,
        text=data.text,
        sha256=sha256_text(data.text),
    )
    session.add(article)
    session.flush()
    return article


# --- claims ------------------------------------------------------------------


def _event(
    session: Session,
    claim_id: int,
    actor: str,
    action: str,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    detail: str | None = None,
    version: int | None = None,
) -> None:
    session.add(
        Event(
            claim_id=claim_id,
            actor=actor,
            action=action,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            detail=detail,
            claim_version=version,
        )
    )


def check_quote(article: Article, quote: str, start: int, end: int) -> None:
    if not (0 <= start < end <= len(article.text)):
        raise ValidationFailed(
            f"quote offsets {start}:{end} fall outside article {article.slug!r} "
            f"(text length {len(article.text)})"
        )
    found = article.text[start:end]
    if found != quote:
        raise ValidationFailed(
            f"quote does not match article {article.slug!r} at {start}:{end}: "
            f"the text there is {found[:60]!r}"
        )


def locate_quote(article: Article, quote: str) -> tuple[int, int]:
    """Offsets of the first occurrence of ``quote`` in the article, or an error."""
    start = article.text.find(quote)
    if start < 0:
        raise ValidationFailed(f"quote {quote[:60]!r} is not found in article {article.slug!r}")
    return start, start + len(quote)


def create_claim(
    *, session: Session, data: ClaimCreate, actor: str, origin: Origin = Origin.curated
) -> ClaimPublic:
    with unit_of_work(session):
        authorize(session, actor, "edit_claim")
        claim = apply_create_claim(session, data, actor=actor, origin=origin)
        state = get_claim(session=session, claim_id=claim.id or 0)  # as this change left it
    return state


def apply_create_claim(
    session: Session,
    data: ClaimCreate,
    *,
    actor: str,
    origin: Origin = Origin.curated,
    article: Article | None = None,
) -> Claim:
    settings = get_settings()
    actor = clean_actor(actor)
    article = article or get_article(session=session, slug=data.article)
    text = clean_text(data.claim, "claim", max_chars=settings.max_claim_chars)
    check_quote(article, data.quote, data.quote_start, data.quote_end)
    claim_type = parse_enum(ClaimType, data.claim_type, "claim type")
    if data.score is not None and not 0 <= data.score <= 1:
        raise ValidationFailed(f"score {data.score} is outside 0..1")
    claim = Claim(
        article_id=article.id or 0,
        claim=text or "",
        quote=data.quote,
        quote_start=data.quote_start,
        quote_end=data.quote_end,
        section=clean_text(data.section, "section", max_chars=300, required=False),
        claim_type=claim_type.value,
        score=data.score,
        origin=origin.value,
    )
    session.add(claim)
    session.flush()
    _event(session, claim.id or 0, actor, "created", new=claim.claim, version=claim.version)
    return claim


def load_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} does not exist")
    return claim


def _conflict(session: Session, claim_id: int, expected: int) -> EditConflict:
    current = session.exec(select(Claim.version).where(Claim.id == claim_id)).one()
    who = last_change(session=session, claim_id=claim_id)
    return EditConflict(
        claim_id, expected, current, who[0] if who else None, who[1] if who else None
    )


def _compare_and_set(
    session: Session, claim: Claim, expected_version: int, values: dict[str, Any]
) -> int:
    """Write ``values`` only if the claim is still at ``expected_version``.

    The version test is in the UPDATE's WHERE clause, so two writers racing
    from the same version cannot both succeed, on any backend.
    """
    claim_id = claim.id or 0
    if claim.version != expected_version:
        raise _conflict(session, claim_id, expected_version)
    new_version = expected_version + 1
    result = session.execute(
        update(Claim)
        .where(col(Claim.id) == claim_id, col(Claim.version) == expected_version)
        .values(**values, version=new_version, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(session, claim_id, expected_version)
    session.expire(claim)
    return new_version


def source_count(session: Session, claim_id: int) -> int:
    return int(
        session.exec(select(func.count(col(Source.id))).where(Source.claim_id == claim_id)).one()
    )


def review_claim(
    *,
    session: Session,
    claim_id: int,
    status: str,
    actor: str,
    expected_version: int,
    reason: str | None = None,
    note: str | None = None,
) -> ClaimPublic:
    """Move a claim to ``status``; verdicts follow the review rules."""
    with unit_of_work(session):
        authorize(session, actor, "review")
        claim = load_claim(session, claim_id)
        if claim.status in (ClaimStatus.verified, ClaimStatus.flagged):
            authorize(session, actor, "reopen_verdict")
        apply_review(
            session,
            claim,
            status=status,
            actor=actor,
            expected_version=expected_version,
            reason=reason,
            note=note,
        )
        state = get_claim(session=session, claim_id=claim_id)  # as this change left it
    return state


def apply_review(
    session: Session,
    claim: Claim,
    *,
    status: str,
    actor: str,
    expected_version: int,
    reason: str | None = None,
    note: str | None = None,
    require_note: bool = True,
) -> None:
    actor = clean_actor(actor)
    claim_id = claim.id or 0
    new_status = parse_enum(ClaimStatus, status, "status")
    old_status = ClaimStatus(claim.status)
    reason_text = (reason or "").strip() or None
    new_reason = parse_enum(FlagReason, reason_text, "flag reason") if reason_text else None
    note_text = clean_text(note, "note", max_chars=get_settings().max_note_chars, required=False)

    if new_status is ClaimStatus.flagged:
        if new_reason is None:
            allowed = ", ".join(r.value for r in FlagReason)
            raise RuleViolation(f"flagging needs a reason; allowed: {allowed}")
        if note_text is None and require_note:
            raise RuleViolation("flagging needs a note that says what is wrong")
    elif new_reason is not None:
        raise ValidationFailed(
            f"a flag reason is only for flagged claims, not {new_status.value!r}"
        )

    if new_status == old_status and not (
        new_status is ClaimStatus.flagged and new_reason != claim.flag_reason
    ):
        raise InvalidTransition(f"claim {claim_id} is already {old_status.value}")
    if new_status not in TRANSITIONS[old_status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old_status]))
        raise InvalidTransition(
            f"claim {claim_id} cannot go from {old_status.value} to {new_status.value}; "
            f"from {old_status.value} it can go to: {allowed}"
        )
    needs_source = new_status is ClaimStatus.verified or (
        new_status is ClaimStatus.flagged and new_reason in REASONS_NEEDING_SOURCE
    )
    if needs_source and source_count(session, claim_id) == 0:
        what = "verify" if new_status is ClaimStatus.verified else f"flag as {new_reason}"
        raise RuleViolation(
            f"{what} needs at least one source; add a source to claim {claim_id} first"
        )

    old_reason = claim.flag_reason
    version = _compare_and_set(
        session,
        claim,
        expected_version,
        {
            "status": new_status.value,
            "flag_reason": new_reason.value if new_reason else None,
            "last_reviewed_by": actor,
            "last_reviewed_at": utcnow(),
            "confirmed_by": None,  # a new verdict needs its own second review
            "confirmed_at": None,
        },
    )
    detail = None
    if new_reason or old_reason:
        detail = f"flag reason: {old_reason or '-'} -> {new_reason or '-'}"
    _event(
        session,
        claim_id,
        actor,
        "review",
        field="status",
        old=old_status.value,
        new=new_status.value,
        detail=detail,
        version=version,
    )
    if note_text:
        apply_add_note(session, claim_id, note_text, actor)


def assign_claim(
    *,
    session: Session,
    claim_id: int,
    assignee: str | None,
    actor: str,
    expected_version: int,
) -> ClaimPublic:
    """Assign the claim to someone, or unassign it with ``assignee=None``."""
    with unit_of_work(session):
        claim = load_claim(session, claim_id)
        taking = assignee is not None and assignee == actor and claim.assignee is None
        authorize(session, actor, "assign_self" if taking else "assign_other")
        if assignee:
            get_user(session, assignee)  # only real accounts can be assigned
        apply_assign(session, claim, assignee, actor, expected_version)
        state = get_claim(session=session, claim_id=claim_id)  # as this change left it
    return state


def apply_assign(
    session: Session, claim: Claim, assignee: str | None, actor: str, expected_version: int
) -> None:
    actor = clean_actor(actor)
    who = clean_text(assignee, "assignee", max_chars=100, required=False, multiline=False)
    if who == claim.assignee:
        raise InvalidTransition(
            f"claim {claim.id} is already assigned to {who}"
            if who
            else f"claim {claim.id} is not assigned to anyone"
        )
    old = claim.assignee
    version = _compare_and_set(session, claim, expected_version, {"assignee": who})
    _event(
        session, claim.id or 0, actor, "assign", field="assignee", old=old, new=who, version=version
    )


def update_claim(
    *,
    session: Session,
    claim_id: int,
    changes: ClaimUpdate,
    actor: str,
    expected_version: int,
) -> ClaimPublic:
    with unit_of_work(session):
        authorize(session, actor, "edit_claim")
        apply_update(session, load_claim(session, claim_id), changes, actor, expected_version)
        state = get_claim(session=session, claim_id=claim_id)  # as this change left it
    return state


def apply_update(
    session: Session, claim: Claim, changes: ClaimUpdate, actor: str, expected_version: int
) -> bool:
    """Apply an editor's partial update; returns False when nothing differs."""
    actor = clean_actor(actor)
    data = changes.model_dump(exclude_unset=True)
    if "claim" in data:
        data["claim"] = clean_text(data["claim"], "claim", max_chars=get_settings().max_claim_chars)
    if "section" in data:
        data["section"] = clean_text(data["section"], "section", max_chars=300, required=False)
    if "claim_type" in data:
        data["claim_type"] = parse_enum(ClaimType, data["claim_type"], "claim type").value
    diff = {k: v for k, v in data.items() if getattr(claim, k) != v}
    if not diff:
        return False
    if {"quote", "quote_start", "quote_end"} & diff.keys():
        article = session.get(Article, claim.article_id)
        assert article is not None
        check_quote(
            article,
            diff.get("quote", claim.quote),
            diff.get("quote_start", claim.quote_start),
            diff.get("quote_end", claim.quote_end),
        )
    old = {k: getattr(claim, k) for k in diff}
    version = _compare_and_set(session, claim, expected_version, diff)
    for key, value in diff.items():
        _event(
            session,
            claim.id or 0,
            actor,
            "edit",
            field=key,
            old=old[key],
            new=value,
            version=version,
        )
    return True


# --- sources and notes ---------------------------------------------------------


def add_source(
    *,
    session: Session,
    claim_id: int,
    url: str,
    stance: str,
    actor: str,
    title: str | None = None,
    publisher: str | None = None,
) -> Source:
    """Attach a source. Never conflicts with a status change: no version bump."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, "add_source")
        load_claim(session, claim_id)
        clean_url = validate_url(url)
        stance_value = parse_enum(Stance, stance, "stance")
        duplicate = session.exec(
            select(Source.id).where(Source.claim_id == claim_id, Source.url == clean_url)
        ).first()
        if duplicate is not None:
            raise ValidationFailed(f"claim {claim_id} already has source {clean_url}")
        source = Source(
            claim_id=claim_id,
            url=clean_url,
            stance=stance_value.value,
            title=clean_text(title, "title", max_chars=500, required=False, multiline=False),
            publisher=clean_text(
                publisher, "publisher", max_chars=200, required=False, multiline=False
            ),
            added_by=actor,
        )
        session.add(source)
        session.flush()
        _event(
            session,
            claim_id,
            actor,
            "source_added",
            field="source",
            new=clean_url,
            detail=f"stance: {stance_value.value}",
        )
    return source


def add_note(*, session: Session, claim_id: int, body: str, actor: str) -> Note:
    """Add a note to the thread. Never conflicts with a status change."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, "add_note")
        load_claim(session, claim_id)
        text = clean_text(body, "note", max_chars=get_settings().max_note_chars)
        note = apply_add_note(session, claim_id, text or "", actor)
    return note


def apply_add_note(session: Session, claim_id: int, body: str, actor: str) -> Note:
    note = Note(claim_id=claim_id, author=actor, body=body)
    session.add(note)
    session.flush()
    _event(session, claim_id, actor, "note_added", field="note", new=body)
    return note


def promote_candidate(*, session: Session, claim_id: int, actor: str) -> ClaimPublic:
    """Make a below-threshold extracted candidate a claim in the review queue."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, "promote")
        claim = load_claim(session, claim_id)
        if not claim.below_threshold:
            raise InvalidTransition(f"claim {claim_id} is already in the review queue")
        claim.below_threshold = False
        session.add(claim)
        _event(
            session, claim_id, actor, "promoted", field="below_threshold", old="true", new="false"
        )
        state = get_claim(session=session, claim_id=claim_id)  # as this change left it
    return state


def confirm_verdict(
    *, session: Session, claim_id: int, actor: str, expected_version: int
) -> ClaimPublic:
    """Second review: an editor other than the reviewer confirms a verdict."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, "confirm")
        claim = load_claim(session, claim_id)
        if claim.status not in (ClaimStatus.verified, ClaimStatus.flagged):
            raise InvalidTransition(
                f"claim {claim_id} is {claim.status}; only verified or flagged claims are confirmed"
            )
        if claim.confirmed_by:
            raise InvalidTransition(
                f"claim {claim_id} was already confirmed by {claim.confirmed_by}"
            )
        if claim.last_reviewed_by == actor:
            raise PermissionDenied(
                f"{actor} gave this verdict; another editor must confirm it (second review)"
            )
        version = _compare_and_set(
            session, claim, expected_version, {"confirmed_by": actor, "confirmed_at": utcnow()}
        )
        _event(
            session,
            claim_id,
            actor,
            "confirm",
            field="confirmed_by",
            new=actor,
            detail=f"confirmed {claim.status}",
            version=version,
        )
        state = get_claim(session=session, claim_id=claim_id)  # as this change left it
    return state
