"""The kept claim tally (#10, migration 0016) agrees with counting the claims, after
every kind of write, on both databases; the queue counts and the overview read it."""

from __future__ import annotations

from collections import defaultdict
from importlib import import_module

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.generate import generate
from tracker import db, queries, services
from tracker.intake.loading import load_article
from tracker.models import ClaimStatus, ClaimType
from tracker.queries import ClaimFilter

from .conftest import SEEDS

COLUMNS = {
    "status": "status",
    "flag_reason": "flag_reason",
    "reviewer": "last_reviewed_by",
    "assignee": "assignee",
}


def recount(session: Session) -> dict[tuple[int, str, str], int]:
    """What the tally should hold, counted from the claims themselves."""
    want: dict[tuple[int, str, str], int] = defaultdict(int)
    for dim, column in COLUMNS.items():
        rows = session.execute(
            text(
                f"SELECT article_id, coalesce({column}, ''), count(*) FROM claim "
                f"WHERE NOT below_threshold GROUP BY article_id, coalesce({column}, '')"
            )
        ).all()
        for article_id, key, n in rows:
            want[(article_id, dim, key)] += n
            want[(0, dim, key)] += n
    return dict(want)


def kept(session: Session) -> dict[tuple[int, str, str], int]:
    rows = session.execute(text("SELECT article_id, dim, key, n FROM claim_tally")).all()
    return {(a, d, k): n for a, d, k, n in rows if n}


def recount_sources(session: Session) -> dict[tuple[int, str], int]:
    """What the source tally (0017) should hold, counted from the sources themselves."""
    want: dict[tuple[int, str], int] = defaultdict(int)
    rows = session.execute(
        text(
            "SELECT c.article_id, s.stance, count(*) FROM source s JOIN claim c "
            "ON c.id = s.claim_id WHERE NOT c.below_threshold GROUP BY c.article_id, s.stance"
        )
    ).all()
    for article_id, stance, n in rows:
        want[(article_id, stance)] += n
        want[(0, stance)] += n
    return dict(want)


def kept_sources(session: Session) -> dict[tuple[int, str], int]:
    rows = session.execute(text("SELECT article_id, stance, n FROM source_tally")).all()
    return {(a, st): n for a, st, n in rows if n}


def scanned(f: ClaimFilter) -> ClaimFilter:
    """The same claims through the SQL count: every type is no narrowing, but not tallied."""
    return ClaimFilter(**{**f.__dict__, "claim_type": [t.value for t in ClaimType]})


def test_tally_follows_every_kind_of_write(seeded: Session) -> None:
    s = seeded
    assert kept(s) == recount(s)
    assert kept_sources(s) == recount_sources(s)
    # review, source, verdict, flag, dismiss, assign, reopen
    services.add_source(
        session=s, claim_id=1, url="https://example.org/a", stance="supports", actor="ana"
    )
    services.review_claim(
        session=s, claim_id=1, status="verified", actor="ana", expected_version=None
    )
    services.add_source(
        session=s, claim_id=2, url="https://example.org/b", stance="refutes", actor="ana"
    )
    services.review_claim(
        session=s,
        claim_id=2,
        status="flagged",
        reason="misleading",
        note="the figure is from 2023",
        actor="bob",
        expected_version=None,
    )
    services.review_claim(
        session=s, claim_id=3, status="dismissed", actor="ana", expected_version=None
    )
    services.assign_claim(
        session=s, claim_id=4, assignee="carol", actor="editor", expected_version=None
    )
    services.assign_claim(
        session=s, claim_id=4, assignee=None, actor="editor", expected_version=None
    )
    services.assign_claim(
        session=s, claim_id=5, assignee="ana", actor="editor", expected_version=None
    )
    services.review_claim(
        session=s, claim_id=3, status="unreviewed", actor="editor", expected_version=None
    )
    # a second article with below-threshold candidates, one promoted
    result = services.import_article(
        session=s,
        source=load_article(str(SEEDS / "trainium3-silicon-sovereignty.txt")),
        actor="editor",
        slug="copy",
        title="Copy",
    )
    assert result.below_threshold > 0
    low = next(
        c
        for c in queries.list_claims(
            session=s, limit=None, filters=ClaimFilter(include_below_threshold=True, article="copy")
        )
        if c.below_threshold
    )
    services.add_source(
        session=s, claim_id=low.id, url="https://example.org/c", stance="context", actor="ana"
    )
    assert (0, "context") not in kept_sources(s)  # a candidate's source is not counted yet
    services.promote_candidate(session=s, claim_id=low.id, actor="ana")
    assert kept(s) == recount(s)
    assert kept_sources(s) == recount_sources(s)
    assert kept_sources(s)[(0, "context")] == 1

    ov = queries.overview(session=s)
    assert ov.by_status["verified"] == 1 and ov.by_status["flagged"] == 1
    assert ov.by_flag_reason == {"misleading": 1}
    assert ov.by_reviewer == {"ana": 1, "bob": 1, "editor": 1}
    assert ov.by_assignee == {"ana": 1}
    assert queries.assignees(session=s) == ["ana"]
    slugs = [a.slug for a in queries.list_articles(session=s, with_counts=False)]
    cases = [
        ClaimFilter(),
        ClaimFilter(status=["unreviewed"]),
        ClaimFilter(status=["verified", "flagged"]),
        ClaimFilter(assignee="ana"),
        ClaimFilter(assignee="-"),
        ClaimFilter(article="nope"),
        *(ClaimFilter(article=slug) for slug in slugs),
        *(ClaimFilter(article=slug, status=["unreviewed"]) for slug in slugs),
        *(ClaimFilter(article=slug, assignee="-") for slug in slugs),
    ]
    for f in cases:
        assert queries.count_claims(session=s, filters=f) == queries.count_claims(
            session=s, filters=scanned(f)
        ), f
    one = queries.overview(session=s, article="copy")
    assert one.total == queries.count_claims(session=s, filters=ClaimFilter(article="copy"))
    assert one.by_status[ClaimStatus.unreviewed.value] == one.total
    assert one.sources_by_stance == {"context": 1}
    assert ov.sources_by_stance == {"supports": 1, "refutes": 1, "context": 1}


