"""Spreadsheet formula-injection guard for CSV cells (OWASP "CSV Injection").

A cell that a spreadsheet would read as a formula starts, after any run of
apostrophes, with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return. Such a
cell is written with one extra leading apostrophe, which spreadsheets show as
plain text. Reading reverses it by removing exactly one apostrophe from any
cell of that shape, so ``unescape(escape(x)) == x`` for every string ``x``,
including text that itself starts with apostrophes.
"""

from __future__ import annotations

import re

TRIGGERS = "=+-@\t\r"
_RISKY = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")


def escape_cell(value: str) -> str:
    return "'" + value if _RISKY.match(value) else value


def unescape_cell(value: str) -> str:
    return value[1:] if _ESCAPED.match(value) else value


def is_formula_safe(value: str) -> bool:
    """True when a spreadsheet would not evaluate ``value`` as a formula."""
    return not value or value[0] not in TRIGGERS
