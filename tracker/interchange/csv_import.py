"""Reading the export's CSV format back: decoding, header checks, unescaping.

Pure of the database; :func:`tracker.services.import_claims_csv` applies the
rows through the same rules as every other path. Files are read as a stream
(:func:`iter_rows` over :func:`decoded_lines`): memory does not grow with the
file, and a bad byte or record is reported with its line.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from ..errors import ImportFailed, RowProblem
from .csv_export import CSV_COLUMNS, DERIVED_COLUMNS
from .csvsafe import unescape_cell

REQUIRED_COLUMNS = (
    "claim_id",
    "article",
    "section",
    "claim",
    "quote",
    "claim_type",
    "status",
    "flag_reason",
    "assignee",
)
KNOWN_COLUMNS = frozenset(CSV_COLUMNS)
# What the import does with an edit to each read-only column: it ignores it and says how
# to make that change instead.
_SOURCES_HINT = "add sources with `tracker source add`"
READ_ONLY_HINTS = {
    "origin": "set when the claim is created",
    "score": "set by the article import",
    "source_count": _SOURCES_HINT,
    "supporting": _SOURCES_HINT,
    "refuting": _SOURCES_HINT,
    "source_urls": _SOURCES_HINT,
    "archived_urls": "archive sources with `tracker archive-sources`",
    "notes": "add notes with `tracker note`",
    "last_reviewed_by": "set by a status change (the status column or `tracker review`)",
    "last_reviewed_at": "set by a status change (the status column or `tracker review`)",
    "confirmation": "confirm a verdict with `tracker confirm`",
    "confirmed_by": "confirm a verdict with `tracker confirm`",
    "confirmed_at": "confirm a verdict with `tracker confirm`",
    "created_at": "set by the tracker",
    "updated_at": "set by the tracker",
    "quote_state": "set by the article import; resolve a lost quote with `tracker lost`",
    "quote_lost_in": "set by the article import; resolve a lost quote with `tracker lost`",
}

_field_limit_lock = threading.Lock()


@contextmanager
def _field_size_limit(at_least: int) -> Iterator[None]:
    """Let the csv module read cells of ``at_least`` characters, for this read only.

    Its default limit (131,072) is below what the export writes: the notes
    cell holds every note of a claim, and neither the number of notes nor the
    sources is bounded. No cell can be longer than the file itself, which is
    the bound used. The limit is process-wide, hence the lock and the restore.
    """
    with _field_limit_lock:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, at_least))
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def _decode(data: bytes, source: str) -> str:
    """A whole (small) file as text; bad UTF-8 is refused with its line, as in a stream."""
    return "".join(decoded_lines(io.BytesIO(data), source))


def decoded_lines(stream: IO[bytes], source: str) -> Iterator[str]:
    """The file's lines as text, one at a time; bad UTF-8 is refused with its line.

    A leading byte-order mark is dropped. Lines keep their line breaks, which
    :mod:`csv` needs to read quoted cells that span lines.
    """
    offset = 0
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 4]
            raise ImportFailed(
                source,
                [
                    RowProblem(
                        number,
                        None,
                        None,
                        f"not valid UTF-8 (byte {bad[:1]!r} at offset "
                        f"{offset + exc.start}); save the file as UTF-8 and try again",
                    )
                ],
            ) from None
        offset += len(raw)
        yield text


def _check_header(header: list[str], source: str) -> None:
    problems: list[RowProblem] = []
    if len(header) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delimiter in header[0]:
                raise ImportFailed(
                    source,
                    [
                        RowProblem(
                            1,
                            None,
                            header[0][:60],
                            f"the header is separated by {name}; tracker reads comma-separated "
                            "files (RFC 4180) such as `tracker export csv` writes",
                        )
                    ],
                )
    dupes = [name for name, n in Counter(header).items() if n > 1]
    for name in dupes:
        problems.append(RowProblem(1, name, None, "column appears more than once in the header"))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(RowProblem(1, None, None, f"missing column(s): {', '.join(missing)}"))
    unknown = [c for c in header if c not in KNOWN_COLUMNS]
    if unknown:
        problems.append(
            RowProblem(
                1,
                None,
                None,
                f"unknown column(s): {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(CSV_COLUMNS)}",
            )
        )
    if problems:
        raise ImportFailed(source, problems)


def read_rows(data: bytes, source: str) -> list[tuple[int, dict[str, str]]]:
    """Parse and unescape a whole file; (line number where the record starts, row)."""
    problems: list[RowProblem] = []
    rows = list(iter_rows(io.BytesIO(data), source, problems, size=len(data)))
    if problems:
        raise ImportFailed(source, problems)
    return rows


def iter_rows(
    stream: IO[bytes], source: str, problems: list[RowProblem], *, size: int
) -> Generator[tuple[int, dict[str, str]], None, None]:
    """Stream (line where the record starts, unescaped row) from ``stream`` of ``size`` bytes.

    A bad header, an empty file or bad UTF-8 raise :class:`ImportFailed` at
    once; a record with the wrong number of cells or bad quoting is added to
    ``problems`` (the caller goes on checking the other rows and reports them
    all). Close the generator when done: it holds the csv field size limit.
    """
    with _field_size_limit(size + 1):
        yield from _parse(decoded_lines(stream, source), source, problems)


def _parse(
    lines: Iterable[str], source: str, problems: list[RowProblem]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(source, [RowProblem(1, None, None, "the file is empty")]) from None
    except csv.Error as exc:
        raise ImportFailed(source, [RowProblem(1, None, None, f"bad CSV: {exc}")]) from None
    header = [h.strip() for h in header]
    _check_header(header, source)
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(line, None, None, f"bad CSV: {exc}"))
            break
        if cells and len(cells) != len(header):
            problems.append(
                RowProblem(
                    line,
                    None,
                    None,
                    f"has {len(cells)} cells but the header has {len(header)} columns",
                )
            )
        elif cells:
            yield line, {h: unescape_cell(v) for h, v in zip(header, cells, strict=True)}
        line = reader.line_num + 1


__all__ = [
    "DERIVED_COLUMNS",
    "KNOWN_COLUMNS",
    "READ_ONLY_HINTS",
    "REQUIRED_COLUMNS",
    "decoded_lines",
    "iter_rows",
    "read_rows",
]
