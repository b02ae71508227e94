"""Use cases on one claim: create, review, assign, edit, confirm, promote, sources, notes.

Each public function here is the only way to make its change. It opens the
unit of work, checks the permission, applies every rule and records the
event; the private helpers below it are never called from outside the
service layer.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import (
    EditConflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    ValidationFailed,
)
from ..models import (
    Article,
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
from ..permissions import Action, authorize, get_user
from ..queries import check_claim_id, get_article, get_claim, last_change
from ..validation import clean_field, max_length, parse_enum, validate_url
from .uow import clean_actor, unit_of_work

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
VERDICTS = frozenset({ClaimStatus.verified, ClaimStatus.flagged})
# The stances a verdict needs among the claim's sources.
VERIFY_NEEDS = frozenset({Stance.supports})
FLAG_NEEDS = frozenset({Stance.refutes, Stance.context})
REASONS_NEEDING_SOURCE = frozenset({FlagReason.false, FlagReason.misleading})
# Edits that change what was judged: the verdict needs its second review again.
JUDGED_FIELDS = frozenset({"claim", "quote", "quote_start", "quote_end"})


# --- reading inside a use case -------------------------------------------------


def _load(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, check_claim_id(claim_id))
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
    session: Session, claim: Claim, expected_version: int | None, values: dict[str, Any]
) -> int:
    """Write ``values`` only if the claim is still at ``expected_version``.

    The version test is in the UPDATE's WHERE clause, so two writers racing
    from the same version cannot both succeed, on any backend. ``None`` means
    "the version read in this transaction" (a caller that did not look first).
    """
    claim_id = claim.id or 0
    expected = claim.version if expected_version is None else expected_version
    if claim.version != expected:
        raise _conflict(session, claim_id, expected)
    new_version = expected + 1
    result = session.execute(
        update(Claim)
        .where(col(Claim.id) == claim_id, col(Claim.version) == expected)
        .values(**values, version=new_version, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(session, claim_id, expected)
    session.expire(claim)
    return new_version


def stances(session: Session, claim_id: int) -> set[Stance]:
    """The stances among the claim's sources."""
    rows = session.exec(select(Source.stance).where(Source.claim_id == claim_id).distinct())
    return {Stance(s) for s in rows}


def lost_hint(claim_id: int | None) -> str:
    """How a lost claim is resolved, for the messages that refuse it."""
    return (
        f"move it to a sentence of the current text (tracker lost move {claim_id}) "
        f"or dismiss it (tracker lost dismiss {claim_id})"
    )


def check_quote_found(claim: Claim, doing: str) -> None:
    """Refuse ``doing`` (e.g. "confirming it") while the claim's quote is lost."""
    if claim.quote_lost_in is not None:
        raise RuleViolation(
            f"claim {claim.id}'s quote is not in revision {claim.quote_lost_in} of its "
            f"article; {lost_hint(claim.id)} before {doing}"
        )


def _state(session: Session, claim_id: int) -> ClaimPublic:
    return get_claim(session=session, claim_id=claim_id)  # as this change left it


# --- create ----------------------------------------------------------------------


