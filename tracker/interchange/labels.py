"""Label files: the one reader of the CSV files that say what another desk's labels mean.

Two commands read a label file, each with its own columns:

- ``tracker import csv --map ... --labels FILE``: ``label,status,flag_reason,
  rating`` and optionally ``stance`` (read by :func:`tracker.interchange.mapping.read_labels`);
- ``tracker import factchecks --labels FILE``: ``label,rating_value,rating_name``,
  the header optional (read by :func:`tracker.matching.feeds.read_labels`).

Both go through :func:`read_label_rows` here: UTF-8, RFC 4180, a label at
most once (case and spacing aside), every problem with its line. A rating
that is a number must be a finite one (:func:`finite_number`).
"""

from __future__ import annotations

import csv
import math

from ..errors import ImportFailed, RowProblem
from .csv_import import _decode


def label_key(label: str) -> str:
    """Labels match case-insensitively, with spaces trimmed and collapsed."""
    return " ".join(label.split()).casefold()


def read_label_rows(
    data: bytes,
    source: str,
    *,
    columns: tuple[str, ...],
    optional: tuple[str, ...] = (),
    header_optional: bool = False,
) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: trimmed cell}) per label; :class:`ImportFailed` lists every problem.

    The first row is the header when it starts with ``label`` (required
    unless ``header_optional``: then rows without one hold ``columns`` in order).
    """
    text = _decode(data, source)
    problems: list[RowProblem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    reader = csv.reader(_lines(text), strict=True)
    header: list[str] | None = None
    seen: dict[str, int] = {}
    line = 1
    try:
        for cells in reader:
            here, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                names = [c.strip().lower() for c in cells]
                if names[:1] == ["label"] or not header_optional:
                    header = names
                    _check_header(header, columns, optional, source)
                    continue
                header = list(columns)
            if len(cells) != len(header):
                shown = ",".join(cells)
                problems.append(
                    RowProblem(
                        here, None, shown, f"expected {len(header)} cells: {','.join(header)}"
                    )
                )
                continue
            row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
            label = row.get("label", "")
            if not label:
                problems.append(RowProblem(here, "label", "", "a label is required"))
            elif label_key(label) in seen:
                problems.append(
                    RowProblem(
                        here,
                        "label",
                        label,
                        f"label appears twice (first on line {seen[label_key(label)]})",
                    )
                )
            else:
                seen[label_key(label)] = here
                rows.append((here, row))
    except csv.Error as exc:
        problems.append(RowProblem(line, None, None, f"bad CSV: {exc}"))
    if header is None:
        problems.append(RowProblem(1, None, None, "the label file is empty"))
    if problems:
        raise ImportFailed(source, problems)
    return rows


def _lines(text: str) -> list[str]:
    # split on line breaks only (str.splitlines would also split on form feeds and the like)
    return [line + "\n" for line in text.split("\n")]


def _check_header(
    header: list[str], columns: tuple[str, ...], optional: tuple[str, ...], source: str
) -> None:
    """Missing or repeated columns; other columns are left alone (notes, say)."""
    missing = [c for c in columns if c not in header]
    twice = sorted({c for c in header if header.count(c) > 1})
    reasons = []
    if missing:
        reasons.append(f"missing column(s): {', '.join(missing)}")
    if twice:
        reasons.append(f"column(s) appearing twice: {', '.join(twice)}")
    if reasons:
        shape = ",".join(columns) + "".join(f"[,{c}]" for c in optional)
        raise ImportFailed(
            source,
            [RowProblem(1, None, None, f"{'; '.join(reasons)}; a label file here has {shape}")],
        )


def finite_number(line: int, field: str, text: str) -> float | RowProblem:
    """``text`` as a finite number, or the problem: ``1e999``, ``inf`` and ``nan`` are refused."""
    try:
        value = float(text)
    except ValueError:
        return RowProblem(line, field, text, "not a number")
    if not math.isfinite(value):
        return RowProblem(line, field, text, "not a finite number (infinity or NaN)")
    return value


__all__ = ["finite_number", "label_key", "read_label_rows"]
