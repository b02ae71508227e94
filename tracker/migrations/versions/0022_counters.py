"""counters: every tally and counter kept by the database's triggers, defined once

``tracker.counters`` defines the triggers on both backends; this migration
replaces 0016-0018's (the claim and source tallies) with them and adds the
ones for what Python kept before: ``claim.source_count`` (triggers on
``source``) and ``verdict_day`` (a trigger on ``event``, counting status
changes). Every counter is then set to its recount, so a database whose
counters drifted (a write path that forgot one) starts right.

The downgrade puts 0018's triggers back (the services of that version keep
``source_count`` and ``verdict_day`` themselves).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import importlib

from alembic import op

from tracker import counters

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ROW_CLAIMS = importlib.import_module("tracker.migrations.versions.0016_claim_tally")
_ROW_SOURCES = importlib.import_module("tracker.migrations.versions.0017_source_tally")
_STATEMENTS = importlib.import_module("tracker.migrations.versions.0018_statement_tallies")


def _before() -> tuple[list[str], list[str]]:
    """0019's tally triggers: the statements that drop them, and those that make them."""
    if op.get_context().dialect.name == "sqlite":
        names = (
            "claim_tally_ai",
            "claim_tally_ad",
            "claim_tally_au",
            *_ROW_SOURCES.SQLITE_TRIGGERS,
        )
        made = [*_ROW_CLAIMS.sqlite_triggers(), *_ROW_SOURCES.sqlite_triggers()]
        return [f"DROP TRIGGER {name}" for name in names], made
    dropped = [
        statement
        for (table, _), name in _STATEMENTS.TRIGGERS.items()
        for statement in (f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()")
    ]
    return dropped, _STATEMENTS.statement_triggers()


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    for statement in _before()[0]:
        op.execute(statement)
    for statement in counters.create_statements(dialect):
        op.execute(statement)
    for statement in counters.recount_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    for statement in counters.drop_statements(op.get_context().dialect.name):
        op.execute(statement)
    for statement in _before()[1]:
        op.execute(statement)