def create_claim(
    *,
    session: Session,
    data: ClaimCreate,
    actor: str,
    origin: Origin = Origin.curated,
    reasons: list[str] | None = None,
    below_threshold: bool = False,
) -> ClaimPublic:
    """A new claim quoting its article exactly (``quote == text[start:end]``)."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.edit_claim)
        claim = _insert_claim(
            session,
            data,
            actor=actor,
            origin=origin,
            reasons=reasons,
            below_threshold=below_threshold,
        )
        state = _state(session, claim.id or 0)
    return state


class QuotedText(Protocol):
    """What the quote rules read of an article: its slug and text (not the ORM row)."""

    @property
    def slug(self) -> str: ...

    @property
    def text(self) -> str: ...


def check_quote(article: QuotedText, quote: str, start: int, end: int) -> None:
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


def locate_quote(article: QuotedText, quote: str) -> tuple[int, int]:
    """Offsets of the first occurrence of ``quote`` in the article, or an error."""
    start = article.text.find(quote)
    if start < 0:
        raise ValidationFailed(f"quote {quote[:60]!r} is not found in article {article.slug!r}")
    return start, start + len(quote)


DUPLICATE_SCORE = 90  # rapidfuzz token-set ratio at or above which a quote is a repeat
# a number with its unit or scale: "65%", "1.5 billion", "3x"; a sentence whose
# figures changed is a new claim however close the wording
_FIGURE = re.compile(
    r"\d+(?:[.,]\d+)*(?:\s?(?:%|per ?cent\b|x\b|thousand\b|million\b|billion\b|"
    r"trillion\b|bn\b|m\b|k\b))?",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=65_536)
def figures(text: str) -> Counter[str]:
    """The numbers in ``text`` with their units, normalised: "1,000 million" -> "1000million"."""
    return Counter(re.sub(r"\s|,", "", f).lower() for f in _FIGURE.findall(text))


def same_figures(a: str, b: str) -> bool:
    """No figure changed: one quote's figures are all in the other (it may leave some out)."""
    fa, fb = figures(a), figures(b)
    return fa <= fb or fb <= fa


def duplicate_of(
    quote: str, start: int, end: int, existing: Sequence[tuple[Any, str, int, int]]
) -> int | None:
    """The first existing claim ``(id, quote, start, end)`` this quote repeats, or None.

    A repeat overlaps an existing quote in the same article text, or reads the
    same (token-set ratio of :data:`DUPLICATE_SCORE` or more) with no figure
    changed ("65%" and "85%" are different claims). ``existing`` holds claims
    whose quote is in the current text. Pure; shared by the article import
    (candidates) and the CSV import (new rows).
    """
    index = duplicate_index(quote, start, end, existing)
    return None if index is None else int(existing[index][0])


def duplicate_index(
    quote: str, start: int, end: int, existing: Sequence[tuple[Any, str, int, int]]
) -> int | None:
    """:func:`duplicate_of`, answering the position in ``existing`` (whose ids may be pending)."""
    for index, (_id, _other, other_start, other_end) in enumerate(existing):
        if other_start < end and start < other_end:  # overlapping quote: same place
            return index
    # rapidfuzz scores every pair in C; only the close ones get the figure check
    close = process.extract(
        quote,
        [other for _id, other, _s, _e in existing],
        scorer=fuzz.token_set_ratio,
        score_cutoff=DUPLICATE_SCORE,
        limit=None,
    )
    for _text, _score, index in sorted(close, key=lambda hit: hit[2]):
        if same_figures(existing[index][1], quote):
            return int(index)
    return None


