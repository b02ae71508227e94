"""The unit of work every use case runs in.

The outermost use case begins a *write* transaction (on SQLite ``BEGIN
IMMEDIATE``: the lock is taken at the start, so a writer never fails upgrading
a read lock) and commits or rolls back. A use case called by another (an
import applying one row through :func:`tracker.services.review_claim`) runs in
a savepoint of the caller's transaction: its rules and events are the same,
its failure undoes only its own part, and only the outermost one commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from ..changes import TOUCHED, note_tables
from ..db import begin_write
from ..errors import ValidationFailed
from ..models import ChangeMarker, ChangeTopic, Event
from ..permissions import forget_authorized
from ..validation import clean_field

_DEPTH = "tracker.uow_depth"


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One write transaction (or a savepoint inside the caller's): all of it or none."""
    depth = session.info.get(_DEPTH, 0)
    if depth:
        savepoint = session.begin_nested()
        session.info[_DEPTH] = depth + 1
        try:
            yield session
            if savepoint.is_active:
                savepoint.commit()
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        finally:
            session.info[_DEPTH] = depth
        return
    begin_write(session)
    session.info[_DEPTH] = 1
    session.info[TOUCHED] = set()
    try:
        yield session
        _bump_change_markers(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info[_DEPTH] = 0
        session.info.pop(TOUCHED, None)
        forget_authorized(session)


# --- change markers (#10) -----------------------------------------------------------
# Every table a unit of work writes is noted (ORM flushes and UPDATE/INSERT/DELETE
# statements); before the commit, the topics they belong to get their counter bumped
# once, in the same transaction. Caches keyed by the counters (the dashboard's) see
# the change at their next read, in every process.

_TOPIC_OF_TABLE = {
    "article": ChangeTopic.articles,
    "account": ChangeTopic.accounts,
    "signin_attempt": ChangeTopic.accounts,
    "web_session": None,  # sign-ins and page views change no cached read
    "article_revision": ChangeTopic.articles,
    "event": None,  # the trail follows the change it records
    "change_marker": None,
    "worker_lease": None,  # the worker's heartbeats change no cached read
}


@event.listens_for(OrmSession, "before_flush")
def _on_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    objects = [*session.new, *session.dirty, *session.deleted]
    note_tables(session, {getattr(o, "__tablename__", "") for o in objects})


@event.listens_for(OrmSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_update or state.is_insert or state.is_delete:
        target = getattr(state.statement, "table", None)
        name = getattr(target, "name", None)
        if name:
            note_tables(state.session, {name})


def _bump_change_markers(session: Session) -> None:
    session.flush()
    tables = session.info.get(TOUCHED) or set()
    topics = {_TOPIC_OF_TABLE.get(t, ChangeTopic.claims) for t in tables if t}
    topics.discard(None)
    if topics:
        session.execute(
            update(ChangeMarker)
            .where(col(ChangeMarker.topic).in_(sorted(t.value for t in topics if t)))
            .values(n=col(ChangeMarker.n) + 1)
            .execution_options(synchronize_session=False)
        )


def in_unit_of_work(session: Session) -> bool:
    return bool(session.info.get(_DEPTH, 0))


def clean_actor(actor: str | None) -> str:
    text = clean_field(Event, "actor", actor, label="actor (--by)", multiline=False)
    if text is None:  # pragma: no cover - clean_field raises for required values
        raise ValidationFailed("actor (--by) is required")
    return text
