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

import hashlib
import io
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ImportFailed, RowProblem, ValidationFailed
from ..interchange.csv_import import _decode
from ..interchange.labels import finite_number, label_key, read_label_rows
from ..interchange.rejects import Rejects
from ..interchange.tables import TAB, Dialect, iter_records, make_dialect
from ..localfiles import read_file
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
        place = self.places.get(label_key(record.rating_label or ""))
        if place is None:
            return record
        return replace(record, rating_value=place[0], rating_name=place[1])


def read_labels(path: Path) -> Scale:
    """CSV ``label,rating_value,rating_name`` (the header row is optional)."""
    source = str(path)
    problems: list[RowProblem] = []
    places: dict[str, tuple[float, str]] = {}
    rows = read_label_rows(
        read_file(source),
        source,
        columns=("label", "rating_value", "rating_name"),
        header_optional=True,
    )
    for line, row in rows:
        value = finite_number(line, "rating_value", row["rating_value"])
        try:
            name = clean_field(Reference, "rating_name", row["rating_name"], label="rating_name")
        except ValidationFailed as exc:
            problems.append(RowProblem(line, "rating_name", row["rating_name"], str(exc)))
            continue
        if isinstance(value, RowProblem):
            problems.append(value)
        else:
            places[label_key(row["label"])] = (value, name or "")
    if problems:
        raise ImportFailed(source, problems)
    return Scale(places)


def read_references(
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool = True,
    rejects: Rejects | None = None,
) -> list[ReferenceRecord]:
    """Every record in ``path``, or :class:`ImportFailed` listing every bad one.

    With ``rejects``, a bad record (a row, a JSON item, a JSON line) is
    written there and left out; a file that cannot be read as a whole (bad
    UTF-8, broken JSON, bad quoting, an unknown column) still fails.
    """
    for name in mapping or {}:
        if name not in FIELDS:
            raise ValidationFailed(
                f"--map {name}=...: unknown field {name!r}; fields: {', '.join(FIELDS)}"
            )
    source = str(path)
    data = read_file(source)  # a regular file within the size limit
    problems: list[RowProblem] = []
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"[") and not mapping and delimiter is None:
        text = _decode(data, source)
        items: Iterator[_Item] = _json_items(text, source)
    else:
        if delimiter is None:
            delimiter = TAB if path.suffix.lower() in (".tsv", ".tab") else ","
        dialect = make_dialect(delimiter, quote)
        items = _table_rows(data, source, mapping or {}, dialect, header)
    kept = []
    for item in items:
        if not item.problems and item.record is not None:
            kept.append(item.record)
        elif rejects is not None and item.raw is not None:
            rejects.add(item.line, item.problems, item.raw)
        else:
            problems += item.problems
    if not problems and not kept and not (rejects and rejects.count):
        problems.append(RowProblem(1, None, None, "no fact-checks found in the file"))
    if problems:
        raise ImportFailed(source, sorted(problems, key=lambda p: p.line))
    return kept


@dataclass(frozen=True)
class _Item:
    """One record read, or the problems that refused it; ``raw`` is what the file held.

    An item without ``raw`` is a problem with the whole file: never skipped.
    """

    line: int
    record: ReferenceRecord | None
    problems: list[RowProblem]
    raw: list[str] | None


# --- JSON-LD -------------------------------------------------------------------


class _BadJSON(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _BadJSON(f"{name} is not a JSON value")


# Numbers are kept as the file writes them: no rounding, no 4,300-digit limit, no inf.
_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=_refuse_constant)


