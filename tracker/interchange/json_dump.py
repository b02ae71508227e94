"""The full-fidelity JSON dump: every table, row by row, in id order (JSON Lines).

A dump is one UTF-8 file of JSON Lines, written and read as a stream (a table
is read from the database in batches in primary-key order, never whole)::

    {"format": "tracker-dump", "version": 1, "schema_revision": "0006"}
    {"table": "account", "columns": ["id", "name", ...]}
    [1, "admin", ...]                      one row per line, values in column order
    {"end": "account", "rows": 7}
    {"table": "article", "columns": [...]}
    ...
    {"end": "dump", "tables": 7}

Tables come in foreign-key order (parents first), so a restore inserts them as
they come. Each value is encoded by its column's type
(:mod:`tracker.interchange.column_codec`): timestamps ISO 8601 in UTC with
``+00:00``, dates ``YYYY-MM-DD``, binary columns (claim and reference vectors)
``{"base64": "..."}``. The same encoding of a row is the *canonical
serialisation* the database copy checksums (:func:`table_checksums`), so a
dump's row lines and a copy's sha256 agree on every backend.

Left out on purpose, and refused by the reader, so a restore never trusts a
secret from a file: ``account.password_hash`` (a dump is not a credential
store: restored accounts have no password until an admin resets it),
``web_session`` (signed-in dashboard sessions: a dump is not a way in) and
``signin_attempt`` (transient sign-in throttle counts). ``change_marker`` is
each database's own cache keys. There are no stored settings (configuration is
the environment).

Pure of the use cases: :func:`tracker.services.restore_json` applies a dump.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

from sqlalchemy import Column, Table, func, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from .. import counters, models  # noqa: F401 (models registers every table on the metadata)
from ..errors import ImportFailed, RowProblem
from .column_codec import codec_for, decode, encode

FORMAT = "tracker-dump"
FORMAT_VERSION = 1
BATCH = 1000
# Secrets and sign-in state never leave the database in a dump, and a dump that
# carries them is refused: a restore must not let a file decide who can sign in.
SECRET_TABLES = {
    "web_session": "signed-in dashboard sessions",
    "signin_attempt": "sign-in throttle counts",
}
SECRET_COLUMNS = {("account", "password_hash"): "password hashes"}
# Per-database state a migration creates and the database keeps itself (cache
# keys, the counters its triggers keep: tracker.counters, and the background
# worker's lease and last run): neither dumped nor copied, and present in an
# "empty" database. A restore or copy recounts the counters.
LOCAL_TABLES = frozenset({"change_marker", "worker_lease", *counters.TABLES})
EXCLUDED_TABLES = frozenset(SECRET_TABLES) | LOCAL_TABLES
EXCLUDED_COLUMNS = frozenset(SECRET_COLUMNS)


@dataclass(frozen=True)
class TableSpec:
    table: Table
    columns: tuple[Column[Any], ...]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @cached_property
    def encoders(self) -> tuple[Callable[[Any], Any], ...]:
        """Each column's encoder, chosen once from its type (not per value)."""
        return tuple(codec_for(c).encode for c in self.columns)


def all_tables() -> list[Table]:
    """Every tracker table with content, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in LOCAL_TABLES]


def spec(table: Table, *, full: bool = False) -> TableSpec:
    """The columns of ``table`` a dump carries (``full``: all of them, for a copy)."""
    cols = tuple(c for c in table.columns if full or (table.name, c.name) not in EXCLUDED_COLUMNS)
    return TableSpec(table, cols)


def dumped_tables() -> list[TableSpec]:
    return [spec(t) for t in all_tables() if t.name not in EXCLUDED_TABLES]


# --- values ---------------------------------------------------------------------------


def row_line(ts: TableSpec, row: Sequence[Any]) -> str:
    """The canonical serialisation of one row: one JSON array, one line."""
    values = [None if v is None else enc(v) for enc, v in zip(ts.encoders, row, strict=True)]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# --- reading the database in batches -------------------------------------------------------


def iter_rows(conn: Connection, ts: TableSpec, batch: int = BATCH) -> Iterator[Sequence[Any]]:
    """``ts``'s rows in primary-key order, ``batch`` at a time (keyset paging)."""
    pk = list(ts.table.primary_key.columns)
    if len(pk) != 1:  # pragma: no cover - every tracker table has one key column
        yield from conn.execute(select(*ts.columns).order_by(*pk))
        return
    key = pk[0]
    at = ts.columns.index(key) if key in ts.columns else None
    last: Any = None
    while True:
        query = select(*ts.columns, key).order_by(key).limit(batch)
        if last is not None:
            query = query.where(key > last)
        rows = conn.execute(query).all()
        for row in rows:
            yield row[: len(ts.columns)]
        if len(rows) < batch:
            return
        last = rows[-1][at] if at is not None else rows[-1][-1]


