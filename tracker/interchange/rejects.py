"""The rows a foreign-file import refused and went on without (``--skip-invalid FILE``).

Written as CSV (RFC 4180): ``line``, ``reason`` and then the row's raw fields
as the file held them (a JSON item as its JSON text), so the rows can be
fixed and imported again.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO

from ..errors import RowProblem


class Rejects:
    """Collects refused rows into an open text file; ``count`` says how many."""

    def __init__(self, fh: IO[str], name: str) -> None:
        self.name = name
        self.count = 0
        self._writer = csv.writer(fh)
        self._writer.writerow(["line", "reason", "fields"])

    def add(self, line: int, problems: Sequence[RowProblem], raw: Sequence[str]) -> None:
        reason = "; ".join(p.detail() for p in problems)
        self._writer.writerow([line, reason, *raw])
        self.count += 1

    def summary(self) -> str:
        return f"{self.count} invalid row(s) skipped, listed in {self.name}"


__all__ = ["Rejects"]
