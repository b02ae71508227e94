"""Pure: read published fact-checks into :class:`ReferenceRecord` s, or every problem found.

Formats (detected from the content, then the file name):

- schema.org ``ClaimReview`` JSON-LD: one object, an array of them, a
  ``DataFeed`` whose ``dataFeedElement`` items are ClaimReviews or wrap one in
  ``item``, or JSON Lines of any of those. Fields read: ``claimReviewed``,
  ``headline`` or ``name``, ``reviewRating.alternateName`` (else
  ``ratingValue``), ``url``, ``author.name``, ``datePublished``,
  ``itemReviewed.author`` and ``itemReviewed.appearance``.
- CSV or TSV with a column mapping ``FIELD=COLUMN`` (a header name, or a
  1-based position), e.g. ``claim=vclaim``; without a mapping, columns named
  like the fields are used.

Nothing is written here; problems carry the line number, the field and the
value (:class:`tracker.errors.RowProblem`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ImportFailed, RowProblem, ValidationFailed
from ..models import Reference
from ..validation import clean_field, validate_url

FIELDS = (
    "claim",
    "title",
    "url",
    "rating",
    "publisher",
    "claimant",
    "appearance",
    "date",
    "id",
)
# the record attribute each mapped field fills, and its column on Reference
_ATTR = {"rating": "rating_label", "date": "published", "id": "external_id"}


@dataclass(frozen=True)
class ReferenceRecord:
    line: int
    claim: str
    url: str | None = None
    external_id: str | None = None
    title: str | None = None
    publisher: str | None = None
    rating_label: str | None = None
    rating_value: float | None = None
    rating_name: str | None = None
    claimant: str | None = None
    appearance: str | None = None
    published: date | None = None

    @property
    def key(self) -> str:
        """Identity: URL (else the publisher's id) and claim."""
        who = self.url or f"id:{self.external_id or ''}"
        return hashlib.sha256(f"{who}\n{self.claim}".encode()).hexdigest()


@dataclass(frozen=True)
class Scale:
    """The desk's place for each publisher label (``--labels``), matched case-insensitively."""

    places: Mapping[str, tuple[float, str]] = field(default_factory=dict)

    def apply(self, record: ReferenceRecord) -> ReferenceRecord:
        place = self.places.get((record.rating_label or "").strip().lower())
        if place is None:
            return record
        return replace(record, rating_value=place[0], rating_name=place[1])


def read_labels(path: Path) -> Scale:
    """CSV ``label,rating_value,rating_name`` (a header row is optional)."""
    problems: list[RowProblem] = []
    places: dict[str, tuple[float, str]] = {}
    with _open(path) as fh:
        reader = csv.reader(fh)
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip():
                continue
            if line == 1 and [c.strip().lower() for c in row[:2]] == ["label", "rating_value"]:
                continue
            if len(row) != 3:
                problems.append(
                    RowProblem(line, None, ",".join(row), "expected label,rating_value,rating_name")
                )
                continue
            label, value, name = (c.strip() for c in row)
            try:
                places[label.lower()] = (float(value), name)
            except ValueError:
                problems.append(RowProblem(line, "rating_value", value, "not a number"))
    if problems:
        raise ImportFailed(str(path), problems)
    return Scale(places)


def _open(path: Path) -> io.TextIOWrapper:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ValidationFailed(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValidationFailed(f"{path} is a folder, not a file") from None


def read_references(
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    header: bool = True,
) -> list[ReferenceRecord]:
    """Every record in ``path``, or :class:`ImportFailed` listing every bad one."""
    for name in mapping or {}:
        if name not in FIELDS:
            raise ValidationFailed(
                f"--map {name}=...: unknown field {name!r}; fields: {', '.join(FIELDS)}"
            )
    with _open(path) as fh:
        try:
            content = fh.read()
        except UnicodeDecodeError as exc:
            raise ValidationFailed(f"{path} is not UTF-8 text ({exc.reason})") from None
    problems: list[RowProblem] = []
    stripped = content.lstrip()
    is_json = stripped[:1] in ("{", "[") and not mapping and delimiter is None
    if is_json:
        raw = list(_json_items(content, problems))
        records = [_from_claim_review(line, item, problems) for line, item in raw]
    else:
        records = list(_table_rows(path, content, mapping or {}, delimiter, header, problems))
    kept = [r for r in records if r is not None]
    if not problems and not kept:
        problems.append(RowProblem(1, None, None, "no fact-checks found in the file"))
    if problems:
        raise ImportFailed(str(path), sorted(problems, key=lambda p: p.line))
    return kept


# --- JSON-LD -------------------------------------------------------------------


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_items(text: str, problems: list[RowProblem]) -> Iterator[tuple[int, Any]]:
    """(line, ClaimReview-ish object) for an object, an array, a DataFeed or JSON Lines."""
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    try:
        value, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        problems.append(RowProblem(exc.lineno, None, None, f"not valid JSON: {exc.msg}"))
        return
    if text[end:].strip():  # more after the first value: JSON Lines
        yield from _json_lines(text, problems)
        return
    yield from _expand(text, start, value, problems)


def _json_lines(text: str, problems: list[RowProblem]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(RowProblem(number, None, None, f"not valid JSON: {exc.msg}"))
            continue
        for _, item in _expand(line, 0, value, problems, base_line=number):
            yield number, item


def _expand(
    text: str, offset: int, value: Any, problems: list[RowProblem], base_line: int = 0
) -> Iterator[tuple[int, Any]]:
    """The ClaimReviews in one JSON value that starts at ``offset`` of ``text``."""
    line = base_line or _line_of(text, offset)
    if isinstance(value, list):
        for item_offset, item in _array_offsets(text, offset):
            yield from _expand(text, item_offset, item, problems, base_line)
        return
    if isinstance(value, dict) and _type(value) == "DataFeed":
        elements = value.get("dataFeedElement")
        if not isinstance(elements, list):
            problems.append(
                RowProblem(line, "dataFeedElement", None, "a DataFeed needs a list of elements")
            )
            return
        key_at = text.find('"dataFeedElement"', offset)
        array_at = text.find("[", key_at)
        for item_offset, item in _array_offsets(text, array_at):
            inner = item.get("item") if isinstance(item, dict) and "item" in item else item
            yield (base_line or _line_of(text, item_offset)), inner
        return
    if isinstance(value, dict) and "item" in value and "claimReviewed" not in value:
        value = value["item"]  # a DataFeedItem on its own (e.g. one JSON line)
    yield line, value


def _array_offsets(text: str, offset: int) -> Iterator[tuple[int, Any]]:
    """(offset, element) of the JSON array starting at ``text[offset] == '['``."""
    decoder = json.JSONDecoder()
    pos = offset + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        item, end = decoder.raw_decode(text, pos)
        yield pos, item
        pos = end


def _type(obj: Mapping[str, Any]) -> str:
    kind = obj.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return next((str(k) for k in kinds if k in ("ClaimReview", "DataFeed")), str(kinds[0]))


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("url")
    return None if value is None else str(value)


def _appearance(item_reviewed: Mapping[str, Any]) -> str | None:
    value = item_reviewed.get("appearance") or item_reviewed.get("firstAppearance")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("name")
    return None if value is None else str(value)


def _from_claim_review(line: int, obj: Any, problems: list[RowProblem]) -> ReferenceRecord | None:
    if not isinstance(obj, dict):
        problems.append(RowProblem(line, None, None, "expected a ClaimReview object"))
        return None
    if "@type" in obj and _type(obj) != "ClaimReview":
        problems.append(RowProblem(line, "@type", _type(obj), "not a ClaimReview"))
        return None
    rating = obj.get("reviewRating") or {}
    rating = rating[0] if isinstance(rating, list) and rating else rating
    label = None
    if isinstance(rating, dict):
        label = rating.get("alternateName") or rating.get("ratingValue")
    item = obj.get("itemReviewed")
    reviewed: dict[str, Any] = item if isinstance(item, dict) else {}
    values = {
        "claim": obj.get("claimReviewed"),
        "title": obj.get("headline") or obj.get("name"),
        "url": obj.get("url"),
        "rating": None if label is None else str(label),
        "publisher": _name(obj.get("author")),
        "claimant": _name(reviewed.get("author")),
        "appearance": _appearance(reviewed),
        "date": obj.get("datePublished"),
    }
    return _record(line, values, problems, json_names=_JSON_NAMES)


_JSON_NAMES = {
    "claim": "claimReviewed",
    "title": "headline",
    "url": "url",
    "rating": "reviewRating.alternateName",
    "publisher": "author.name",
    "claimant": "itemReviewed.author",
    "appearance": "itemReviewed.appearance",
    "date": "datePublished",
}


# --- CSV / TSV -------------------------------------------------------------------


def _table_rows(
    path: Path,
    content: str,
    mapping: Mapping[str, str],
    delimiter: str | None,
    header: bool,
    problems: list[RowProblem],
) -> Iterator[ReferenceRecord | None]:
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    columns: list[str] = []
    if header:
        columns = [c.strip() for c in next(reader, [])]
    chosen = dict(mapping) or {f: f for f in FIELDS if f in columns}
    if "claim" not in chosen:
        problems.append(
            RowProblem(1, "claim", None, "no column for the claim; give --map claim=COLUMN")
        )
        return
    where: dict[str, int] = {}
    for name, column in chosen.items():
        if column in columns:
            where[name] = columns.index(column)
        elif column.isdigit() and int(column) >= 1:
            where[name] = int(column) - 1
        else:
            known = ", ".join(repr(c) for c in columns) if columns else "none (--no-header)"
            problems.append(RowProblem(1, name, column, f"no such column; columns: {known}"))
    if len(where) != len(chosen):
        return
    for row in reader:
        line = reader.line_num
        if not row or not "".join(row).strip():
            continue
        values: dict[str, Any] = {}
        for name, index in where.items():
            values[name] = row[index] if index < len(row) else None
        yield _record(line, values, problems, json_names=chosen)


# --- one record -------------------------------------------------------------------


def _record(
    line: int,
    values: Mapping[str, Any],
    problems: list[RowProblem],
    *,
    json_names: Mapping[str, str],
) -> ReferenceRecord | None:
    out: dict[str, Any] = {}
    before = len(problems)

    def bad(name: str, value: Any, reason: str) -> None:
        shown = None if value is None else str(value)
        problems.append(RowProblem(line, json_names.get(name, name), shown, reason))

    for name in FIELDS:
        raw = values.get(name)
        if raw is not None and not isinstance(raw, str | int | float):
            bad(name, json.dumps(raw)[:80], "expected text")
            continue
        value = None if raw is None else str(raw).strip() or None
        attr = _ATTR.get(name, name)
        try:
            if name == "url" and value is not None:
                out[attr] = validate_url(value, "url")
            elif name == "date" and value is not None:
                out[attr] = date.fromisoformat(value[:10])
            elif name == "claim":
                out[attr] = clean_field(Reference, "claim", value, label="claim")
            elif value is not None:
                out[attr] = clean_field(Reference, attr, value, required=False, multiline=False)
        except ValidationFailed as exc:
            bad(name, value, str(exc))
        except ValueError:
            bad(name, value, "not a date (YYYY-MM-DD)")
    if len(problems) > before:
        return None
    return ReferenceRecord(line=line, **out)