def new_claim_values(
    article: QuotedText,
    article_id: int,
    *,
    claim: str | None,
    quote: str,
    quote_start: int,
    quote_end: int,
    section: str | None,
    claim_type: str,
    origin: Origin,
    score: float | None = None,
    reasons: list[str] | None = None,
    below_threshold: bool = False,
    collection: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The checked column values of a new claim (version 1, unreviewed). Pure.

    The rules of :func:`create_claim`: limits declared on the model, the quote
    equals the article text at its offsets (a collection's claims quote
    nothing, 0:0), a known claim type, a score in 0..1. The one-claim path
    and the batch imports build every new claim with it.
    """
    text = clean_field(Claim, "claim", claim)
    limit = max_length(Claim, "quote")
    if len(quote) > limit:
        raise ValidationFailed(f"quote is {len(quote):,} characters long; the limit is {limit:,}")
    if collection:  # a collection has no text: its claims quote nothing
        if (quote, quote_start, quote_end) != ("", 0, 0):
            raise ValidationFailed(f"{article.slug!r} is a collection: its claims have no quote")
    else:
        check_quote(article, quote, quote_start, quote_end)
    kind = parse_enum(ClaimType, claim_type, "claim type")
    if score is not None and not 0 <= score <= 1:
        raise ValidationFailed(f"score {score} is outside 0..1")
    now = now or utcnow()
    return {
        "article_id": article_id,
        "claim": text or "",
        "quote": quote,
        "quote_start": quote_start,
        "quote_end": quote_end,
        "section": clean_field(Claim, "section", section, required=False),
        "claim_type": kind.value,
        "score": score,
        "origin": origin.value,
        "reasons": json.dumps(reasons, ensure_ascii=False) if reasons else None,
        "below_threshold": below_threshold,
        "status": ClaimStatus.unreviewed.value,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _insert_claim(
    session: Session,
    data: ClaimCreate,
    *,
    actor: str,
    origin: Origin,
    article: Article | None = None,
    reasons: list[str] | None = None,
    below_threshold: bool = False,
) -> Claim:
    """Create the row and its event; the caller has checked the permission."""
    article = article or get_article(session=session, slug=data.article)
    claim = Claim(
        **new_claim_values(
            article,
            article.id or 0,
            claim=data.claim,
            quote=data.quote,
            quote_start=data.quote_start,
            quote_end=data.quote_end,
            section=data.section,
            claim_type=data.claim_type,
            score=data.score,
            origin=origin,
            reasons=reasons,
            below_threshold=below_threshold,
        )
    )
    session.add(claim)
    session.flush()
    record_event(
        session,
        EventAction.created,
        actor=actor,
        claim_id=claim.id,
        new=claim.claim,
        version=claim.version,
    )
    return claim


# --- review ------------------------------------------------------------------------


def review_claim(
    *,
    session: Session,
    claim_id: int,
    status: str,
    actor: str,
    expected_version: int | None,
    reason: str | None = None,
    note: str | None = None,
) -> ClaimPublic:
    """Move a claim to ``status`` under the review rules.

    Rules (all here, for every path): reviewer role, and editor role to
    change a claim that has a verdict; allowed transitions; a flag needs a
    reason and a note (given now, or already in the thread since the last
    status change); other statuses carry no reason; ``verified`` needs a
    supporting source; flagged ``false``/``misleading`` needs a refuting or
    context source; every new status needs a new second review.
    """
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.review)
        claim = _load(session, claim_id)
        if claim.status in VERDICTS:
            authorize(session, actor, Action.reopen_verdict)
        old_status = ClaimStatus(claim.status)
        new_status, new_reason, note_text = check_review(
            claim_id,
            old_status,
            claim.flag_reason,
            status,
            reason,
            note,
            has_note=lambda: _has_note_since_last_review(session, claim),
        )
        if new_status in VERDICTS:
            check_quote_found(claim, f"giving it a verdict ({new_status.value})")
        _check_evidence(session, claim_id, new_status, new_reason)

        old_reason = claim.flag_reason
        version = _compare_and_set(
            session, claim, expected_version, review_values(actor, new_status, new_reason)
        )
        record_event(
            session,
            EventAction.review,
            actor=actor,
            claim_id=claim_id,
            field="status",
            old=old_status.value,
            new=new_status.value,
            detail=review_detail(old_reason, new_reason),
            version=version,
        )
        if note_text:
            _insert_note(session, claim_id, note_text, actor)
        state = _state(session, claim_id)
    return state


def check_review(
    claim_id: int | None,
    old_status: ClaimStatus,
    old_reason: str | None,
    status: str,
    reason: str | None,
    note: str | None,
    *,
    has_note: Callable[[], bool],
) -> tuple[ClaimStatus, FlagReason | None, str | None]:
    """The review rules but evidence: (new status, reason, note text), or an error. Pure.

    A flag needs a reason and a note (``note`` now, or ``has_note()``: one in
    the thread since the last status change); other statuses carry no reason;
    the transition must be allowed. Evidence is :func:`verdict_blocker`.
    """
    new_status = parse_enum(ClaimStatus, status, "status")
    reason_text = (reason or "").strip() or None
    new_reason = parse_enum(FlagReason, reason_text, "flag reason") if reason_text else None
    note_text = clean_field(Note, "body", note, label="note", required=False)
    name = f"claim {claim_id}" if claim_id is not None else "the claim"
    if new_status is ClaimStatus.flagged:
        if new_reason is None:
            allowed = ", ".join(r.value for r in FlagReason)
            raise RuleViolation(f"flagging needs a reason; allowed: {allowed}")
        if note_text is None and not has_note():
            raise RuleViolation(
                "flagging needs a note that says what is wrong; give one with the change "
                f"(--note) or add it to {name} first"
            )
    elif new_reason is not None:
        raise ValidationFailed(
            f"a flag reason is only for flagged claims, not {new_status.value!r}"
        )
    if new_status == old_status and not (
        new_status is ClaimStatus.flagged and new_reason != old_reason
    ):
        raise InvalidTransition(f"{name} is already {old_status.value}")
    if new_status not in TRANSITIONS[old_status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old_status]))
        raise InvalidTransition(
            f"{name} cannot go from {old_status.value} to {new_status.value}; "
            f"from {old_status.value} it can go to: {allowed}"
        )
    return new_status, new_reason, note_text


def review_values(
    actor: str, status: ClaimStatus, reason: FlagReason | None, now: datetime | None = None
) -> dict[str, Any]:
    """The columns a review sets (a new status clears the confirmation). Pure."""
    return {
        "status": status.value,
        "flag_reason": reason.value if reason else None,
        "last_reviewed_by": actor,
        "last_reviewed_at": now or utcnow(),
        "confirmed_by": None,  # a new verdict needs its own second review
        "confirmed_at": None,
    }


def review_detail(old_reason: str | None, new_reason: FlagReason | None) -> str | None:
    """The review event's detail: how the flag reason changed, if one is involved."""
    if new_reason or old_reason:
        return f"flag reason: {old_reason or '-'} -> {new_reason or '-'}"
    return None


def verdict_blocker(
    status: ClaimStatus, reason: FlagReason | None, present: set[Stance]
) -> str | None:
    """Why the sources present do not allow this verdict, or None. Pure, for the UI too."""
    if status is ClaimStatus.verified and not (present & VERIFY_NEEDS):
        return "verify needs at least one supporting source"
    if (
        status is ClaimStatus.flagged
        and reason in REASONS_NEEDING_SOURCE
        and not (present & FLAG_NEEDS)
    ):
        return f"flag as {reason} needs at least one refuting or context source"
    return None


def _check_evidence(
    session: Session, claim_id: int, status: ClaimStatus, reason: FlagReason | None
) -> None:
    blocker = verdict_blocker(status, reason, stances(session, claim_id))
    if blocker:
        raise RuleViolation(f"{blocker}; add one to claim {claim_id} first")


def _has_note_since_last_review(session: Session, claim: Claim) -> bool:
    stmt = select(Note.id).where(Note.claim_id == claim.id)
    if claim.last_reviewed_at is not None:
        stmt = stmt.where(col(Note.created_at) >= claim.last_reviewed_at)
    return session.exec(stmt.limit(1)).first() is not None


# --- assign --------------------------------------------------------------------------


def assign_claim(
    *,
    session: Session,
    claim_id: int,
    assignee: str | None,
    actor: str,
    expected_version: int | None,
) -> ClaimPublic:
    """Assign the claim to an account, or unassign it with ``assignee=None``.

    Rules: a reviewer may take an unassigned claim; assigning anyone else,
    or taking over, needs an editor; only existing, active accounts are assigned.
    """
    with unit_of_work(session):
        actor = clean_actor(actor)
        claim = _load(session, claim_id)
        who = clean_field(Claim, "assignee", assignee, required=False, multiline=False)
        taking = who is not None and who == actor and claim.assignee is None
        authorize(session, actor, Action.assign_self if taking else Action.assign_other)
        if who:
            check_assignee(session, who)
        if who == claim.assignee:
            raise InvalidTransition(
                f"claim {claim_id} is already assigned to {who}"
                if who
                else f"claim {claim_id} is not assigned to anyone"
            )
        old = claim.assignee
        version = _compare_and_set(session, claim, expected_version, {"assignee": who})
        record_event(
            session,
            EventAction.assign,
            actor=actor,
            claim_id=claim_id,
            field="assignee",
            old=old,
            new=who,
            version=version,
        )
        state = _state(session, claim_id)
    return state


def check_assignee(session: Session, who: str) -> None:
    """Only existing, active accounts are assigned (the rule of :func:`assign_claim`)."""
    account = get_user(session, who)
    if not account.active:
        raise ValidationFailed(f"account {who!r} is disabled; it cannot be assigned")


# --- bulk (#11) ---------------------------------------------------------------------------


class BulkAction(StrEnum):
    """What a bulk action does to every claim selected in the queue."""

    assign = "assign"
    unassign = "unassign"
    start_review = "start_review"
    dismiss = "dismiss"


class Refusal(StrEnum):
    """Why a claim of a bulk action was left unchanged."""

    conflict = "conflict"  # changed by someone else since the caller read it
    role = "role"  # the actor's role does not allow it for this claim
    rule = "rule"  # a review rule, a transition or a value says no
    missing = "missing"  # the claim does not exist


@dataclass(frozen=True)
class BulkOutcome:
    claim_id: int
    refused: Refusal | None  # None: changed
    message: str
    version: int | None  # the claim's version after the change, or None


def bulk_update(
    *,
    session: Session,
    versions: Mapping[int, int | None],
    action: str,
    actor: str,
    assignee: str | None = None,
    note: str | None = None,
) -> list[BulkOutcome]:
    """Apply one action to many claims, each at the version the caller saw.

    Each claim goes through the same use case as a single change
    (:func:`assign_claim` or :func:`review_claim`) in its own savepoint, so its
    rules, version check and event are exactly those of one change; a refused
    claim is reported and undone alone while the others are kept. ``assignee``
    is for ``assign``; ``note`` goes with ``dismiss`` (the reason).
    Returns one outcome per claim, in the order given.
    """
    kind = parse_enum(BulkAction, action, "bulk action")
    with unit_of_work(session):
        actor = clean_actor(actor)
        # the least permission any claim of the batch needs; each claim is checked again
        # by its own use case (a reviewer may take an unassigned claim, not another's)
        if kind is BulkAction.assign:
            authorize(session, actor, Action.assign_self)
        elif kind is BulkAction.unassign:
            authorize(session, actor, Action.assign_other)
        else:
            authorize(session, actor, Action.review)
        if kind is BulkAction.assign and not (assignee or "").strip():
            raise ValidationFailed("assigning needs the account to assign the claims to")
        outcomes = [
            _bulk_one(session, kind, claim_id, version, actor, assignee, note)
            for claim_id, version in versions.items()
        ]
    return outcomes


def _bulk_one(
    session: Session,
    kind: BulkAction,
    claim_id: int,
    version: int | None,
    actor: str,
    assignee: str | None,
    note: str | None,
) -> BulkOutcome:
    try:
        if kind in (BulkAction.assign, BulkAction.unassign):
            state = assign_claim(
                session=session,
                claim_id=claim_id,
                assignee=assignee if kind is BulkAction.assign else None,
                actor=actor,
                expected_version=version,
            )
        else:
            status = ClaimStatus.in_review if kind is BulkAction.start_review else None
            state = review_claim(
                session=session,
                claim_id=claim_id,
                status=(status or ClaimStatus.dismissed).value,
                actor=actor,
                expected_version=version,
                note=note if kind is BulkAction.dismiss else None,
            )
    except EditConflict as exc:
        return BulkOutcome(claim_id, Refusal.conflict, str(exc), None)
    except PermissionDenied as exc:
        return BulkOutcome(claim_id, Refusal.role, str(exc), None)
    except NotFound as exc:
        return BulkOutcome(claim_id, Refusal.missing, str(exc), None)
    except (InvalidTransition, RuleViolation, ValidationFailed) as exc:
        return BulkOutcome(claim_id, Refusal.rule, str(exc), None)
    return BulkOutcome(claim_id, None, "changed", state.version)


# --- edit ------------------------------------------------------------------------------


def update_claim(
    *,
    session: Session,
    claim_id: int,
    changes: ClaimUpdate,
    actor: str,
    expected_version: int | None,
) -> ClaimPublic:
    """An editor's partial update of text, quote, section or type.

    Rules: editor role; limits declared on the model; the quote must match
    the article at its offsets; an edit of the claim's text or quote clears
    a confirmation (the verdict needs its second review again). Changing
    nothing is not an error and writes nothing.
    """
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.edit_claim)
        claim = _load(session, claim_id)
        data = changes.model_dump(exclude_unset=True)
        if "claim" in data:
            data["claim"] = clean_field(Claim, "claim", data["claim"])
        if "section" in data:
            data["section"] = clean_field(Claim, "section", data["section"], required=False)
        if "claim_type" in data:
            data["claim_type"] = parse_enum(ClaimType, data["claim_type"], "claim type").value
        for key in ("quote", "quote_start", "quote_end"):
            if key in data and data[key] is None:
                del data[key]
        diff = {k: v for k, v in data.items() if getattr(claim, k) != v}
        if diff:
            if {"quote", "quote_start", "quote_end"} & diff.keys():
                check_quote_found(claim, "editing its quote (a move names the new sentence)")
                article = session.get(Article, claim.article_id)
                assert article is not None
                check_quote(
                    article,
                    diff.get("quote", claim.quote),
                    diff.get("quote_start", claim.quote_start),
                    diff.get("quote_end", claim.quote_end),
                )
            old = {k: getattr(claim, k) for k in diff}
            values = dict(diff)
            clears = bool(JUDGED_FIELDS & diff.keys()) and claim.confirmed_by is not None
            confirmed_by = claim.confirmed_by
            if clears:
                values |= {"confirmed_by": None, "confirmed_at": None}
            version = _compare_and_set(session, claim, expected_version, values)
            for key, value in diff.items():
                record_event(
                    session,
                    EventAction.edit,
                    actor=actor,
                    claim_id=claim_id,
                    field=key,
                    old=old[key],
                    new=value,
                    version=version,
                )
            if clears:
                record_event(
                    session,
                    EventAction.confirmation_cleared,
                    actor=actor,
                    claim_id=claim_id,
                    field="confirmed_by",
                    old=confirmed_by,
                    detail="the claim was edited after its verdict was confirmed",
                    version=version,
                )
        state = _state(session, claim_id)
    return state


