"""What the overview's pace figures cost (#11), side by side in one run.

For an archive made by ``benchmarks/generate.py``, prints the median time of

- ``queries.overview`` (the whole overview query, pace included),
- ``queries.review_pace`` alone (pending confirmations, verdicts per reviewer
  per day over 30 days through ``ix_event_action_at``, median first review to
  confirmed through each confirmed claim's events),
- the same figures read from the *whole* audit trail (every review event
  grouped per reviewer and day, and the first review of every claim joined
  in), the way the index and the window avoid,

with the ratios. The generator gives no confirmations, so ``--confirm`` first
marks every verdict confirmed a day after its review in the archive given
(run it on a copy); the window ends at the newest review event, since
generated histories lie in the past.

    python -m benchmarks.overview_pace --db sqlite:///a100k.db --confirm --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, func, select

from tracker import db, queries
from tracker.models import Event, as_utc


def median_time(run: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def whole_trail(session: Session) -> tuple[int, int]:
    """The pace read without the window or the per-claim lookups: every review event."""
    day = queries.utc_day(session, Event.at)
    per_day = session.exec(
        select(day, Event.actor, func.count())
        .where(Event.action == "review", Event.new_value.in_(queries.VERDICT_STATUSES))  # type: ignore[union-attr]
        .group_by(day, Event.actor)
    ).all()
    firsts = session.exec(
        select(Event.claim_id, func.min(Event.at))
        .where(Event.action == "review")
        .group_by(Event.claim_id)
    ).all()
    return len(per_day), len(firsts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--confirm", action="store_true")
    args = parser.parse_args()
    engine = db.make_engine(args.db)
    with Session(engine) as s:
        if args.confirm:
            postgres = engine.dialect.name == "postgresql"
            later = (
                "last_reviewed_at + interval '1 day'"
                if postgres
                else "datetime(last_reviewed_at, '+1 day')"
            )
            with s.begin():
                s.execute(
                    text(
                        f"UPDATE claim SET confirmed_by = 'bench', confirmed_at = {later} "
                        "WHERE status IN ('verified', 'flagged') AND last_reviewed_at IS NOT NULL"
                    )
                )
        newest = as_utc(s.exec(select(func.max(Event.at)).where(Event.action == "review")).one())
        now = (newest or queries.datetime.now(UTC)).astimezone(UTC)
        pace = queries.review_pace(session=s, now=now)
        print(
            f"pending {pace.pending_confirmation}, reviewer-days "
            f"{len(pace.verdicts_by_reviewer_day)}, confirmed measured "
            f"{pace.confirmed_measured}, median {pace.median_to_confirmed}"
        )
        overview = median_time(lambda: queries.overview(session=s), args.runs)
        alone = median_time(lambda: queries.review_pace(session=s, now=now), args.runs)
        full = median_time(lambda: whole_trail(s), args.runs)
    engine.dispose()
    print(f"overview (pace included)   {overview * 1000:8.1f} ms")
    print(f"review_pace alone          {alone * 1000:8.1f} ms  ({alone / overview:.2f} of it)")
    print(f"whole audit trail instead  {full * 1000:8.1f} ms  ({full / alone:.1f}x review_pace)")


if __name__ == "__main__":
    main()
