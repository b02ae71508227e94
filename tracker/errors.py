"""The exceptions tracker raises, all rooted at :class:`TrackerError`.

Entry points (the CLI and the dashboard) catch ``TrackerError`` and show its
message as one line; anything else is a bug and keeps its traceback (the CLI
still prints one line for an unexpected database or file error and keeps the
traceback for ``TRACKER_DEBUG=1``).

    TrackerError
    ├── NotFound            an id or slug that does not exist
    ├── ValidationFailed    a value outside the allowed set, too long, malformed
    │   └── UnsafeURL       a URL tracker will not store or fetch
    ├── InvalidTransition   a status change the review rules forbid
    ├── RuleViolation       a review rule is not met (e.g. verify without a source)
    ├── EditConflict        a write carried a stale ``version``
    ├── PermissionDenied    the actor's role does not allow the action
    ├── ImportFailed        an import with bad rows; carries every problem found
    ├── PdfFailed           no PDF engine, or it produced no PDF; nothing written
    └── DatabaseUnavailable the database cannot take the request: unreachable,
        │                   missing, read-only or full (names the URL, never a password)
        ├── DatabaseBusy    another change held the write lock longer than the busy timeout
        └── SchemaMismatch  the schema is older (or newer) than this tracker's; names the
                            command that upgrades it
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class TrackerError(Exception):
    """Base class of every error tracker raises on purpose."""


class NotFound(TrackerError):
    pass


class ValidationFailed(TrackerError):
    pass


class UnsafeURL(ValidationFailed):
    pass


class InvalidTransition(TrackerError):
    pass


class RuleViolation(TrackerError):
    pass


class PermissionDenied(TrackerError):
    pass


class UnknownSession(PermissionDenied):
    """No session has this token: never started with it, signed out, or cleaned up."""


class EditConflict(TrackerError):
    """The claim changed since the caller read it; nothing was written."""

    def __init__(
        self,
        claim_id: int,
        expected_version: int,
        current_version: int,
        changed_by: str | None = None,
        changed_at: datetime | None = None,
    ) -> None:
        self.claim_id = claim_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "someone"
        when = f" at {changed_at:%Y-%m-%d %H:%M} UTC" if changed_at else ""
        super().__init__(
            f"claim {claim_id} was changed by {who}{when} since you opened it "
            f"(you had version {expected_version}, it is now {current_version}); "
            "reload and apply your change again"
        )


class DatabaseUnavailable(TrackerError):
    """The database could not be reached or cannot store the change; nothing was written."""


class SchemaMismatch(DatabaseUnavailable):
    """The database's schema is not the one this version of tracker was written for."""


class DatabaseBusy(DatabaseUnavailable):
    """Another writer held the lock for the whole busy timeout; trying again may succeed."""

    def __init__(self, waited: float) -> None:
        self.waited = waited
        super().__init__(
            f"the database is busy: another change has held it for {waited:g} s; try again"
        )


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        if not self.line:  # a command-line option, not a line of a file
            return self.detail()
        where = ", ".join([f"line {self.line}", *self._where()])
        return f"{where}: {self.reason}"

    def detail(self) -> str:
        """Field, value and reason without the line: ``field 'x', value 'y': reason``."""
        where = ", ".join(self._where())
        return f"{where}: {self.reason}" if where else self.reason

    def _where(self) -> list[str]:
        parts = []
        if self.field:
            parts.append(f"field {self.field!r}")
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            parts.append(f"value {shown!r}")
        return parts


class ImportFailed(TrackerError):
    """An import found bad input; nothing was written."""

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        head = f"{source}: {len(self.problems)} problem(s), nothing imported"
        lines = [str(p) for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"... and {len(self.problems) - 50} more")
        super().__init__("\n".join([head, *("  " + line for line in lines)]))


class PdfFailed(TrackerError):
    """No PDF engine, or it did not produce a PDF; nothing was written."""