def table_checksums(
    conn: Connection, specs: Iterable[TableSpec], batch: int = BATCH
) -> dict[str, tuple[int, str]]:
    """Row count and sha256 of the canonical row lines, per table, in key order."""
    out = {}
    for ts in specs:
        digest = hashlib.sha256()
        count = 0
        for row in iter_rows(conn, ts, batch):
            digest.update(row_line(ts, row).encode("utf-8") + b"\n")
            count += 1
        out[ts.name] = (count, digest.hexdigest())
    return out


def count_rows(conn: Connection, tables: Iterable[Table] | None = None) -> int:
    """How many rows ``tables`` (default: all) hold, for a progress bar."""
    return sum(
        int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        for t in (tables if tables is not None else all_tables())
    )


# --- writing ---------------------------------------------------------------------------


def write_dump(conn: Connection, fh: IO[str], *, schema_revision: str | None) -> dict[str, int]:
    """Write the whole database to ``fh``; returns rows per table."""
    fh.write(
        _line({"format": FORMAT, "version": FORMAT_VERSION, "schema_revision": schema_revision})
        + "\n"
    )
    counts: dict[str, int] = {}
    specs = dumped_tables()
    for ts in specs:
        fh.write(_line({"table": ts.name, "columns": ts.column_names}) + "\n")
        n = 0
        for row in iter_rows(conn, ts):
            fh.write(row_line(ts, row) + "\n")
            n += 1
        fh.write(_line({"end": ts.name, "rows": n}) + "\n")
        counts[ts.name] = n
    fh.write(_line({"end": "dump", "tables": len(specs)}) + "\n")
    return counts


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    version: int
    schema_revision: str | None


@dataclass(frozen=True)
class TableStart:
    line: int
    spec: TableSpec


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class TableEnd:
    line: int
    name: str
    rows: int


def _fail(source: str, line: int, field: str | None, value: Any, reason: str) -> ImportFailed:
    shown = None if value is None else value if isinstance(value, str) else json.dumps(value)
    return ImportFailed(source, [RowProblem(line, field, shown, reason)])


