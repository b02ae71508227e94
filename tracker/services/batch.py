"""What the CSV imports share: streaming the file, chunks, multi-row INSERTs of claims.

:mod:`tracker.services.imports` (the export's format) and
:mod:`tracker.services.mapped_import` (another tracker's) read a file as a
stream, check rows a chunk at a time with the use cases' rule functions and
write each chunk's new claims with one multi-row INSERT.
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from sqlalchemy import Table, insert, text
from sqlmodel import Session

from .. import bulk
from ..errors import RowProblem
from ..localfiles import open_text
from ..models import (
    Claim,
    Note,
    Source,
)

T = TypeVar("T")


class Rollback(Exception):
    """Raised inside the unit of work to undo a dry run."""


CHUNK_ROWS = 2_000  # rows checked, then written with one INSERT per table
_CLAIMS: Table = Claim.__table__  # type: ignore[attr-defined]
_SOURCES: Table = Source.__table__  # type: ignore[attr-defined]
_NOTES: Table = Note.__table__  # type: ignore[attr-defined]


@contextmanager
def opened(path: Path | None, data: bytes | None) -> Iterator[tuple[IO[bytes], int]]:
    """The bytes to import and their size: ``data``, or the file streamed from ``path``."""
    if data is not None:
        yield io.BytesIO(data), len(data)
        return
    if path is None:
        raise ValueError("give path or data")
    with open_text(str(path)) as text:  # a regular file within the size limit
        yield cast(IO[bytes], text.buffer), os.fstat(text.fileno()).st_size


def chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def by_line(problem: RowProblem) -> int:
    return problem.line


@dataclass(frozen=True)
class ArticleText:
    """An article's slug and text: what the quote rules read (not the ORM row)."""

    id: int
    slug: str
    text: str


def insert_claims(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT; the new ids in the order of ``rows``.

    Every row gets the same columns (a multi-row INSERT has one column list):
    one a row leaves out is NULL, or 0 for ``source_count``.
    """
    keys: set[str] = set().union(*rows)
    if any(len(r) != len(keys) for r in rows):
        blank = {k: 0 if k == "source_count" else None for k in keys}
        rows = [blank | r for r in rows]
    if session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy inserts row by row when asked to keep the parameters' order on
        # SQLite; one multi-row INSERT gives each row the next rowid in VALUES order
        # (the write lock is held), so the ids sorted are in the order of ``rows``.
        result = session.execute(insert(_CLAIMS).returning(_CLAIMS.c.id), rows)
        return sorted(int(i) for i in result.scalars())
    # PostgreSQL: the ids drawn from the claim sequence first, then the rows
    ids = sorted(
        int(i)
        for i in session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('claim', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(rows)},
        ).scalars()
    )
    bulk.insert_rows(
        session=session,
        table=_CLAIMS,
        rows=[r | {"id": i} for r, i in zip(rows, ids, strict=True)],
    )
    return ids


def enum_problem(line: int, name: str, value: str, enum_cls: type[StrEnum]) -> RowProblem:
    allowed = ", ".join(m.value for m in enum_cls)
    return RowProblem(line, name, value, f"unknown {name}; allowed: {allowed}")
