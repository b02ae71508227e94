"""Worker for the concurrency test; a module of its own so spawned processes can import it."""

from __future__ import annotations

import random

from sqlmodel import Session

from tracker import db, queries, services
from tracker.errors import EditConflict, InvalidTransition

STATUSES = ("unreviewed", "in_review", "dismissed")
ACTORS = ("ana", "bob", "carol")


def work(url: str, worker: int, claim_ids: list[int], changes: int, notes: int) -> dict:
    """Conflicting status changes and note additions; reports every outcome."""
    engine = db.make_engine(url)
    rng = random.Random(worker)
    actor = ACTORS[worker % len(ACTORS)]
    accepted: list[tuple[int, int, str]] = []  # (claim, version reached, status)
    rejected: list[tuple[int, str]] = []
    written: list[str] = []
    try:
        for i in range(max(changes, notes)):
            cid = rng.choice(claim_ids)
            if i < changes:
                with Session(engine) as s:
                    seen = queries.get_claim(session=s, claim_id=cid)
                    s.rollback()
                    target = rng.choice([x for x in STATUSES if x != seen.status])
                    try:
                        c = services.review_claim(
                            session=s,
                            claim_id=cid,
                            status=target,
                            actor=actor,
                            expected_version=seen.version,
                        )
                        accepted.append((cid, c.version, target))
                    except (EditConflict, InvalidTransition) as exc:
                        rejected.append((cid, type(exc).__name__))
            if i < notes:
                body = f"w{worker}-n{i}"
                with Session(engine) as s:
                    services.add_note(session=s, claim_id=cid, body=body, actor=actor)
                written.append(body)
    finally:
        engine.dispose()
    return {"accepted": accepted, "rejected": rejected, "notes": written}
