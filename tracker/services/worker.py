"""The background worker's lease and record: one active worker per database.

A lease row (``worker_lease``, name ``worker``) is taken with one
compare-and-set UPDATE: it succeeds when the row is free, expired or already
this holder's, so two workers on one database never both hold it, on SQLite
and PostgreSQL alike. The holder renews it before each step of its work and
releases it when it stops; a worker that died loses it when it expires.

The same row records what an admin sees on the overview: the last run, the
last error, whether one is running. Operational state, not the record: no
audit event, and no change marker (see :mod:`tracker.services.uow`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ..models import WORKER_JOB, WorkerLease, as_utc, utcnow
from .uow import unit_of_work

JOB = WORKER_JOB
ERROR_CHARS = 2_000  # an error is kept to this many characters


@dataclass(frozen=True)
class WorkerStatus:
    running: bool  # a holder's lease is ahead of now
    holder: str | None
    started_at: datetime | None
    last_run_at: datetime | None
    last_run: str | None
    last_error_at: datetime | None
    last_error: str | None
    runs: int


def _ensure_row(session: Session) -> None:
    if session.get(WorkerLease, JOB) is not None:
        return
    try:
        with unit_of_work(session):
            session.add(WorkerLease(name=JOB))
    except IntegrityError:  # another worker inserted it first
        pass


def take_lease(
    *, session: Session, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the lease for ``ttl``; False when another holder has it."""
    _ensure_row(session)
    now = now or utcnow()
    with unit_of_work(session):
        result = session.execute(
            update(WorkerLease)
            .where(
                col(WorkerLease.name) == JOB,
                or_(
                    col(WorkerLease.holder).is_(None),
                    col(WorkerLease.holder) == holder,
                    col(WorkerLease.expires_at) < now,
                ),
            )
            .values(expires_at=now + ttl)
            .execution_options(synchronize_session=False)
        )
        taken = (result.rowcount or 0) == 1  # type: ignore[attr-defined]
        if taken:  # a new holder starts its run now; a renewal keeps its start
            session.execute(
                update(WorkerLease)
                .where(
                    col(WorkerLease.name) == JOB, col(WorkerLease.holder).is_distinct_from(holder)
                )
                .values(holder=holder, started_at=now)
                .execution_options(synchronize_session=False)
            )
    return taken


def release_lease(*, session: Session, holder: str) -> None:
    """Give the lease up (a clean stop): the next worker need not wait for it to expire."""
    with unit_of_work(session):
        session.execute(
            update(WorkerLease)
            .where(col(WorkerLease.name) == JOB, col(WorkerLease.holder) == holder)
            .values(holder=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )


def record_run(
    *,
    session: Session,
    holder: str,
    summary: str,
    error: str | None = None,
    matches_checked: int | None = None,
) -> None:
    """Record a finished cycle (``error``: it failed) on the lease row."""
    _ensure_row(session)
    now = utcnow()
    values: dict[str, object] = {
        "last_run_at": now,
        "last_run": summary,
        "runs": col(WorkerLease.runs) + 1,
    }
    if error is not None:
        values.update(last_error_at=now, last_error=error[:ERROR_CHARS])
    if matches_checked is not None:
        values["matches_checked"] = matches_checked
    with unit_of_work(session):
        session.execute(
            update(WorkerLease)
            .where(col(WorkerLease.name) == JOB)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def worker_status(*, session: Session, now: datetime | None = None) -> WorkerStatus:
    """What the overview shows: the last run and error, whether a worker runs now."""
    row = session.get(WorkerLease, JOB)
    if row is None:
        return WorkerStatus(False, None, None, None, None, None, None, 0)
    session.refresh(row)  # another process writes it
    now = now or utcnow()
    expires = as_utc(row.expires_at)
    return WorkerStatus(
        running=row.holder is not None and expires is not None and expires > now,
        holder=row.holder,
        started_at=as_utc(row.started_at),
        last_run_at=as_utc(row.last_run_at),
        last_run=row.last_run,
        last_error_at=as_utc(row.last_error_at),
        last_error=row.last_error,
        runs=row.runs,
    )


def matches_checked(*, session: Session) -> int | None:
    """The claims change marker the worker's last idle refresh checked the matches at."""
    row = session.get(WorkerLease, JOB)
    return None if row is None else row.matches_checked
