"""Work the dashboard does off the page's run: the refresh of stored best matches.

The queue shows each claim's best earlier match (the "Checked before" badge and
the "has a match" filter, #12) from rows that
:func:`tracker.services.refresh_matches` keeps up to date after every change.
After a verdict on a large archive that refresh costs most of a second (#11),
so a page no longer waits for it: it asks this process's :class:`MatchRefresher`
for one, and reads whatever is stored. The refresher runs at most one refresh at
a time in a daemon thread and coalesces requests: asked again while busy, it
runs once more afterwards with the newest request (the rows on screen first).
It works in short transactions of :data:`BATCH` matches until nothing is
pending, so it never holds SQLite's write lock for long.
A refresh that wrote something bumps the claims change marker, so the next
rerun of any page, in any replica, reads the new badges.

No Streamlit here: the dashboard holds one refresher per database
(``data.refresh_matches_soon``), tests drive it directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)

# Matches recomputed per transaction (a search each, tens of milliseconds at 100,000
# claims): on SQLite a refresh holds the write lock, so it works in short transactions
# until nothing is pending, pausing between them so a waiting verdict gets the lock.
BATCH = 16
PAUSE = 0.1  # seconds
THREAD_NAME = "tracker-match-refresh"


@dataclass(frozen=True)
class _Request:
    marker: int  # the claims change marker the page saw
    claim_ids: tuple[int, ...]  # the rows on screen, refreshed first


class MatchRefresher:
    """Refreshes stored best matches in a worker thread, one run at a time.

    ``request(marker, ids)`` returns at once. ``marker`` is the claims change
    marker the page read: a request for a marker already refreshed is a no-op,
    so a page whose data did not change starts nothing. ``wait`` lets a test
    (or a caller that must see the result) block until the worker is idle.
    """

    def __init__(
        self, engine: Engine, *, actor: str = "matching", batch: int = BATCH, pause: float = PAUSE
    ) -> None:
        self._engine = engine
        self._actor = actor
        self._batch = batch
        self._pause = pause
        self.transactions = 0  # refresh_matches calls made (each one transaction)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._done = -1  # newest marker a finished refresh started from
        self._next: _Request | None = None
        self._running = False
        self.runs = 0  # refreshes run (finished or failed)
        self.last_error: Exception | None = None

    def request(self, marker: int, claim_ids: Sequence[int] = ()) -> bool:
        """Ask for a refresh as of ``marker``; False when one is due or running."""
        with self._lock:
            if marker <= self._done and not self._running:
                return True
            if marker > self._done:
                newest = max(marker, self._next.marker if self._next else -1)
                self._next = _Request(newest, tuple(claim_ids))
            if not self._running and self._next is not None:
                self._running = True
                threading.Thread(target=self._work, name=THREAD_NAME, daemon=True).start()
            return False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no refresh is due or running; False if ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._running, timeout)

    def _work(self) -> None:
        while True:
            with self._lock:
                job, self._next = self._next, None
                if job is None:
                    self._running = False
                    self._idle.notify_all()
                    return
            try:
                self._refresh(job.claim_ids)
            except Exception as exc:
                self.last_error = exc
                log.warning("refreshing stored matches failed: %s", exc)
            else:
                self.last_error = None
                with self._lock:
                    self._done = max(self._done, job.marker)
            finally:
                self.runs += 1

    def _refresh(self, claim_ids: tuple[int, ...]) -> None:
        from tracker import services
        from tracker.services.references import warm_refresh

        with Session(self._engine, expire_on_commit=False) as s:
            # the index build and the stored vectors read outside the write transaction:
            # on SQLite it holds the write lock, and reviewers' verdicts wait for it
            warm_refresh(session=s)  # read only: not a use case
            while True:
                report = services.refresh_matches(
                    session=s, actor=self._actor, claim_ids=list(claim_ids), limit=self._batch
                )
                self.transactions += 1
                with self._lock:
                    newer = self._next is not None
                if not report.pending or newer:  # a newer request carries the rest on
                    return
                time.sleep(self._pause)  # a reviewer's write waiting for the lock goes first
