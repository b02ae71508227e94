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

from sqlmodel import Session

from ..db import begin_write
from ..errors import ValidationFailed
from ..models import Event
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
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info[_DEPTH] = 0
        forget_authorized(session)


def in_unit_of_work(session: Session) -> bool:
    return bool(session.info.get(_DEPTH, 0))


def clean_actor(actor: str | None) -> str:
    text = clean_field(Event, "actor", actor, label="actor (--by)", multiline=False)
    if text is None:  # pragma: no cover - clean_field raises for required values
        raise ValidationFailed("actor (--by) is required")
    return text
