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

Pure of the database; :func:`tracker.services.import_mapped_csv` applies rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import IO

from ..errors import ImportFailed, RowProblem
from ..models import ClaimStatus, FlagReason, Stance
from .csv_import import _decode, _field_size_limit, decoded_lines

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
DELIMITERS = {"tab": "\t", "\\t": "\t", "\t": "\t", ",": ",", ";": ";", "|": "|", "comma": ","}
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


def label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def parse_delimiter(value: str | None) -> str:
    if value is None:
        return ","
    found = DELIMITERS.get(value.lower() if len(value) > 1 else value)
    if found is None:
        raise ImportFailed(
            "--delimiter",
            [RowProblem(0, None, value, "use one of: TAB, ',', ';', '|'")],
        )
    return found


def parse_map(specs: Sequence[str]) -> dict[str, str]:
    """``["claim=statement", ...]`` as {field: column}; problems name the option."""
    out: dict[str, str] = {}
    problems = []
    for spec in specs:
        name, sep, column = spec.partition("=")
        name = SYNONYMS.get(name.strip(), name.strip())
        column = column.strip()
        if not sep or not column:
            problems.append(RowProblem(0, None, spec, "write --map FIELD=COLUMN"))
        elif name not in FIELDS:
            problems.append(
                RowProblem(0, None, spec, f"unknown field {name!r}; known: {', '.join(FIELDS)}")
            )
        elif name in out:
            problems.append(RowProblem(0, None, spec, f"field {name!r} mapped twice"))
        else:
            out[name] = column
    if "claim" not in out and not problems:
        problems.append(RowProblem(0, None, None, "map the claim's text: --map claim=COLUMN"))
    if problems:
        raise ImportFailed("--map", problems)
    return out


def read_mapped(
    data: bytes,
    source: str,
    mapping: dict[str, str],
    *,
    delimiter: str = ",",
    header: bool = True,
) -> list[tuple[int, dict[str, str]]]:
    """(line, {field: cell}) per record of a whole file; all problems at once, with lines."""
    problems: list[RowProblem] = []
    rows = list(
        iter_mapped(
            io.BytesIO(data),
            source,
            mapping,
            problems,
            size=len(data),
            delimiter=delimiter,
            header=header,
        )
    )
    if problems:
        raise ImportFailed(source, problems)
    return rows


def iter_mapped(
    stream: IO[bytes],
    source: str,
    mapping: dict[str, str],
    problems: list[RowProblem],
    *,
    size: int,
    delimiter: str = ",",
    header: bool = True,
) -> Generator[tuple[int, dict[str, str]], None, None]:
    """Stream (line, {field: cell}) from ``stream`` of ``size`` bytes.

    An empty file, bad UTF-8 or a mapping that names no column raise
    :class:`ImportFailed` at once; a short or badly quoted record goes to
    ``problems`` and the reading goes on (bad quoting ends it). Close the
    generator when done: it holds the csv field size limit.
    """
    with _field_size_limit(size + 1):
        reader = csv.reader(decoded_lines(stream, source), delimiter=delimiter, strict=True)
        try:
            first = next(reader)
        except StopIteration:
            raise ImportFailed(source, [RowProblem(1, None, None, "the file is empty")]) from None
        except csv.Error as exc:
            raise ImportFailed(source, [RowProblem(1, None, None, f"bad CSV: {exc}")]) from None
        positions = _positions(first, mapping, source, header=header)
        if not header:
            yield 1, _pick(first, positions)
        needed = max(positions.values()) + 1
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(RowProblem(line, None, None, f"bad CSV: {exc}"))
                break
            if not cells or all(not c.strip() for c in cells):
                pass  # blank line
            elif len(cells) < needed:
                problems.append(
                    RowProblem(
                        line,
                        None,
                        None,
                        f"has {len(cells)} cells; the mapping reads column {needed}",
                    )
                )
            else:
                yield line, _pick(cells, positions)
            line = reader.line_num + 1


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
    text = _decode(data, source)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in LABEL_COLUMNS if c not in header]
    if missing:
        raise ImportFailed(
            source,
            [
                RowProblem(
                    1,
                    None,
                    None,
                    f"missing column(s): {', '.join(missing)}; a label file has "
                    "label,status,flag_reason,rating (and optionally stance)",
                )
            ],
        )
    reader.fieldnames = header
    out: dict[str, Verdict] = {}
    problems: list[RowProblem] = []
    line = 2
    try:
        for row in reader:
            problems += _label_row(line, row, out)
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(RowProblem(line, None, None, f"bad CSV: {exc}"))
    if problems:
        raise ImportFailed(source, problems)
    return out


def _label_row(line: int, row: dict[str, str], out: dict[str, Verdict]) -> list[RowProblem]:
    label = (row.get("label") or "").strip()
    status = (row.get("status") or "").strip()
    reason = (row.get("flag_reason") or "").strip() or None
    stance = (row.get("stance") or "").strip() or None
    if not label:
        return [RowProblem(line, "label", "", "a label is required")]
    if label_key(label) in out:
        return [RowProblem(line, "label", label, "label appears twice")]
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
        rating=(row.get("rating") or "").strip() or None,
        stance=Stance(stance) if stance else default,
    )
    return []