def test_migration_fills_the_tally_from_existing_claims(seeded: Session) -> None:
    """0016's backfill: empty the tally, run the migration's INSERTs again, same rows."""
    migration = import_module("tracker.migrations.versions.0016_claim_tally")
    services.add_source(
        session=seeded, claim_id=1, url="https://example.org/a", stance="supports", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=1, status="verified", actor="ana", expected_version=None
    )
    before = kept(seeded)
    seeded.execute(text("DELETE FROM claim_tally"))
    for statement in migration.backfill():
        seeded.execute(text(statement))
    assert kept(seeded) == before == recount(seeded)
    seeded.rollback()


def test_the_source_tally_follows_sources_and_fills_from_existing_ones(seeded: Session) -> None:
    """0017: a source's stance or claim changed, a source removed, the migration's backfill."""
    migration = import_module("tracker.migrations.versions.0017_source_tally")
    for claim_id, stance in ((1, "supports"), (2, "refutes"), (2, "supports")):
        services.add_source(
            session=seeded,
            claim_id=claim_id,
            url=f"https://example.org/{claim_id}/{stance}",
            stance=stance,
            actor="ana",
        )
    assert kept_sources(seeded) == recount_sources(seeded)
    seeded.execute(text("UPDATE source SET stance = 'context' WHERE claim_id = 1"))
    seeded.execute(text("UPDATE source SET claim_id = 3 WHERE stance = 'refutes'"))
    seeded.execute(text("DELETE FROM source WHERE stance = 'supports'"))
    assert kept_sources(seeded) == recount_sources(seeded) != {}
    before = kept_sources(seeded)
    seeded.execute(text("DELETE FROM source_tally"))
    for statement in migration.backfill():
        seeded.execute(text(statement))
    assert kept_sources(seeded) == before
    seeded.rollback()


def test_the_generated_archive_has_the_tallies_the_triggers_keep(db_url: str) -> None:
    """benchmarks/generate.py fills both tallies from the migrations' backfills after
    its bulk rows (triggers off meanwhile): the same rows the triggers would keep."""
    generate(db_url, 300, seed=4)
    engine = db.make_engine(db_url)
    with Session(engine) as s:
        assert kept(s) == recount(s) != {}
        assert kept_sources(s) == recount_sources(s) != {}
        services.add_source(
            session=s, claim_id=1, url="https://example.org/z", stance="context", actor="ana"
        )
        assert kept_sources(s) == recount_sources(s)  # the triggers are back
    engine.dispose()