# --- confirm and promote -------------------------------------------------------------------


def confirm_verdict(
    *, session: Session, claim_id: int, actor: str, expected_version: int | None
) -> ClaimPublic:
    """Second review: an editor other than the reviewer confirms a verdict."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.confirm)
        claim = _load(session, claim_id)
        if claim.status not in VERDICTS:
            raise InvalidTransition(
                f"claim {claim_id} is {claim.status}; only verified or flagged claims are confirmed"
            )
        if claim.confirmed_by:
            raise InvalidTransition(
                f"claim {claim_id} was already confirmed by {claim.confirmed_by}"
            )
        check_quote_found(claim, "confirming its verdict")
        if claim.last_reviewed_by == actor:
            raise PermissionDenied(
                f"{actor} gave this verdict; another editor must confirm it (second review)"
            )
        if _edited_since_verdict(session, claim, actor):
            raise PermissionDenied(
                f"{actor} edited this claim after its verdict; another editor must confirm "
                "it (second review)"
            )
        _check_evidence(
            session,
            claim_id,
            ClaimStatus(claim.status),
            FlagReason(claim.flag_reason) if claim.flag_reason else None,
        )
        status = claim.status
        version = _compare_and_set(
            session, claim, expected_version, {"confirmed_by": actor, "confirmed_at": utcnow()}
        )
        record_event(
            session,
            EventAction.confirm,
            actor=actor,
            claim_id=claim_id,
            field="confirmed_by",
            new=actor,
            detail=f"confirmed {status}",
            version=version,
        )
        state = _state(session, claim_id)
    return state


def _edited_since_verdict(session: Session, claim: Claim, actor: str) -> bool:
    """Whether ``actor`` changed what was judged (text or quote) since the verdict."""
    stmt = select(Event.id).where(
        Event.claim_id == claim.id,
        Event.action == EventAction.edit.value,
        col(Event.field).in_(sorted(JUDGED_FIELDS)),
        Event.actor == actor,
    )
    if claim.last_reviewed_at is not None:
        stmt = stmt.where(col(Event.at) >= claim.last_reviewed_at)
    return session.exec(stmt.limit(1)).first() is not None


def promote_candidate(*, session: Session, claim_id: int, actor: str) -> ClaimPublic:
    """Make a below-threshold extracted candidate a claim in the review queue."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.promote)
        claim = _load(session, claim_id)
        if not claim.below_threshold:
            raise InvalidTransition(f"claim {claim_id} is already in the review queue")
        version = _compare_and_set(session, claim, None, {"below_threshold": False})
        record_event(
            session,
            EventAction.promoted,
            actor=actor,
            claim_id=claim_id,
            field="below_threshold",
            old="true",
            new="false",
            version=version,
        )
        state = _state(session, claim_id)
    return state


