"""Table changes that keep the table's triggers on SQLite.

SQLite cannot ALTER most things in place, so Alembic's batch mode rebuilds the
table: it creates a copy with the new shape, copies the rows, drops the old
table and renames the copy. Dropping a table drops its triggers, silently; the
copy has none. :func:`batch_alter_table` notes the table's triggers before the
rebuild and creates again the ones the rebuild took away, so a migration
cannot lose a counter's or the audit trail's trigger by changing a column.

A migration that drops a column a trigger reads drops that trigger first (and
makes the new version after); the triggers it dropped are not brought back.
Triggers of *other* tables that read the rebuilt one stay as they are: the
rename runs with ``legacy_alter_table`` on, so SQLite does not check them
while the table is briefly missing.
Foreign keys are off while the migrations run (see :func:`tracker.db.upgrade`):
with them on, dropping a table other rows refer to fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy import text


def _triggers(table: str) -> dict[str, str]:
    rows = op.get_bind().execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    )
    return {name: sql for name, sql in rows}


@contextmanager
def batch_alter_table(table: str, **kwargs: Any) -> Iterator[BatchOperations]:
    """``op.batch_alter_table(table)``, with the table's triggers there again afterwards."""
    context = op.get_context()
    keep = context.dialect.name == "sqlite" and not context.as_sql
    before = _triggers(table) if keep else {}
    if keep:
        # The copy takes the old name back: triggers of other tables that read this
        # one (the source tally reads claim) are right as they are. Without this,
        # the rename checks them while the table is missing and fails.
        op.execute("PRAGMA legacy_alter_table = ON")
    try:
        with op.batch_alter_table(table, **kwargs) as batch_op:
            yield batch_op
    finally:
        if keep:
            op.execute("PRAGMA legacy_alter_table = OFF")
    if before:
        after = _triggers(table)
        for name, sql in before.items():
            if name not in after:
                op.execute(sql)