def read_dump(lines: Iterable[str], source: str) -> Iterator[Header | TableStart | Row | TableEnd]:
    """Parse a dump as a stream; the first problem stops it (file, line, table.column)."""
    tables = {t.name: t for t in all_tables()}
    it = iter(enumerate(lines, start=1))
    try:
        _, first = next(it)
    except StopIteration:
        raise _fail(source, 1, None, None, "the file is empty") from None
    head = _json(first, source, 1)
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise _fail(source, 1, None, first[:60], f"not a tracker dump (no {FORMAT!r} header)")
    if head.get("version") != FORMAT_VERSION:
        raise _fail(
            source,
            1,
            "version",
            head.get("version"),
            f"dump format version {head.get('version')!r}; this tracker reads {FORMAT_VERSION}",
        )
    yield Header(FORMAT_VERSION, head.get("schema_revision"))
    current: TableSpec | None = None
    count = 0
    seen: list[str] = []
    skipping: str | None = None  # a counter table an older dump carries: recounted instead
    for number, text in it:
        item = _json(text, source, number)
        if skipping is not None:
            if isinstance(item, dict) and item.get("end") == skipping:
                skipping = None
            continue
        if isinstance(item, list):
            if current is None:
                raise _fail(source, number, None, None, "a row outside a table")
            if len(item) != len(current.columns):
                raise _fail(
                    source,
                    number,
                    current.name,
                    None,
                    f"row has {len(item)} values; table {current.name} has "
                    f"{len(current.columns)} columns",
                )
            values = {}
            for column, value in zip(current.columns, item, strict=True):
                try:
                    values[column.name] = decode(column, value)
                except ValueError as exc:  # every codec's refusal, with the reason
                    raise _fail(
                        source, number, f"{current.name}.{column.name}", value, str(exc)
                    ) from None
            count += 1
            yield Row(number, values)
        elif isinstance(item, dict) and "table" in item:
            if current is not None:
                raise _fail(source, number, None, None, f"table {current.name} has no end line")
            name = item["table"]
            if not isinstance(name, str):
                raise _fail(source, number, "table", name, "a table name must be a string")
            if name in SECRET_TABLES:
                raise _fail(
                    source,
                    number,
                    "table",
                    name,
                    f"a dump carries no {SECRET_TABLES[name]}: this file was not written by "
                    "`tracker export json`; nothing was restored",
                )
            if name in counters.TABLES:
                skipping = name
                continue
            if name not in tables or name in EXCLUDED_TABLES:
                raise _fail(source, number, "table", name, "no such table in this tracker")
            if name in seen:
                raise _fail(source, number, "table", name, "table appears twice")
            table = tables[name]
            names = item.get("columns")
            if not isinstance(names, list) or not names:
                raise _fail(source, number, "columns", None, "a table line needs its columns")
            if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
                raise _fail(
                    source, number, "columns", None, "columns must be distinct column names"
                )
            secret = [n for n in names if (name, n) in SECRET_COLUMNS]
            if secret:
                raise _fail(
                    source,
                    number,
                    f"{name}.{secret[0]}",
                    None,
                    f"a dump carries no {SECRET_COLUMNS[(name, secret[0])]}: restored accounts "
                    "get passwords from `tracker users reset-password`; nothing was restored",
                )
            unknown = [n for n in names if n not in table.columns]
            if unknown:
                raise _fail(
                    source,
                    number,
                    "columns",
                    ", ".join(map(str, unknown)),
                    f"no such column(s) in table {name} (a dump from a newer tracker?)",
                )
            current = TableSpec(table, tuple(table.columns[n] for n in names))
            seen.append(name)
            count = 0
            yield TableStart(number, current)
        elif isinstance(item, dict) and "end" in item:
            if not isinstance(item["end"], str):
                raise _fail(source, number, "end", item["end"], "an end line names a table")
            if item["end"] == "dump":
                if current is not None:
                    raise _fail(source, number, None, None, f"table {current.name} has no end line")
                return
            if current is None or item["end"] != current.name:
                raise _fail(source, number, "end", item["end"], "end of a table not begun")
            if item.get("rows") != count:
                raise _fail(
                    source,
                    number,
                    "rows",
                    item.get("rows"),
                    f"table {current.name} says {item.get('rows')} rows; the file has {count}",
                )
            yield TableEnd(number, current.name, count)
            current = None
        else:
            raise _fail(source, number, None, text[:60], "not a row, table or end line")
    raise _fail(source, 0, None, None, "the file ends early (no end line): truncated?")


MAX_DEPTH = 32  # a dump's lines are flat: a row array of values, a few objects at most


def _json(text: str, source: str, line: int) -> Any:
    """One line as JSON; nesting deeper than a dump ever writes is refused before parsing."""
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise _fail(
            source,
            line,
            None,
            text[:60],
            f"nested {depth} deep; a dump line is at most {MAX_DEPTH} deep",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(source, line, None, text[:60], f"not JSON: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise _fail(source, line, None, text[:60], f"not a value a dump holds: {exc}") from None


def _depth(text: str) -> int:
    """The deepest bracket nesting of a JSON line, outside strings (a quick scan)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be deeper than the brackets it has
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


__all__ = [
    "BATCH",
    "EXCLUDED_COLUMNS",
    "EXCLUDED_TABLES",
    "FORMAT",
    "FORMAT_VERSION",
    "Header",
    "Row",
    "TableEnd",
    "TableSpec",
    "TableStart",
    "all_tables",
    "count_rows",
    "decode",
    "dumped_tables",
    "encode",
    "iter_rows",
    "read_dump",
    "row_line",
    "spec",
    "table_checksums",
    "write_dump",
]
