"""Workers for the concurrency tests; a module of its own so spawned processes can import it.

``python -m tests.concurrency_worker URL OUT_DIR ROUNDS ACTOR:CLAIM...`` is a
room of reviewers' shells: it imports the command line once, then forks one
process per ``ACTOR:CLAIM``, all at the same moment. Each runs ``tracker
review`` ROUNDS times on its claim through the real command line
(``tracker.cli.app``: arguments, exit codes, stdout and stderr as in a shell,
into ``OUT_DIR/N.out`` and ``N.err``) and exits with how many commands failed.
"""

from __future__ import annotations

import os
import random
import sys
import traceback
from pathlib import Path

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


def cli_reviews(url: str, actor: str, claim_id: int, rounds: int) -> int:
    """Alternate the claim between in_review and unreviewed; how many commands failed."""
    from tracker.cli import app

    failed = 0
    for i in range(rounds):
        status = "in_review" if i % 2 == 0 else "unreviewed"
        try:
            app(["--db", url, "review", str(claim_id), status, "--by", actor], prog_name="tracker")
        except SystemExit as done:
            failed += done.code not in (0, None)
        except Exception:  # a traceback is the finding: show it, count it, go on
            traceback.print_exc()
            failed += 1
    return failed


def shells(url: str, out_dir: Path, rounds: int, reviewers: list[tuple[str, int]]) -> int:
    """Fork one process per reviewer (the import paid once); how many of them failed."""
    import tracker.cli  # noqa: F401  - before forking: every child starts ready to run

    children = []
    for n, (actor, claim_id) in enumerate(reviewers):
        pid = os.fork()
        if pid == 0:  # the child: one shell
            code = 100
            try:
                with (
                    (out_dir / f"{n}.out").open("w") as out,
                    (out_dir / f"{n}.err").open("w") as err,
                ):
                    os.dup2(out.fileno(), 1)
                    os.dup2(err.fileno(), 2)
                    code = min(cli_reviews(url, actor, claim_id, rounds), 99)
                    sys.stdout.flush()
                    sys.stderr.flush()
            finally:
                os._exit(code)
        children.append(pid)
    return sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0 for pid in children)


if __name__ == "__main__":
    url, out_dir, rounds, *pairs = sys.argv[1:]
    reviewers = [(actor, int(claim)) for actor, claim in (p.split(":") for p in pairs)]
    sys.exit(shells(url, Path(out_dir), int(rounds), reviewers))
