"""Build a large claims database from the seed article, for benchmarks."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

from tracker import db
from tracker.models import Article, Claim, Event, Note, Source, utcnow
from tracker.services.seeding import REPO_SEEDS, seed

STATUSES = ["unreviewed"] * 6 + ["in_review", "verified", "verified", "flagged", "dismissed"]


def build(url: str, claims: int, *, rng_seed: int = 7) -> None:
    """Seed, then add synthetic claims (copies of the seed claims) up to ``claims``."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = random.Random(rng_seed)
    with Session(engine) as s:
        seed(session=s, seeds_dir=REPO_SEEDS)
        article = s.exec(select(Article)).one()
        templates = list(s.exec(select(Claim)))
        now = utcnow()
        rows = []
        for i in range(max(0, claims - len(templates))):
            t = rng.choice(templates)
            status = rng.choice(STATUSES)
            rows.append(
                dict(
                    article_id=article.id,
                    claim=f"{t.claim} (variant {i})",
                    quote=t.quote,
                    quote_start=t.quote_start,
                    quote_end=t.quote_end,
                    section=t.section,
                    claim_type=t.claim_type,
                    status=status,
                    flag_reason="unverifiable" if status == "flagged" else None,
                    assignee=rng.choice([None, "ana", "bob", "carol"]),
                    origin="curated",
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
        for start in range(0, len(rows), 5000):
            s.execute(insert(Claim), rows[start : start + 5000])
        s.commit()
        ids = [c for c in s.exec(select(Claim.id))]
        s.execute(
            insert(Source),
            [
                dict(
                    claim_id=cid,
                    url=f"https://example.org/s/{cid}",
                    stance="supports",
                    added_by="ana",
                    added_at=now,
                )
                for cid in ids[::3]
            ],
        )
        s.execute(
            insert(Note),
            [
                dict(claim_id=cid, author="bob", body=f"note on {cid}", created_at=now)
                for cid in ids[::4]
            ],
        )
        extra = [dict(claim_id=cid, actor="seed", action="created", at=now) for cid in ids[110:]]
        if extra:
            s.execute(insert(Event), extra)
        s.commit()
    engine.dispose()


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}"
