"""Reading other tools' delimited text: the one reader of foreign CSV and TSV files.

Two formats, told apart by the delimiter:

- **TSV** (tab-separated values, as IANA registers ``text/tab-separated-values``):
  a record is a line, its fields are separated by tabs, and nothing is quoted.
  A ``"`` is an ordinary character, so a statement that starts, contains or
  ends with one is read byte for byte. ``--quote '"'`` reads a tab-separated
  file that does quote its cells (as spreadsheets sometimes write them).
- **CSV** (any other delimiter): RFC 4180, cells may be quoted with ``"``
  (another quote character with ``--quote``, none with ``--quote none``).

Both ``tracker import csv --map`` and ``tracker import factchecks`` read
through :func:`iter_records`; their readers pick and check the cells.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from ..errors import ImportFailed, RowProblem
from .csv_import import _field_size_limit, decoded_lines

TAB = "\t"
_NAMED = {
    "tab": TAB,
    "\\t": TAB,
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
}
_NO_QUOTE = ("none", "")


@dataclass(frozen=True)
class Dialect:
    """How a file's records split into cells."""

    delimiter: str = ","
    quote: str | None = '"'

    @property
    def name(self) -> str:
        return "TSV" if self.delimiter == TAB and self.quote is None else "CSV"


def parse_delimiter(value: str | None, *, default: str = ",") -> str:
    """``--delimiter``: TAB, COMMA, SEMICOLON, PIPE (any case) or one character."""
    if value is None:
        return default
    found = _NAMED.get(value.lower(), value)
    if len(found) != 1 or found in "\r\n\"'" or found.isalnum():
        raise ImportFailed(
            "--delimiter",
            [
                RowProblem(
                    0, None, value, "use TAB, COMMA, SEMICOLON, PIPE or one punctuation character"
                )
            ],
        )
    return found


def make_dialect(delimiter: str, quote: str | None = None) -> Dialect:
    """The dialect for ``delimiter`` and ``--quote`` (None: TSV unquoted, CSV with ``"``)."""
    if quote is None:
        return Dialect(delimiter, None if delimiter == TAB else '"')
    if quote.lower() in _NO_QUOTE:
        return Dialect(delimiter, None)
    if len(quote) != 1 or quote in ("\r", "\n", delimiter):
        raise ImportFailed(
            "--quote",
            [RowProblem(0, None, quote, "give one character other than the delimiter, or none")],
        )
    return Dialect(delimiter, quote)


def iter_records(
    stream: IO[bytes], source: str, dialect: Dialect, *, size: int
) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells) for every record of ``stream``.

    Blank lines are left out. Bad UTF-8 and (in a quoted file) bad quoting
    raise :class:`ImportFailed` with the line: the records after it cannot be
    told apart, so the file is refused whole.
    """
    lines = decoded_lines(stream, source)
    if dialect.quote is None:
        for number, text in enumerate(lines, start=1):
            text = text[:-1] if text.endswith("\n") else text
            text = text[:-1] if text.endswith("\r") else text
            if text.strip():
                yield number, text.split(dialect.delimiter)
        return
    with _field_size_limit(size + 1):
        reader = csv.reader(
            lines, delimiter=dialect.delimiter, quotechar=dialect.quote, strict=True
        )
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                hint = (
                    "; a tab-separated file is read unquoted unless --quote is given"
                    if dialect.delimiter == TAB
                    else ""
                )
                raise ImportFailed(
                    source, [RowProblem(line, None, None, f"bad {dialect.name}: {exc}{hint}")]
                ) from None
            if any(c.strip() for c in cells):
                yield line, cells
            line = reader.line_num + 1


__all__ = ["TAB", "Dialect", "iter_records", "make_dialect", "parse_delimiter"]
