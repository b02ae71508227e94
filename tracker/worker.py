"""``tracker worker``: the background work of a desk, in its own process.

Each cycle brings the stored best matches up to date (what the queue's
"Checked before" badge and "has a match" filter read) and re-checks source
links not checked for a while, through the same use cases as the CLI
(:func:`tracker.services.refresh_matches`,
:func:`tracker.services.links.check_sources`). Work is done in short
transactions (:data:`MATCH_BATCH` matches, :data:`LINK_BATCH` links), the
lease renewed before each, so a stop request waits for one of them at most.

One worker is active per database: the lease row of
:mod:`tracker.services.worker`. A second worker waits, saying who holds it.
A failed cycle is recorded on that row (the overview shows it) and the
worker carries on at the next interval; SIGTERM or SIGINT finish the
current transaction, release the lease and exit 0.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

from sqlalchemy.engine import Engine
from sqlmodel import Session

from .matching import store
from .services import references
from .services import worker as lease

ACTOR = "worker"
MATCH_BATCH = 16  # matches recomputed per transaction (SQLite's write lock is held for it)
LINK_BATCH = 20  # links checked per step (each request bounded by TRACKER_HTTP_TIMEOUT)
LEASE = timedelta(minutes=2)  # renewed before each step; a dead worker's expires
PROGRESS_EVERY = 10.0  # seconds between progress lines within a long cycle


@dataclass(frozen=True)
class WorkerOptions:
    interval: float = 30.0  # seconds between cycles
    stale_after: timedelta = timedelta(days=7)  # links checked longer ago are re-checked
    links: bool = True
    once: bool = False  # one cycle, then stop (exit 1 if it failed)


@dataclass
class CycleReport:
    matched: int = 0
    pending: int = 0
    links: int = 0
    stopped: bool = False  # a stop request cut the cycle short

    def line(self) -> str:
        text = (
            f"{self.matched} matches recomputed, {self.pending} pending; {self.links} links checked"
        )
        return text + (" (stopping)" if self.stopped else "")


class Worker:
    def __init__(
        self,
        engine: Engine,
        options: WorkerOptions,
        *,
        say: Callable[[str], None] = print,
        stop: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.say = say
        self.stop = stop or threading.Event()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.failed = False

    def handle_signals(self) -> None:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self.say(f"worker: {signal.Signals(signum).name} received; stopping after this step")
            self.stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def _renew(self, session: Session) -> bool:
        return lease.take_lease(session=session, holder=self.holder, ttl=LEASE)

    def run(self) -> int:
        """Cycles until stopped; 0, or 1 when ``once`` and the cycle failed."""
        waiting_for: str | None = None
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                while not self.stop.is_set():
                    if self._renew(session):
                        waiting_for = None
                        self._cycle(session)
                    else:
                        holder = lease.worker_status(session=session).holder
                        session.rollback()
                        if holder != waiting_for:
                            self.say(f"worker: another worker holds the lease ({holder}); waiting")
                            waiting_for = holder
                    if self.options.once:
                        break
                    self.stop.wait(self.options.interval)
            finally:
                session.rollback()
                lease.release_lease(session=session, holder=self.holder)
                self.say("worker: stopped, lease released")
        return 1 if self.options.once and self.failed else 0

    def _cycle(self, session: Session) -> None:
        report = CycleReport()
        marker = None
        try:
            marker = self._matches(session, report)
            if self.options.links and not self.stop.is_set():
                self._links(session, report)
        except Exception as exc:  # recorded for the admin, then the next cycle tries again
            session.rollback()
            self.failed = True
            error = f"{type(exc).__name__}: {exc}"
            self.say(f"worker: error: {error}")
            lease.record_run(
                session=session, holder=self.holder, summary=report.line(), error=error
            )
            return
        self.failed = False
        self.say(f"worker: {report.line()}")
        lease.record_run(
            session=session, holder=self.holder, summary=report.line(), matches_checked=marker
        )

    def _matches(self, session: Session, report: CycleReport) -> int | None:
        """Refresh stored matches in short transactions; the marker they were checked
        at when the refresh had nothing to write (else None: its stamps say so)."""
        before = store.checkpoint(session, writing=False).marker
        up_to_date = not store.match_status(session).pending
        session.rollback()
        if up_to_date:  # an idle cycle: a few index reads, no index build
            return None
        references.warm_refresh(session=session)  # the index built outside the write lock
        session.rollback()
        if self.stop.is_set():
            report.stopped = True
            return None
        said = time.monotonic()
        while True:
            step = references.refresh_matches(session=session, actor=ACTOR, limit=MATCH_BATCH)
            report.matched += step.matched
            report.pending = step.pending
            if not step.pending:
                break
            if time.monotonic() - said >= PROGRESS_EVERY:
                self.say(f"worker: {report.matched} matches recomputed, {step.pending} pending")
                said = time.monotonic()
            if self.stop.is_set():
                report.stopped = True
                return None
            if not self._renew(session):
                return None
            self.stop.wait(0.05)  # a reviewer's write waiting for the lock goes first
        after = store.checkpoint(session, writing=False).marker
        session.rollback()
        return before if after == before else None

    def _links(self, session: Session, report: CycleReport) -> None:
        from .services import links

        while not self.stop.is_set() and self._renew(session):
            summary = links.check_sources(
                session=session,
                actor=ACTOR,
                stale_after=self.options.stale_after,
                limit=LINK_BATCH,
            )
            report.links += summary.checked
            if summary.checked < LINK_BATCH:
                return
        report.stopped = self.stop.is_set()
