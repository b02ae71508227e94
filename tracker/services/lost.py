"""Use cases on a claim whose quote a new revision of its article no longer has.

An article import marks such a claim lost (``Claim.quote_lost_in``, see
:func:`tracker.services.articles.import_article`); until a reviewer resolves
it, it is not confirmed, rated or published (:func:`tracker.services.claims.check_quote_found`,
called by those use cases). It is resolved one of two ways:

* :func:`move_lost_claim` gives it a quote in the current text (by default the
  sentence the import proposed in its place). What was judged changed, so a
  verdict goes back to ``in_review``: the old verdict's rating and summary stay
  as a draft, and the claim needs a verdict and its second review again.
* :func:`dismiss_lost_claim` dismisses it: it leaves the article's published
  record, its status, history and lost quote are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ..audit import EventAction, record_event
from ..errors import InvalidTransition, NotFound, ValidationFailed
from ..models import Article, Claim, ClaimPublic, ClaimStatus, Note, utcnow
from ..permissions import Action, authorize
from ..validation import clean_field
from .claims import (
    VERDICTS,
    _compare_and_set,
    _insert_note,
    _load,
    _state,
    check_quote,
    locate_quote,
)
from .uow import clean_actor, unit_of_work


def _load_lost(session: Session, claim_id: int) -> Claim:
    claim = _load(session, claim_id)
    if claim.quote_lost_in is None:
        raise InvalidTransition(
            f"claim {claim_id}'s quote is in the current text of its article; nothing to resolve"
        )
    if claim.status == ClaimStatus.dismissed:
        raise InvalidTransition(
            f"claim {claim_id} is dismissed; reopen it (tracker review {claim_id} unreviewed) "
            "to move it"
        )
    return claim


@dataclass(frozen=True)
class _Target:
    quote: str
    start: int
    end: int
    candidate: int | None  # the claim whose sentence it is, if one was named


def _target(
    session: Session,
    claim: Claim,
    article: Article,
    *,
    quote: str | None,
    start: int | None,
    to: int | None,
) -> _Target:
    """The sentence the claim moves to: a quote of the current text, or a claim's quote."""
    if quote is not None:
        if not quote.strip():
            raise ValidationFailed("the new quote is empty")
        if start is None:
            start, end = locate_quote(article, quote)
        else:
            end = start + len(quote)
            check_quote(article, quote, start, end)
        return _Target(quote, start, end, None)
    if start is not None:
        raise ValidationFailed("a start offset goes with a new quote (--quote)")
    to = to if to is not None else claim.quote_replacement
    if to is None:
        raise ValidationFailed(
            f"the import proposed no sentence in place of claim {claim.id}'s quote; name one "
            "with a quote of the current text (--quote) or the claim that quotes it (--to)"
        )
    other = session.get(Claim, to)
    if other is None or other.article_id != claim.article_id:
        raise NotFound(f"claim {to} is not a claim of the same article as claim {claim.id}")
    if to == claim.id or other.quote_lost_in is not None:
        raise ValidationFailed(f"claim {to}'s quote is not in the current text either")
    return _Target(other.quote, other.quote_start, other.quote_end, to)


