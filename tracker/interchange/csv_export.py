"""Streaming CSV export of claims: one row per claim, stable columns, RFC 4180."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ..models import Note, Source, Stance, as_utc, quote_state_of
from ..queries import ClaimFilter, iter_claim_rows
from .csvsafe import escape_cell

# Columns a CSV import may change, then the read-only ones derived from the database.
EDITABLE_COLUMNS = (
    "claim_id",
    "article",
    "section",
    "claim",
    "quote",
    "quote_start",
    "quote_end",
    "claim_type",
    "status",
    "flag_reason",
    "assignee",
    "version",
)
DERIVED_COLUMNS = (
    "origin",
    "score",
    "source_count",
    "supporting",
    "refuting",
    "source_urls",
    "archived_urls",
    "notes",
    "last_reviewed_by",
    "last_reviewed_at",
    "confirmation",
    "confirmed_by",
    "confirmed_at",
    "created_at",
    "updated_at",
    # found, lost or dismissed; a lost quote's offsets are left blank (they belong
    # to the revision before quote_lost_in, not to the article's current text)
    "quote_state",
    "quote_lost_in",
)
CSV_COLUMNS = EDITABLE_COLUMNS + DERIVED_COLUMNS
LIST_SEPARATOR = "\n"  # between URLs and notes inside one cell


def format_time(value: datetime | None) -> str:
    value = as_utc(value)
    return value.isoformat(timespec="seconds") if value else ""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def iter_export_rows(
    *, session: Session, filters: ClaimFilter | None = None, batch_size: int = 500
) -> Iterator[dict[str, str]]:
    """Rows as dicts of plain (unescaped) strings, streamed batch by batch."""
    for batch in iter_claim_rows(session=session, filters=filters, batch_size=batch_size):
        yield from _rows_for_batch(session, batch)


def current_rows(
    *, session: Session, claim_ids: Iterable[int], chunk: int = 500
) -> dict[int, dict[str, str]]:
    """The export's rows (plain strings) of these claims, by id, below-threshold ones too.

    An import compares a file's cells with these, so "unchanged" and "edited"
    mean exactly "equal to / different from what an export writes now".
    """
    ids = sorted(set(claim_ids))
    rows: dict[int, dict[str, str]] = {}
    for i in range(0, len(ids), chunk):  # bounded IN lists on every backend
        filters = ClaimFilter(ids=ids[i : i + chunk], include_below_threshold=True)
        for row in iter_export_rows(session=session, filters=filters, batch_size=chunk):
            rows[int(row["claim_id"])] = row
    return rows


def _rows_for_batch(session: Session, batch: Sequence[Any]) -> Iterable[dict[str, str]]:
    """Plain column tuples, no ORM objects: the export costs little more than its join (#10)."""
    ids = [c.id for c in batch]
    sources: dict[int, list[Any]] = defaultdict(list)
    for s in session.execute(
        sa_select(
            col(Source.claim_id), col(Source.stance), col(Source.url), col(Source.archived_url)
        )
        .where(col(Source.claim_id).in_(ids))
        .order_by(col(Source.id))
    ):
        sources[s.claim_id].append(s)
    notes: dict[int, list[str]] = defaultdict(list)
    for n in session.execute(
        sa_select(col(Note.claim_id), col(Note.author), col(Note.created_at), col(Note.body))
        .where(col(Note.claim_id).in_(ids))
        .order_by(col(Note.id))
    ):
        notes[n.claim_id].append(f"[{n.author}, {format_time(n.created_at)}] {n.body}")
    for c in batch:
        srcs = sources.get(c.id, [])
        pending = c.status in ("verified", "flagged") and c.confirmed_by is None
        lost = c.quote_lost_in is not None
        row: dict[str, Any] = {
            "claim_id": c.id,
            "article": c.article,
            "section": c.section,
            "claim": c.claim,
            "quote": c.quote,
            "quote_start": None if lost else c.quote_start,
            "quote_end": None if lost else c.quote_end,
            "claim_type": c.claim_type,
            "status": c.status,
            "flag_reason": c.flag_reason,
            "assignee": c.assignee,
            "version": c.version,
            "origin": c.origin,
            "score": c.score,
            "source_count": len(srcs),
            "supporting": sum(s.stance == Stance.supports for s in srcs),
            "refuting": sum(s.stance == Stance.refutes for s in srcs),
            "source_urls": LIST_SEPARATOR.join(s.url for s in srcs),
            "archived_urls": LIST_SEPARATOR.join(s.archived_url for s in srcs if s.archived_url),
            "notes": LIST_SEPARATOR.join(notes.get(c.id, [])),
            "last_reviewed_by": c.last_reviewed_by,
            "last_reviewed_at": c.last_reviewed_at,
            "confirmation": "pending" if pending else ("confirmed" if c.confirmed_by else ""),
            "confirmed_by": c.confirmed_by,
            "confirmed_at": c.confirmed_at,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "quote_state": quote_state_of(c.quote_lost_in, c.status),
            "quote_lost_in": c.quote_lost_in,
        }
        yield {k: _cell(row[k]) for k in CSV_COLUMNS}


def csv_writer(out: TextIO) -> Any:
    return csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def write_csv(
    out: TextIO, *, session: Session, filters: ClaimFilter | None = None, batch_size: int = 500
) -> int:
    """Write the header and every matching claim to ``out``; returns the row count."""
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in iter_export_rows(session=session, filters=filters, batch_size=batch_size):
        writer.writerow([escape_cell(row[k]) for k in CSV_COLUMNS])
        count += 1
    return count


def export_csv_bytes(*, session: Session, filters: ClaimFilter | None = None) -> bytes:
    """The whole export as UTF-8 bytes, for a download button."""
    buffer = io.StringIO()
    write_csv(buffer, session=session, filters=filters)
    return buffer.getvalue().encode("utf-8")
