"""Use case of the published fact-check: an editor rates a claim and writes its summary.

The rating and the verdict summary are what readers see (the report, the
ClaimReview markup); notes stay internal. Publishing itself needs no action:
a claim appears once its verdict is confirmed and it has both (see
:func:`tracker.publishing.publication_blockers`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from ..audit import EventAction, record_event
from ..config import get_settings
from ..errors import InvalidTransition
from ..models import Claim, ClaimPublic, ClaimStatus, RatingUpdate, utcnow
from ..permissions import Action, authorize
from ..publishing import parse_rating
from ..validation import clean_field
from .claims import _compare_and_set, _load, _state, check_quote_found
from .uow import clean_actor, unit_of_work


def rate_claim(
    *,
    session: Session,
    claim_id: int,
    changes: RatingUpdate,
    actor: str,
    expected_version: int | None,
    scale: Sequence[str] | None = None,
) -> ClaimPublic:
    """Set, change or clear a claim's rating and verdict summary.

    Rules: editor role (``rate``); the rating is a label of the desk's scale
    (``TRACKER_RATING_SCALE``, or ``scale``) or Unverifiable, matched without
    regard to case or punctuation and stored as the scale writes it; the
    summary is plain text within the limit declared on the model, its white
    space folded to single spaces; a dismissed claim, or one whose quote is
    lost, is not rated (clearing is allowed); version compare-and-set. Each
    changed field writes its own event (``rated``, ``summary_edited``);
    changing nothing writes nothing.
    """
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.rate)
        claim = _load(session, claim_id)
        data = changes.model_dump(exclude_unset=True)
        values: dict[str, str | None] = {}
        if "rating" in data:
            raw = (data["rating"] or "").strip()
            labels = scale if scale is not None else get_settings().rating_scale
            values["rating"] = parse_rating(raw, labels) if raw else None
        if "verdict_summary" in data:
            text = clean_field(
                Claim,
                "verdict_summary",
                data["verdict_summary"],
                label="verdict summary",
                required=False,
            )
            values["verdict_summary"] = " ".join(text.split()) if text else None
        diff = {k: v for k, v in values.items() if getattr(claim, k) != v}
        if diff and claim.status == ClaimStatus.dismissed and any(diff.values()):
            raise InvalidTransition(
                f"claim {claim_id} is dismissed (not a checkable claim); reopen it before "
                "rating it or summarising its verdict"
            )
        if diff and any(diff.values()):
            check_quote_found(claim, "rating it or summarising its verdict")
        if diff:
            old = {k: getattr(claim, k) for k in diff}
            version = _compare_and_set(
                session, claim, expected_version, {**diff, "rated_by": actor, "rated_at": utcnow()}
            )
            events = {"rating": EventAction.rated, "verdict_summary": EventAction.summary_edited}
            for key, value in diff.items():
                record_event(
                    session,
                    events[key],
                    actor=actor,
                    claim_id=claim_id,
                    field=key,
                    old=old[key],
                    new=value,
                    version=version,
                )
        state = _state(session, claim_id)
    return state