def move_lost_claim(
    *,
    session: Session,
    claim_id: int,
    actor: str,
    expected_version: int | None,
    quote: str | None = None,
    start: int | None = None,
    to: int | None = None,
    claim_text: str | None = None,
) -> ClaimPublic:
    """Give a lost claim a quote in its article's current text.

    The new quote is ``quote`` (at ``start``, or its first occurrence), else
    the quote of claim ``to``, else that of the candidate the import proposed
    (``quote_replacement``). ``claim_text`` rewrites the claim to fit (the old
    text may name the old figures). Rules: editor role (``move_quote``); the
    claim is lost and not dismissed; the quote equals the current text at its
    offsets; a verdict goes back to ``in_review`` (what was judged changed),
    keeping its rating and summary as a draft; version compare-and-set. Events:
    ``quote_moved``, then ``edit`` of the claim text, then ``review``.
    """
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.move_quote)
        claim = _load_lost(session, claim_id)
        article = session.get(Article, claim.article_id)
        assert article is not None
        target = _target(session, claim, article, quote=quote, start=start, to=to)
        text = clean_field(Claim, "claim", claim_text) if claim_text is not None else None
        old_quote = f"{claim.quote_start}:{claim.quote_end} {claim.quote}"
        lost_in, old_text, old_status = claim.quote_lost_in, claim.claim, claim.status
        values: dict[str, object] = {
            "quote": target.quote,
            "quote_start": target.start,
            "quote_end": target.end,
            "quote_lost_in": None,
            "quote_replacement": None,
            "confirmed_by": None,
            "confirmed_at": None,
        }
        if text is not None and text != old_text:
            values["claim"] = text
        reopens = old_status in VERDICTS
        if reopens:
            values |= {"status": ClaimStatus.in_review.value, "flag_reason": None}
        version = _compare_and_set(session, claim, expected_version, values)
        whose = f" (the sentence of claim {target.candidate})" if target.candidate else ""
        record_event(
            session,
            EventAction.quote_moved,
            actor=actor,
            claim_id=claim_id,
            field="quote",
            old=old_quote,
            new=f"{target.start}:{target.end} {target.quote}",
            detail=f"from revision {(lost_in or 1) - 1} to revision {article.revision}{whose}",
            version=version,
        )
        if "claim" in values:
            record_event(
                session,
                EventAction.edit,
                actor=actor,
                claim_id=claim_id,
                field="claim",
                old=old_text,
                new=text,
                version=version,
            )
        if reopens:
            record_event(
                session,
                EventAction.review,
                actor=actor,
                claim_id=claim_id,
                field="status",
                old=old_status,
                new=ClaimStatus.in_review.value,
                detail="its quote moved: the verdict needs a new review",
                version=version,
            )
        state = _state(session, claim_id)
    return state


def dismiss_lost_claim(
    *,
    session: Session,
    claim_id: int,
    actor: str,
    expected_version: int | None,
    note: str | None = None,
) -> ClaimPublic:
    """Dismiss a lost claim: it leaves the article's published record, its history stays.

    Rules: editor role (``dismiss_lost_quote``); the claim is lost and not yet
    dismissed; any status may be dismissed this way (a verdict too: the words
    it judged are gone); the confirmation is cleared, the rating and summary
    kept as history; ``note`` (optional) says why; version compare-and-set.
    Events: ``quote_dismissed``, then ``review`` (the status change).
    """
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.dismiss_lost_quote)
        claim = _load_lost(session, claim_id)
        body = clean_field(Note, "body", note, label="note", required=False)
        old_status, lost_in = claim.status, claim.quote_lost_in
        old_quote = f"{claim.quote_start}:{claim.quote_end} {claim.quote}"
        version = _compare_and_set(
            session,
            claim,
            expected_version,
            {
                "status": ClaimStatus.dismissed.value,
                "flag_reason": None,
                "confirmed_by": None,
                "confirmed_at": None,
                "last_reviewed_by": actor,
                "last_reviewed_at": utcnow(),
            },
        )
        record_event(
            session,
            EventAction.quote_dismissed,
            actor=actor,
            claim_id=claim_id,
            field="quote",
            old=old_quote,
            detail=f"not in revision {lost_in} of the article",
            version=version,
        )
        # a status change like any other: counted, and a review event (the overview's
        # verdicts and the verdict days are read from those)
        record_event(
            session,
            EventAction.review,
            actor=actor,
            claim_id=claim_id,
            field="status",
            old=old_status,
            new=ClaimStatus.dismissed.value,
            detail="its quote is not in the article",
            version=version,
        )
        if body:
            _insert_note(session, claim_id, body, actor)
        state = _state(session, claim_id)
    return state
