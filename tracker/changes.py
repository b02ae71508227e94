"""Which tables the open unit of work wrote, for its change markers.

:mod:`tracker.services.uow` notes the tables of ORM flushes and statements and
bumps the topics' markers before the commit. A write that bypasses the ORM (the
bulk path's raw ``unnest`` INSERT on PostgreSQL) notes its table here itself, so
no write path can leave the dashboard's caches stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

TOUCHED = "tracker.touched_tables"  # key in Session.info, a set while a unit of work is open


def note_tables(session: Session, tables: Iterable[str]) -> None:
    """Record that ``session``'s unit of work wrote ``tables`` (outside one: nothing)."""
    touched = session.info.get(TOUCHED)
    if touched is not None:
        touched.update(tables)