# --- sources and notes ---------------------------------------------------------------------


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
        authorize(session, actor, Action.add_source)
        _load(session, claim_id)
        clean_url, stance_value, title, publisher = check_source(url, stance, title, publisher)
        duplicate = session.exec(
            select(Source.id).where(Source.claim_id == claim_id, Source.url == clean_url)
        ).first()
        if duplicate is not None:
            raise ValidationFailed(f"claim {claim_id} already has source {clean_url}")
        source = Source(
            claim_id=claim_id,
            url=clean_url,
            stance=stance_value.value,
            title=title,
            publisher=publisher,
            added_by=actor,
        )
        session.add(source)
        session.flush()
        _forget_source_count(session, claim_id)
        record_event(
            session,
            EventAction.source_added,
            actor=actor,
            claim_id=claim_id,
            field="source",
            new=clean_url,
            detail=f"stance: {stance_value.value}",
        )
    return source


def check_source(
    url: str, stance: str, title: str | None = None, publisher: str | None = None
) -> tuple[str, Stance, str | None, str | None]:
    """A source's URL (http(s), no credentials), stance, title and publisher, checked. Pure.

    The duplicate-URL rule needs the claim's sources: :func:`add_source` asks
    the database, a batch import knows its new claims have none yet.
    """
    return (
        validate_url(url),
        parse_enum(Stance, stance, "stance"),
        clean_field(Source, "title", title, required=False, multiline=False),
        clean_field(Source, "publisher", publisher, required=False, multiline=False),
    )


def add_note(*, session: Session, claim_id: int, body: str, actor: str) -> Note:
    """Add a note to the thread. Never conflicts with a status change."""
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.add_note)
        _load(session, claim_id)
        text = clean_field(Note, "body", body, label="note")
        note = _insert_note(session, claim_id, text or "", actor)
    return note


def _insert_note(session: Session, claim_id: int, body: str, actor: str) -> Note:
    note = Note(claim_id=claim_id, author=actor, body=body)
    session.add(note)
    session.flush()
    record_event(
        session, EventAction.note_added, actor=actor, claim_id=claim_id, field="note", new=body
    )
    return note


def _forget_source_count(session: Session, claim_id: int) -> None:
    """The triggers changed ``claim.source_count`` (tracker.counters): read it afresh."""
    claim = session.get(Claim, claim_id)
    if claim is not None:
        session.expire(claim, ["source_count"])


def source_count(session: Session, claim_id: int) -> int:
    return int(
        session.exec(select(func.count(col(Source.id))).where(Source.claim_id == claim_id)).one()
    )
