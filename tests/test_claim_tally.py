"""The kept claim tally (#10, migration 0016) agrees with counting the claims, after
every kind of write, on both databases; the queue counts and the overview read it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from importlib import import_module

from sqlalchemy import Engine, inspect, select, text
from sqlmodel import Session

from benchmarks.generate import generate
from tracker import bulk, db, queries, services
from tracker.intake.loading import load_article
from tracker.models import Claim, ClaimStatus, ClaimType, Source
from tracker.queries import ClaimFilter
from tracker.services import batch

from .conftest import SEEDS, migrate

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


def _import_copy(session: Session, slug: str) -> int:
    """The seed article again under ``slug`` (its candidates below the threshold); its id."""
    services.import_article(
        session=session,
        source=load_article(str(SEEDS / "trainium3-silicon-sovereignty.txt")),
        actor="editor",
        slug=slug,
        title=slug,
    )
    found = session.execute(text("SELECT id FROM article WHERE slug = :s"), {"s": slug})
    return int(found.scalar_one())


def _claim_rows(session: Session, ids: list[int]) -> list[dict[str, object]]:
    """Copies of existing claims as insert rows (no id), every second one a candidate."""
    table = Claim.__table__  # type: ignore[attr-defined]
    columns = [c for c in table.columns if c.name != "id"]
    rows = session.execute(select(*columns).where(table.c.id.in_(ids))).mappings()
    return [dict(r) | {"below_threshold": i % 2 == 1} for i, r in enumerate(rows)]


def test_multi_row_statements_keep_both_tallies(seeded: Session) -> None:
    """0018: on PostgreSQL the tallies are kept once per statement from its transition
    tables; every multi-row INSERT, UPDATE and DELETE must still add up (SQLite's row
    triggers get the same statements)."""
    s = seeded

    def agrees() -> None:
        assert kept(s) == recount(s)
        assert kept_sources(s) == recount_sources(s)

    other = _import_copy(s, "copy")
    agrees()
    ids = batch.insert_claims(s, _claim_rows(s, list(range(1, 21))))  # one statement
    assert len(ids) == 20
    agrees()
    bulk.insert_rows(
        session=s,
        table=Source.__table__,  # type: ignore[attr-defined]
        rows=[
            {
                "claim_id": i,
                "url": f"https://example.org/{i}",
                "stance": stance,
                "added_by": "ana",
                "added_at": datetime.now(UTC),
            }
            for i in [*ids, 1, 2, 3]
            for stance in ("supports", "refutes")
        ],
    )
    agrees()
    s.execute(
        text(
            "UPDATE claim SET status = CASE WHEN id % 3 = 0 THEN 'verified' ELSE 'flagged' END, "
            "flag_reason = CASE WHEN id % 3 = 0 THEN NULL ELSE 'misleading' END, "
            "last_reviewed_by = CASE WHEN id % 2 = 0 THEN 'ana' ELSE 'bob' END, "
            "assignee = 'carol' WHERE id <= 10 OR id >= :first"
        ),
        {"first": ids[0]},
    )
    agrees()
    before = (kept(s), kept_sources(s))
    s.execute(text("UPDATE claim SET claim = claim || '.', version = version + 1"))
    assert (kept(s), kept_sources(s)) == before  # nothing counted changed
    # candidates promoted and demoted, claims moved between articles, sources with them
    s.execute(
        text("UPDATE claim SET below_threshold = NOT below_threshold WHERE id >= :first"),
        {"first": ids[0]},
    )
    agrees()
    s.execute(
        text("UPDATE claim SET article_id = :other WHERE id IN (1, 2, :a, :b)"),
        {"other": other, "a": ids[0], "b": ids[1]},
    )
    agrees()
    s.execute(text("UPDATE source SET stance = 'context' WHERE stance = 'refutes' AND id % 2 = 0"))
    s.execute(text("UPDATE source SET claim_id = 4 WHERE claim_id = :a"), {"a": ids[2]})
    agrees()
    s.execute(text("DELETE FROM source WHERE claim_id >= :first"), {"first": ids[0]})
    agrees()
    s.execute(text("DELETE FROM claim WHERE id >= :first"), {"first": ids[0]})
    agrees()
    s.rollback()


# Columns added after 0018 (0020: the lost-quote state); the code of this revision writes
# them, so the 0017 leg below has them added by hand (and dropped before the upgrade).
LATER_CLAIM_COLUMNS = ("quote_lost_in", "quote_replacement")


def test_migration_0018_round_trip_keeps_the_tallies(engine: Engine, session: Session) -> None:
    """Down to 0017's row triggers and up again to the statement triggers: the tallies
    follow the writes on both sides (on SQLite 0018 changes nothing)."""
    for target in ("0017", "head"):
        with engine.begin() as conn:  # a newer claim column the code writes: not 0017's
            for name in LATER_CLAIM_COLUMNS if target == "head" else ():
                if name in {c["name"] for c in inspect(conn).get_columns("claim")}:
                    conn.execute(text(f"ALTER TABLE claim DROP COLUMN {name}"))
        migrate(engine, target)
        with engine.begin() as conn:
            for name in LATER_CLAIM_COLUMNS if target != "head" else ():
                conn.execute(text(f"ALTER TABLE claim ADD COLUMN {name} INTEGER"))
        with Session(engine) as s:
            slug = f"at-{target}"
            _import_copy(s, slug)
            every = ClaimFilter(include_below_threshold=True, article=slug)
            claims = queries.list_claims(session=s, limit=None, filters=every)
            queued = next(c for c in claims if not c.below_threshold)
            candidate = next(c for c in claims if c.below_threshold)
            for claim_id in (queued.id, candidate.id):
                services.add_source(
                    session=s,
                    claim_id=claim_id,
                    url=f"https://example.org/t{claim_id}",
                    stance="supports",
                    actor="ana",
                )
            # the claim triggers that move a claim's sources with it (0017's, 0018's)
            services.promote_candidate(session=s, claim_id=candidate.id, actor="ana")
            assert kept_sources(s)[(0, "supports")] >= 2
            assert kept(s) == recount(s) != {}
            assert kept_sources(s) == recount_sources(s) != {}
            if engine.dialect.name == "postgresql":  # bit 1 of tgtype: FOR EACH ROW
                kinds = s.execute(
                    text(
                        "SELECT tgtype & 1 = 1, count(*) FROM pg_trigger WHERE NOT tgisinternal "
                        "AND tgrelid IN ('claim'::regclass, 'source'::regclass) GROUP BY 1"
                    )
                ).all()
                assert dict(kinds) == ({False: 6} if target == "head" else {True: 3})
    assert db.current_revision(engine) == db.head_revision()
