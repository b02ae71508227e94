"""audit events about accounts; TRUNCATE refused like UPDATE and DELETE

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.migrations.rebuild import batch_alter_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = ("UPDATE", "DELETE")


def _sqlite_triggers(create: bool) -> None:
    for verb in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS event_no_{verb.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER event_no_{verb.lower()} BEFORE {verb} ON event "
                "BEGIN SELECT RAISE(ABORT, 'event is append-only'); END"
            )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)  # the batch copy below recreates the table
    with batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("claim_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("account", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_event_account", ["account"], unique=False)
    if sqlite:
        _sqlite_triggers(create=True)
    else:
        # Row triggers do not see TRUNCATE; a statement trigger does.
        op.execute(
            "CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
            "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_triggers(create=False)
    else:
        op.execute("DROP TRIGGER IF EXISTS event_no_truncate ON event")
    with batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_account")
        batch_op.drop_column("account")
    if sqlite:
        _sqlite_triggers(create=True)
