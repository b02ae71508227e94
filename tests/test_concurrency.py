"""No lost update: many reviewers at once, on SQLite and PostgreSQL, threads and processes.

8 workers each make 200 conflicting status changes and add 200 notes on the
same 20 claims. Every accepted change appears exactly once in the audit
trail, every rejected one was reported to its caller, each claim ends in the
state of its last accepted change, and no note is missing.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker.models import Claim, Event, Note

from .concurrency_worker import work

pytestmark = pytest.mark.slow
WORKERS, CHANGES, NOTES, CLAIMS = 8, 200, 200, 20


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_no_lost_update(seeded: Session, engine: Engine, db_url: str, mode: str) -> None:
    claim_ids = list(range(1, CLAIMS + 1))
    args = [(db_url, w, claim_ids, CHANGES, NOTES) for w in range(WORKERS)]
    if mode == "threads":
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda a: work(*a), args))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(WORKERS, mp_context=ctx) as pool:
            results = list(pool.map(work, *zip(*args, strict=True)))

    accepted = [a for r in results for a in r["accepted"]]
    rejected = [x for r in results for x in r["rejected"]]
    assert len(accepted) + len(rejected) == WORKERS * CHANGES  # every attempt got an answer
    assert rejected, "the workers should have collided at least once"

    with Session(engine) as s:
        events = s.exec(
            select(Event).where(Event.action == "review", col(Event.claim_id).in_(claim_ids))
        ).all()
        claims = {c.id: c for c in s.exec(select(Claim).where(col(Claim.id).in_(claim_ids)))}
        bodies = Counter(
            n.body for n in s.exec(select(Note).where(col(Note.claim_id).in_(claim_ids)))
        )

    # every accepted change exactly once in the audit trail, nothing else there
    trail = Counter((e.claim_id, e.claim_version, e.new_value) for e in events)
    assert trail == Counter(accepted)
    assert max(trail.values()) == 1
    for cid, claim in claims.items():
        mine = [(v, status) for c, v, status in accepted if c == cid]
        assert claim.version == 1 + len(mine)
        if mine:
            assert claim.status == max(mine)[1]  # the last accepted change wins
        versions = sorted(v for v, _ in mine)
        assert versions == list(range(2, 2 + len(mine)))  # no gaps, no duplicates
    written = [b for r in results for b in r["notes"]]
    assert len(written) == WORKERS * NOTES
    assert all(bodies[b] == 1 for b in written)
