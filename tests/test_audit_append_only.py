"""The audit trail survives TRUNCATE on PostgreSQL (#9).

Row triggers refuse UPDATE and DELETE on ``event`` on both databases
(``test_review_rules.py``); TRUNCATE skips row triggers, so migration 0005 adds
a statement trigger. Emptying ``event`` directly, or through a cascade from
``claim``, is refused and every event is still there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker import db
from tracker.services.seeding import seed

from .conftest import SEEDS, make_accounts

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = db.make_engine(pg_url)
    db.upgrade(eng)
    make_accounts(eng)
    with Session(eng) as s:
        seed(session=s, seeds_dir=SEEDS)
    yield eng
    eng.dispose()


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM event")).scalar_one()
        claims = conn.execute(text("SELECT count(*) FROM claim")).scalar_one()
    return events, claims


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE event",
        "TRUNCATE TABLE ONLY event RESTART IDENTITY",
        "TRUNCATE claim CASCADE",
        "TRUNCATE article CASCADE",
    ],
)
def test_truncate_cannot_empty_the_audit_trail(pg_engine: Engine, statement: str) -> None:
    before = _counts(pg_engine)
    assert before[0] >= 110  # every seeded claim has its "created" event
    with pg_engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text(statement))
    assert _counts(pg_engine) == before


@pytest.mark.parametrize("statement", ["UPDATE event SET actor = 'mallory'", "DELETE FROM event"])
def test_update_and_delete_stay_refused_after_the_truncate_trigger(
    pg_engine: Engine, statement: str
) -> None:
    before = _counts(pg_engine)
    with pg_engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text(statement))
    assert _counts(pg_engine) == before
