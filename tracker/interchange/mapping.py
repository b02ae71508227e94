"""Reading another tracker's CSV or TSV through a column mapping, and its label file.

``--map FIELD=COLUMN`` names, for each of the tracker's fields, the column that
holds it: by header name (``--map claim=statement``) or by 1-based position
(``--map claim=3``, the only way with ``--no-header``). Fields:

=============  ==========================================================
``claim``      the claim's text (required)
``label``      the other tracker's verdict label (``status`` is a synonym)
``source``     a source URL backing the verdict
``claimant``   who made the claim
``date``       when it was made (YYYY-MM-DD; a timestamp's date is kept)
``context``    where or how it was made
``quote``      the words as they appear in ``--article``'s text (not for a
               collection)
``section``    the article section
``claim_type`` one of the tracker's claim types
=============  ==========================================================

A label file (``--labels``) is a CSV with the header ``label,status,
flag_reason,rating`` and optionally ``stance`` (the stance of a mapped
source; default ``supports`` for verified, ``refutes`` for flagged,
``context`` otherwise); labels match case-insensitively, spaces trimmed.

The file is read by :func:`tracker.interchange.tables.iter_records` (a TSV is
unquoted). Pure of the database; :func:`tracker.services.import_mapped_csv`
applies rows.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import IO

from ..errors import ImportFailed, RowProblem
from ..models import ClaimStatus, FlagReason, Stance
from .labels import finite_number, label_key, read_label_rows
from .tables import Dialect, iter_records

FIELDS = (
    "claim",
    "label",
    "source",
    "claimant",
    "date",
    "context",
    "quote",
    "section",
    "claim_type",
)
SYNONYMS = {"status": "label", "speaker": "claimant", "url": "source"}
LABEL_COLUMNS = ("label", "status", "flag_reason", "rating")


@dataclass(frozen=True)
class Verdict:
    """What one foreign label means here."""

    label: str
    status: ClaimStatus
    flag_reason: FlagReason | None
    rating: str | None
    stance: Stance

    @property
    def needs_source(self) -> bool:
        return self.status is ClaimStatus.verified or (
            self.status is ClaimStatus.flagged
            and self.flag_reason in (FlagReason.false, FlagReason.misleading)
        )


def parse_map(
    specs: Sequence[str],
    *,
    fields: Sequence[str] = FIELDS,
    synonyms: dict[str, str] | None = None,
    need_claim: bool = True,
) -> dict[str, str]:
    """``["claim=statement", ...]`` as {field: column}; problems name the option.

    The one ``--map`` parser: ``tracker import factchecks`` passes its own fields.
    """
    synonyms = SYNONYMS if synonyms is None else synonyms
    out: dict[str, str] = {}
    problems = []
    for spec in specs:
        name, sep, column = spec.partition("=")
        name = synonyms.get(name.strip(), name.strip())
        column = column.strip()
        if not sep or not column:
            problems.append(RowProblem(0, None, spec, "write --map FIELD=COLUMN"))
        elif name not in fields:
            problems.append(
                RowProblem(0, None, spec, f"unknown field {name!r}; known: {', '.join(fields)}")
            )
        elif name in out:
            problems.append(RowProblem(0, None, spec, f"field {name!r} mapped twice"))
        else:
            out[name] = column
    if need_claim and "claim" not in out and not problems:
        problems.append(RowProblem(0, None, None, "map the claim's text: --map claim=COLUMN"))
    if problems:
        raise ImportFailed("--map", problems)
    return out


def read_mapped(
    data: bytes,
    source: str,
    mapping: dict[str, str],
    *,
    dialect: Dialect | None = None,
    header: bool = True,
) -> list[tuple[int, dict[str, str]]]:
    """(line, {field: cell}) per record of a whole file; all problems at once, with lines."""
    problems: list[RowProblem] = []
    rows = []
    for record in iter_mapped(
        io.BytesIO(data), source, mapping, size=len(data), dialect=dialect, header=header
    ):
        if record.problem is not None:
            problems.append(record.problem)
        else:
            rows.append((record.line, record.cells))
    if problems:
        raise ImportFailed(source, problems)
    return rows


@dataclass(frozen=True)
class MappedRecord:
    """One record: its mapped cells, or the problem that made it unreadable; and its raw cells."""

    line: int
    cells: dict[str, str]
    raw: list[str]
    problem: RowProblem | None = None


def iter_mapped(
    stream: IO[bytes],
    source: str,
    mapping: dict[str, str],
    *,
    size: int,
    dialect: Dialect | None = None,
    header: bool = True,
) -> Generator[MappedRecord, None, None]:
    """Stream the records of ``stream`` of ``size`` bytes through ``mapping``.

    An empty file, bad UTF-8, bad quoting or a mapping that names no column
    raise :class:`ImportFailed`; a record too short for the mapping comes
    with its problem (the caller decides whether it ends the import).
    """
    records = iter_records(stream, source, dialect or Dialect(), size=size)
    first = next(records, None)
    if first is None:
        raise ImportFailed(source, [RowProblem(1, None, None, "the file is empty")])
    positions = _positions(first[1], mapping, source, header=header)
    needed = max(positions.values()) + 1
    for line, cells in itertools.chain([] if header else [first], records):
        if len(cells) < needed:
            problem = RowProblem(
                line, None, None, f"has {len(cells)} cells; the mapping reads column {needed}"
            )
            yield MappedRecord(line, {}, cells, problem)
        else:
            yield MappedRecord(line, _pick(cells, positions), cells)


def _pick(cells: list[str], positions: dict[str, int]) -> dict[str, str]:
    return {name: cells[i] for name, i in positions.items()}


def _positions(
    first: list[str], mapping: dict[str, str], source: str, *, header: bool
) -> dict[str, int]:
    names = [h.strip().lstrip("\ufeff") for h in first]
    out = {}
    problems = []
    for field_name, column in mapping.items():
        if header and column in names:
            if names.count(column) > 1:
                problems.append(RowProblem(1, field_name, column, "column appears twice"))
            out[field_name] = names.index(column)
        elif column.isdigit() and 1 <= int(column) <= len(first):
            out[field_name] = int(column) - 1
        elif column.isdigit():
            problems.append(
                RowProblem(
                    1, field_name, column, f"the file has {len(first)} columns (numbered from 1)"
                )
            )
        else:
            shown = ", ".join(names) if header else "(no header: map by position, 1, 2, ...)"
            problems.append(RowProblem(1, field_name, column, f"no such column; columns: {shown}"))
    if problems:
        raise ImportFailed(source, problems)
    return out


def read_labels(data: bytes, source: str) -> dict[str, Verdict]:
    """A label file as {label key: Verdict}; every problem with its line."""
    out: dict[str, Verdict] = {}
    problems: list[RowProblem] = []
    for line, row in read_label_rows(data, source, columns=LABEL_COLUMNS, optional=("stance",)):
        problems += _label_row(line, row, out)
    if problems:
        raise ImportFailed(source, problems)
    return out


def _label_row(line: int, row: dict[str, str], out: dict[str, Verdict]) -> list[RowProblem]:
    label = row["label"]
    status = row["status"]
    reason = row["flag_reason"] or None
    stance = row.get("stance") or None
    rating = row["rating"] or None
    if rating is not None:
        try:
            float(rating)
        except ValueError:
            pass  # a word such as "pants-fire"
        else:
            number = finite_number(line, "rating", rating)
            if isinstance(number, RowProblem):
                return [number]
    if status not in ClaimStatus.__members__:
        allowed = ", ".join(s.value for s in ClaimStatus)
        return [RowProblem(line, "status", status, f"unknown status; allowed: {allowed}")]
    if reason is not None and reason not in FlagReason.__members__:
        allowed = ", ".join(r.value for r in FlagReason)
        return [RowProblem(line, "flag_reason", reason, f"unknown flag reason; allowed: {allowed}")]
    if status == ClaimStatus.flagged and reason is None:
        return [RowProblem(line, "flag_reason", "", "a flagged status needs a flag reason")]
    if status != ClaimStatus.flagged and reason is not None:
        return [RowProblem(line, "flag_reason", reason, "only a flagged status has a reason")]
    if stance is not None and stance not in Stance.__members__:
        allowed = ", ".join(s.value for s in Stance)
        return [RowProblem(line, "stance", stance, f"unknown stance; allowed: {allowed}")]
    st = ClaimStatus(status)
    default = (
        Stance.supports
        if st is ClaimStatus.verified
        else Stance.refutes
        if st is ClaimStatus.flagged
        else Stance.context
    )
    out[label_key(label)] = Verdict(
        label=label,
        status=st,
        flag_reason=FlagReason(reason) if reason else None,
        rating=rating,
        stance=Stance(stance) if stance else default,
    )
    return []
