"""Alembic environment: runs on the connection tracker.db hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from tracker import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    if (
        connection.dialect.name == "sqlite"
        and connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        and not connection.exec_driver_sql("PRAGMA defer_foreign_keys").scalar()
    ):
        # A table rebuild would fail (or cascade) on the rows referring to it; with the
        # checks deferred to the commit (tracker.db.migrate) the rebuilt table is back by then.
        raise RuntimeError(
            "run the migrations through tracker.db.upgrade/downgrade (`tracker init`): "
            "they switch SQLite's foreign keys off outside the transaction"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the migrations with `tracker init` (tracker.db.upgrade)")
    _run(connection)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