class _Lines:
    """Line numbers of offsets into one text, asked in increasing order (linear overall)."""

    def __init__(self, text: str, base: int = 1) -> None:
        self.text, self.offset, self.line, self.base = text, 0, base, base

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, self.base
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _decode_at(text: str, pos: int, lines: _Lines) -> tuple[Any, int]:
    """The JSON value at ``text[pos]`` and where it ends; a problem is :class:`_BadJSON`."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        line = lines.at(exc.pos)
        raise _BadJSON(f"line {line}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise _BadJSON(f"line {lines.at(pos)}: not read: nested too deeply") from None
    except _BadJSON as exc:
        raise _BadJSON(f"line {lines.at(pos)}: not valid JSON: {exc}") from None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _array_spans(text: str, pos: int) -> Iterator[tuple[int, int, Any]]:
    """(start, end, element) of the JSON array at ``text[pos] == '['`` (already known valid)."""
    pos = _skip_space(text, pos + 1)
    lines = _Lines(text)
    while pos < len(text) and text[pos] != "]":
        item, end = _decode_at(text, pos, lines)
        yield pos, end, item
        pos = _skip_space(text, end)
        if text[pos : pos + 1] == ",":
            pos = _skip_space(text, pos + 1)


def _member_at(text: str, pos: int, key: str) -> int | None:
    """Where the value of the object member ``key`` starts (the last one, as JSON reads it)."""
    lines = _Lines(text)
    found = None
    pos = _skip_space(text, pos + 1)
    while pos < len(text) and text[pos] != "}":
        name, end = _decode_at(text, pos, lines)
        pos = _skip_space(text, _skip_space(text, end) + 1)  # past the colon
        _, end = _decode_at(text, pos, lines)
        if name == key:
            found = pos
        pos = _skip_space(text, end)
        if text[pos : pos + 1] == ",":
            pos = _skip_space(text, pos + 1)
    return found


def _json_items(text: str, source: str) -> Iterator[_Item]:
    """The ClaimReviews of an object, an array, a DataFeed or JSON Lines, one by one."""
    start = _skip_space(text, 0)
    lines = _Lines(text)
    try:
        value, end = _decode_at(text, start, lines)
        if text[end:].strip():  # more after the first value: JSON Lines
            yield from _json_lines(text)
            return
        yield from _expand(text, start, end, value, lines, in_array=False)
    except _BadJSON as exc:
        raise ImportFailed(source, [_file_problem(str(exc))]) from None


def _file_problem(message: str) -> RowProblem:
    where, _, reason = message.partition(": ")
    return RowProblem(int(where.removeprefix("line ")), None, None, reason)


def _json_lines(text: str) -> Iterator[_Item]:
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        lines = _Lines(line, number)
        try:
            value, _ = _decode_at(line, _skip_space(line, 0), lines)
        except _BadJSON as exc:
            yield _Item(number, None, [_file_problem(str(exc))], [line.rstrip("\r")])
            continue
        yield from _expand(
            line, _skip_space(line, 0), len(line.rstrip()), value, lines, in_array=False
        )


def _expand(
    text: str, start: int, end: int, value: Any, lines: _Lines, *, in_array: bool
) -> Iterator[_Item]:
    """The ClaimReviews in the JSON value ``text[start:end]``.

    A document may be an array of ClaimReviews or DataFeeds; a feed's elements
    are ClaimReviews (or wrap one in ``item``): deeper nesting is refused.
    """
    line = lines.at(start)
    raw = [text[start:end]]
    if isinstance(value, list) and not in_array:
        for item_start, item_end, item in _array_spans(text, start):
            yield from _expand(text, item_start, item_end, item, lines, in_array=True)
        return
    if isinstance(value, dict) and _type(value) == "DataFeed":
        elements = value.get("dataFeedElement")
        at = _member_at(text, start, "dataFeedElement")
        if not isinstance(elements, list) or at is None:
            problem = RowProblem(
                line, "dataFeedElement", None, "a DataFeed needs a list of elements"
            )
            yield _Item(line, None, [problem], raw)
            return
        for item_start, item_end, item in _array_spans(text, at):
            inner = item.get("item") if isinstance(item, dict) and "item" in item else item
            yield _claim_review(lines.at(item_start), inner, [text[item_start:item_end]])
        return
    if isinstance(value, dict) and "item" in value and "claimReviewed" not in value:
        value = value["item"]  # a DataFeedItem on its own (e.g. one JSON line)
    yield _claim_review(line, value, raw)


def _claim_review(line: int, obj: Any, raw: list[str]) -> _Item:
    problems: list[RowProblem] = []
    record = _from_claim_review(line, obj, problems)
    return _Item(line, record, problems, raw)


def _type(obj: Mapping[str, Any]) -> str:
    kind = obj.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    names = [k for k in kinds if isinstance(k, str)]
    return next((k for k in names if k in ("ClaimReview", "DataFeed")), names[0] if names else "")


def _name(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("url")
    return value


def _appearance(item_reviewed: Mapping[str, Any]) -> Any:
    value = item_reviewed.get("appearance") or item_reviewed.get("firstAppearance")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("name")
    return value


def _from_claim_review(line: int, obj: Any, problems: list[RowProblem]) -> ReferenceRecord | None:
    if not isinstance(obj, dict):
        problems.append(
            RowProblem(line, None, None, f"expected a ClaimReview object, not {_kind(obj)}")
        )
        return None
    if "@type" in obj and _type(obj) != "ClaimReview":
        kind = _type(obj)
        if kind == "DataFeed":
            reason = "a DataFeed inside a feed is not read; list its ClaimReviews in the outer feed"
        elif not kind:
            reason = "empty; expected ClaimReview"
        else:
            reason = "not a ClaimReview"
        problems.append(RowProblem(line, "@type", kind, reason))
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
        "rating": label,
        "publisher": _name(obj.get("author")),
        "claimant": _name(reviewed.get("author")),
        "appearance": _appearance(reviewed),
        "date": obj.get("datePublished"),
    }
    return _record(line, values, problems, json_names=_JSON_NAMES)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool) or value is None:
        return "true, false or null"
    return "a number" if isinstance(value, int | float) else "a string"


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
    data: bytes,
    source: str,
    mapping: Mapping[str, str],
    dialect: Dialect,
    header: bool,
) -> Iterator[_Item]:
    records = iter_records(io.BytesIO(data), source, dialect, size=len(data))
    columns: list[str] = []
    first = next(records, None)
    if header and first is not None:
        columns = [c.strip() for c in first[1]]
    chosen = dict(mapping) or {f: f for f in FIELDS if f in columns}
    if "claim" not in chosen:
        problem = RowProblem(1, "claim", None, "no column for the claim; give --map claim=COLUMN")
        yield _Item(1, None, [problem], None)
        return
    where: dict[str, int] = {}
    for name, column in chosen.items():
        if column in columns:
            where[name] = columns.index(column)
        elif column.isdigit() and int(column) >= 1:
            where[name] = int(column) - 1
        else:
            known = ", ".join(repr(c) for c in columns) if columns else "none (--no-header)"
            problem = RowProblem(1, name, column, f"no such column; columns: {known}")
            yield _Item(1, None, [problem], None)
    if len(where) != len(chosen):
        return
    rows = records if header or first is None else itertools.chain([first], records)
    for line, row in rows:
        values: dict[str, Any] = {}
        for name, index in where.items():
            values[name] = row[index] if index < len(row) else None
        problems: list[RowProblem] = []
        record = _record(line, values, problems, json_names=chosen)
        yield _Item(line, record, problems, row)


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
        if raw is not None and not isinstance(raw, str):
            bad(name, None, f"expected text, not {_kind(raw)}")
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
