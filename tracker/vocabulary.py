"""Names the entry points show in their help text, importable without the
database stack, so that ``tracker --help`` starts as fast as typer does (#10)."""

from __future__ import annotations

# The claim list's sort keys (``tracker claims --sort``, the queue's "Sort by").
SORT_KEYS = ("id", "status", "claim_type", "section", "assignee", "updated_at", "score", "sources")

DEFAULT_THRESHOLD = 0.35  # chosen by benchmarks/extraction.py: recall 0.94 at precision 0.80
