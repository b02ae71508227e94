"""The audit trail: what can happen to the record, and the one function that writes it.

Every change to a claim or an account is recorded by :func:`record_event`
inside the transaction that makes the change, so a change and its event are
committed together or not at all. The database refuses to update, delete or
truncate events (triggers, see the migrations). Readers, such as the
dashboard's history view, switch on :class:`EventAction`, never on strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from . import bulk
from .models import Event, utcnow

_TABLE: Table = Event.__table__  # type: ignore[attr-defined]
_INSERT = _TABLE.insert()  # one compiled statement, reused with new parameters


class EventAction(StrEnum):
    # claims
    created = "created"
    review = "review"
    assign = "assign"
    edit = "edit"
    source_added = "source_added"
    note_added = "note_added"
    promoted = "promoted"
    confirm = "confirm"
    confirmation_cleared = "confirmation_cleared"
    link_state = "link_state"
    archived = "archived"
    quote_lost = "quote_lost"
    relocated = "relocated"
    quote_moved = "quote_moved"
    quote_dismissed = "quote_dismissed"
    rated = "rated"
    summary_edited = "summary_edited"
    # articles
    article_created = "article_created"
    article_revised = "article_revised"
    sources_reused = "sources_reused"
    # accounts
    account_added = "account_added"
    role_changed = "role_changed"
    password_changed = "password_changed"  # noqa: S105 (an event name)
    password_reset = "password_reset"  # noqa: S105 (an event name)
    account_disabled = "account_disabled"
    account_enabled = "account_enabled"
    account_unlocked = "account_unlocked"
    # whole databases (recorded on the acting admin's account)
    database_restored = "database_restored"
    database_copied = "database_copied"
    # the reference library: recorded on the importing account
    references_imported = "references_imported"

    @property
    def label(self) -> str:
        """How the history view names it."""
        return _LABELS.get(self, self.value.replace("_", " "))

    @property
    def is_account_event(self) -> bool:
        return self in ACCOUNT_ACTIONS

    @property
    def is_article_event(self) -> bool:
        return self in ARTICLE_ACTIONS


ACCOUNT_ACTIONS = frozenset(
    {
        EventAction.account_added,
        EventAction.role_changed,
        EventAction.password_changed,
        EventAction.password_reset,
        EventAction.account_disabled,
        EventAction.account_enabled,
        EventAction.account_unlocked,
        EventAction.database_restored,
        EventAction.database_copied,
        EventAction.references_imported,
    }
)

ARTICLE_ACTIONS = frozenset({EventAction.article_created, EventAction.article_revised})

_LABELS = {
    EventAction.article_created: "imported the article",
    EventAction.article_revised: "imported a new revision of the article",
    EventAction.created: "created the claim",
    EventAction.review: "changed the status",
    EventAction.assign: "changed the assignee",
    EventAction.edit: "edited",
    EventAction.source_added: "added a source",
    EventAction.note_added: "added a note",
    EventAction.promoted: "promoted the candidate",
    EventAction.confirm: "confirmed the verdict",
    EventAction.confirmation_cleared: "cleared the confirmation",
    EventAction.link_state: "link state changed",
    EventAction.archived: "archived a source",
    EventAction.quote_lost: "quote lost in a revision",
    EventAction.relocated: "quote moved in a revision",
    EventAction.quote_moved: "moved the lost quote to a sentence of the current text",
    EventAction.quote_dismissed: "dismissed the claim: its quote is not in the article",
    EventAction.database_restored: "restored the database from a dump",
    EventAction.database_copied: "copied the database here",
    EventAction.rated: "changed the rating",
    EventAction.summary_edited: "edited the verdict summary",
    EventAction.sources_reused: "reused the sources of an earlier match",
    EventAction.references_imported: "imported published fact-checks",
}


def event_row(
    action: EventAction,
    *,
    actor: str,
    claim_id: int | None = None,
    account: str | None = None,
    article_id: int | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    detail: str | None = None,
    version: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The checked column values of one event, for :func:`record_event` or :func:`record_events`.

    ``claim_id`` names the claim changed, ``account`` the account changed,
    ``article_id`` the article (imported or revised); ``version`` is the
    claim's version after a versioned change (None for notes and sources,
    which never conflict with a status change).
    """
    subjects = [x for x in (claim_id, account, article_id) if x is not None]
    if len(subjects) != 1:
        raise ValueError("an event is about exactly one claim, one account or one article")
    if action.is_account_event != (account is not None) or action.is_article_event != (
        article_id is not None
    ):
        raise ValueError(f"{action} is not an event about what it names")
    return {
        "claim_id": claim_id,
        "account": account,
        "article_id": article_id,
        "actor": actor,
        "action": action.value,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "detail": detail,
        "claim_version": version,
        "at": at or utcnow(),
    }


def record_event(
    session: Session,
    action: EventAction,
    *,
    actor: str,
    claim_id: int | None = None,
    account: str | None = None,
    article_id: int | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    detail: str | None = None,
    version: int | None = None,
) -> None:
    """Add one audit event to the current transaction.

    The row is inserted at once, so the claim it names must already be
    flushed. The arguments are those of :func:`event_row`.
    """
    # A Core INSERT, not an ORM object: an import records thousands of events,
    # and nothing reads them back in the same transaction as objects.
    session.connection().execute(
        _INSERT,
        event_row(
            action,
            actor=actor,
            claim_id=claim_id,
            account=account,
            article_id=article_id,
            field=field,
            old=old,
            new=new,
            detail=detail,
            version=version,
        ),
    )


def record_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add many events (each built by :func:`event_row`) with one statement.

    The batch form of :func:`record_event` for imports: the same checks per
    event, one statement for the lot (:func:`tracker.bulk.insert_rows`). The
    claims they name must be flushed.
    """
    bulk.insert_rows(session=session, table=_TABLE, rows=list(rows))
