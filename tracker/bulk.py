"""Many rows into one table with one statement: what the bulk paths share.

On PostgreSQL the claim and source tallies are kept by statement-level
triggers (migration 0018), so how rows are sent decides what they cost: a
plain ``executemany``, which psycopg pipelines, is one statement a row and
updates the same tally rows once a row, and PostgreSQL keeps every version of
a row updated in a transaction until the commit (quadratic in the rows of one
transaction). :func:`insert_rows` sends each batch as one ``INSERT ... SELECT
* FROM unnest(...)`` with one binary array parameter per column: the triggers
run once per batch, and psycopg does not parse thousands of parameters, as a
multi-row ``VALUES`` would make it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, TypeDecorator, insert
from sqlmodel import Session

from .changes import note_tables


def insert_rows(*, session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in the session's transaction.

    A column the rows leave out gets its column default, as SQLAlchemy's
    ``insert()`` would give it (a callable one is called per row). Text is sent
    as ``text[]``, not as the column's ``varchar(n)[]``: an explicit cast to
    ``varchar(n)`` cuts a longer value short, where the INSERT's own
    conversion refuses it ("value too long"), as a row-by-row insert would.
    SQLite, whose triggers are row-level anyway, gets an executemany.
    """
    if not rows:
        return
    keys = rows[0].keys()
    if any(r.keys() != keys for r in rows):
        raise ValueError(f"insert_rows: the rows for {table.name} do not share one set of keys")
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    arrays: dict[str, list[Any]] = {name: [r[name] for r in rows] for name in keys}
    for column in table.columns:
        default = column.default
        if column.name in arrays or default is None:
            continue
        if default.is_callable:
            arrays[column.name] = [default.arg(None) for _ in rows]  # type: ignore[attr-defined]
        elif default.is_scalar:
            arrays[column.name] = [default.arg] * len(rows)  # type: ignore[attr-defined]
        else:  # pragma: no cover - the tracker's tables have no SQL-expression defaults
            raise ValueError(f"insert_rows: {table.name}.{column.name} has a SQL default")
    quote = dialect.identifier_preparer.quote
    casts = []
    for index, (name, values) in enumerate(arrays.items()):
        column = table.columns[name]
        process = column.type.bind_processor(dialect)
        if process is not None:
            arrays[name] = [process(v) for v in values]
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        sql_type = "TEXT" if isinstance(kind, String) else column.type.compile(dialect)
        casts.append(f"%(c{index})b::{sql_type}[]")
    note_tables(session, {table.name})  # the ORM's events do not see a driver-level statement
    session.connection().exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in arrays)}) "
        f"SELECT * FROM unnest({', '.join(casts)})",
        {f"c{index}": values for index, values in enumerate(arrays.values())},
    )
