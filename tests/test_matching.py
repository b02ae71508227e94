""" "Checked before" (#12): the reference library, matching, the queue filter, reusing sources.

Database tests run on SQLite and PostgreSQL; the feed fixture is
``tests/data/claimreview_feed.json`` (a schema.org DataFeed of ClaimReviews).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from benchmarks.generate import generate
from tracker import db, queries, services
from tracker.cli import app
from tracker.errors import ImportFailed, PermissionDenied
from tracker.intake.loading import LoadedArticle
from tracker.matching import feeds, store
from tracker.matching import text as textmod
from tracker.matching.index import MATCH_THRESHOLD, RIVALS
from tracker.models import (
    Article,
    ChangeMarker,
    Claim,
    ClaimStatus,
    ClaimUpdate,
    ClaimVector,
    Event,
    Reference,
    Source,
)
from tracker.queries import ClaimFilter

FEED = Path(__file__).parent / "data" / "claimreview_feed.json"
runner = CliRunner()


# --- pure: reading feeds and cleaning queries ------------------------------------


def test_a_datafeed_yields_each_claimreview_with_its_fields() -> None:
    records = feeds.read_references(FEED)
    assert [r.claim for r in records] == [
        "5G mobile towers spread the coronavirus",
        "Trainium 3 chips carry 144 GB of HBM3e memory each",
    ]
    first, second = records
    assert first.url == "https://factcheck.example/5g-covid"
    assert first.title == "No, 5G towers do not spread COVID-19"
    assert first.rating_label == "False" and first.publisher == "Example Checks"
    assert first.claimant == "A viral post"
    assert first.appearance == "https://social.example/post/1"
    assert str(first.published) == "2020-04-06" and str(second.published) == "2025-12-03"
    assert second.title == "Trainium 3 memory figure checks out"  # `name` when no headline
    assert first.line < second.line  # line numbers point into the file


def test_array_single_object_and_json_lines_are_read(tmp_path: Path) -> None:
    review = {
        "@type": "ClaimReview",
        "claimReviewed": "The moon is made of cheese",
        "url": "https://x.example/moon",
        "reviewRating": {"ratingValue": 1},
    }
    one = tmp_path / "one.json"
    one.write_text(json.dumps(review))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([review, {**review, "url": "https://x.example/2"}], indent=1))
    lines = tmp_path / "feed.jsonl"
    lines.write_text(json.dumps(review) + "\n" + json.dumps({"item": review}) + "\n")
    assert feeds.read_references(one)[0].rating_label == "1"  # ratingValue without a name
    assert [r.url for r in feeds.read_references(many)] == [
        "https://x.example/moon",
        "https://x.example/2",
    ]
    assert [r.line for r in feeds.read_references(lines)] == [1, 2]


def test_a_bad_feed_is_refused_with_every_line_number(tmp_path: Path) -> None:
    good = {"@type": "ClaimReview", "claimReviewed": "A claim", "url": "https://ok.example/"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join(
            [
                json.dumps(good),
                json.dumps({"@type": "ClaimReview", "url": "https://ok.example/2"}),
                "{not json",
                json.dumps({**good, "url": "ftp://files.example/x"}),
                json.dumps({**good, "datePublished": "yesterday"}),
                json.dumps({"@type": "Recipe", "name": "Soup"}),
            ]
        )
    )
    with pytest.raises(ImportFailed) as caught:
        feeds.read_references(bad)
    message = str(caught.value)
    assert "bad.jsonl: 5 problem(s), nothing imported" in message
    assert "line 2, field 'claimReviewed'" in message and "claim is required" in message
    assert "line 3: not valid JSON" in message
    assert "line 4, field 'url', value 'ftp://files.example/x'" in message
    assert "line 5, field 'datePublished', value 'yesterday'" in message
    assert "line 6, field '@type', value 'Recipe': not a ClaimReview" in message


def test_tsv_without_header_maps_columns_by_position_and_labels_place_ratings(
    tmp_path: Path,
) -> None:
    data = tmp_path / "checks.tsv"
    data.write_text(
        "https://a.example/1\tMostly False\tVaccines contain microchips\tx\tBlog\n"
        "https://a.example/2\tPants on Fire\tThe earth is flat\tx\tForum\n"
    )
    labels = tmp_path / "labels.csv"
    labels.write_text("label,rating_value,rating_name\nmostly false,0.25,misleading\n")
    records = feeds.read_references(
        data,
        mapping={"url": "1", "rating": "2", "claim": "3", "claimant": "5"},
        delimiter="\t",
        header=False,
    )
    scale = feeds.read_labels(labels)
    placed = [scale.apply(r) for r in records]
    assert placed[0].rating_label == "Mostly False" and placed[0].claimant == "Blog"
    assert (placed[0].rating_value, placed[0].rating_name) == (0.25, "misleading")
    assert placed[1].rating_value is None  # no place given: the publisher's label only
    with pytest.raises(ImportFailed, match="field 'claim', value 'vclaim': no such column"):
        feeds.read_references(data, mapping={"claim": "vclaim"}, delimiter="\t")


def test_tweets_lose_date_and_links_but_keep_words_and_author() -> None:
    tweet = (
        "Butterflies drink from a wombat hole #AustralianFires pic.twitter.com/0eJtwJyS1J "
        "https://t.co/abc — Center for Bio Div (@CenterForBioDiv) January 14, 2020"
    )
    assert textmod.clean(tweet) == (
        "Butterflies drink from a wombat hole Australian Fires Center for Bio Div"
    )
    assert textmod.clean("RT @realDonaldTrump: the wall_is built") == (
        "RT real Donald Trump: the wall_is built"
    )
    assert textmod.tokens("RT @real_Donald: hi") == ["real", "donald", "hi"]
    assert textmod.shared_words("wombats drink water", "A wombat drinks") == ["wombats", "drink"]


# --- the database: import, match, refresh, reuse --------------------------------------


def test_import_is_idempotent_audited_and_editors_only(session: Session) -> None:
    with pytest.raises(PermissionDenied, match="import published fact-checks"):
        services.import_references(session=session, path=FEED, actor="ana")
    first = services.import_references(session=session, path=FEED, actor="editor")
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    again = services.import_references(session=session, path=FEED, actor="editor")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    refs = session.exec(select(Reference).order_by(col(Reference.id))).all()
    assert len(refs) == 2 and all(r.embedding and len(r.embedding) == 512 for r in refs)
    events = session.exec(select(Event).where(Event.action == "references_imported")).all()
    assert [e.account for e in events] == ["editor", "editor"]


def test_a_bad_file_imports_nothing(session: Session, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("claim,url\nA fine claim,https://ok.example/\n,https://ok.example/2\n")
    with pytest.raises(ImportFailed, match="line 3, field 'claim'"):
        services.import_references(session=session, path=bad, actor="editor")
    assert session.exec(select(Reference)).first() is None


def _second_article(session: Session, sentence: str) -> int:
    """An article of another desk whose first sentence restates ``sentence``."""
    services.import_article(
        session=session,
        source=LoadedArticle(
            f"{sentence.rstrip('.')}, the company said on Monday. "
            "Separately, the weather in Seattle was mild with 12 mm of rain.",
            "Chip memory",
            None,
            "test",
        ),
        actor="editor",
        title="Chip memory",
        threshold=0.0,
    )
    first = session.exec(
        select(Claim.id).join(Article).where(Article.slug == "chip-memory").order_by(col(Claim.id))
    ).first()
    assert first is not None
    return first


def test_match_finds_references_with_verdict_words_and_url(session: Session) -> None:
    services.import_references(session=session, path=FEED, actor="editor")
    found = store.search(session, "Do 5G towers spread the coronavirus?", limit=2, threshold=-1)
    assert found[0].kind == "reference" and found[0].verdict == "False"
    assert found[0].url == "https://factcheck.example/5g-covid"
    assert {"5g", "towers", "spread", "coronavirus"} <= set(found[0].words)
    assert found[0].score > found[1].score


def test_reuse_copies_sources_with_stance_and_never_the_verdict(seeded: Session) -> None:
    earlier = seeded.exec(select(Claim).order_by(col(Claim.id))).first()
    assert earlier is not None and earlier.id is not None
    services.add_source(
        session=seeded,
        claim_id=earlier.id,
        url="https://aws.example/spec",
        stance="supports",
        actor="ana",
        title="Spec sheet",
    )
    services.add_source(
        session=seeded,
        claim_id=earlier.id,
        url="https://press.example/x",
        stance="context",
        actor="ana",
    )
    services.review_claim(
        session=seeded, claim_id=earlier.id, status="verified", actor="ana", expected_version=None
    )
    new_id = _second_article(seeded, earlier.claim)
    found = store.search_claim(seeded, new_id, limit=5)
    assert (found[0].kind, found[0].id) == ("claim", earlier.id)
    assert found[0].verdict == "verified" and found[0].where == "trainium3-silicon-sovereignty"
    assert [s["url"] for s in found[0].sources] == [
        "https://aws.example/spec",
        "https://press.example/x",
    ]
    own = store.search_claim(seeded, earlier.id, limit=5)
    assert all(m.kind != "claim" for m in own)  # never itself nor its own article

    added = services.reuse_sources(
        session=seeded, claim_id=new_id, kind="claim", match_id=earlier.id, actor="bob"
    )
    assert [(s.url, s.stance) for s in added] == [
        ("https://aws.example/spec", "supports"),
        ("https://press.example/x", "context"),
    ]
    new = seeded.get(Claim, new_id)
    assert new is not None and new.status == ClaimStatus.unreviewed.value  # no verdict copied
    actions = [e.action for e in seeded.exec(select(Event).where(Event.claim_id == new_id)).all()]
    assert actions.count("source_added") == 2 and actions[-1] == "sources_reused"
    again = services.reuse_sources(
        session=seeded, claim_id=new_id, kind="claim", match_id=earlier.id, actor="bob"
    )
    assert again == []  # sources it has already are not added twice
    with pytest.raises(PermissionDenied):
        services.reuse_sources(
            session=seeded, claim_id=new_id, kind="claim", match_id=earlier.id, actor="victor"
        )
    assert len(seeded.exec(select(Source).where(Source.claim_id == new_id)).all()) == 2


def test_the_same_claim_in_other_quotes_ties_and_the_earlier_comes_first(
    session: Session, tmp_path: Path
) -> None:
    assert textmod.unquoted("He said \u201cno\u201d, 'twice' and didn\u2019t") == (
        "He said no, twice and didn't"
    )
    feed = _feed(
        tmp_path / "twins.json",
        [
            ("https://a.example/1", 'A guest called her "mentally ill" on air', "First"),
            ("https://a.example/2", "A guest called her 'mentally ill' on air", "First"),
        ],
    )
    services.import_references(session=session, path=feed, actor="editor")
    first, second = store.search(session, "guest called her mentally ill", limit=2)
    assert first.score == second.score  # the same words, the same vector
    assert (first.url, second.url) == ("https://a.example/1", "https://a.example/2")


# --- the in-process index: updated in place, seen by another replica ----------------


def _feed(path: Path, reviews: list[tuple[str, str, str]]) -> Path:
    """A ClaimReview array of (url, claim, headline)."""
    path.write_text(
        json.dumps(
            [
                {"@type": "ClaimReview", "url": u, "claimReviewed": c, "headline": h}
                for u, c, h in reviews
            ]
        )
    )
    return path


def _replica_search(engine: Engine, query: str) -> tuple[list[store.Match], store.IndexStats]:
    """A query from another process's point of view: its own engine, a fresh session."""
    with Session(engine) as s:
        return store.search(s, query, limit=5), store.stats(s)


def test_another_replica_sees_added_and_edited_references_without_a_rebuild(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    services.import_references(session=session, path=FEED, actor="editor")
    replica = db.make_engine(db_url)  # the index cache is per engine, as per process
    try:
        found, before = _replica_search(replica, "5G towers spread the coronavirus")
        assert found[0].url == "https://factcheck.example/5g-covid"
        assert before.references == 2 and before.delta == 0
        feed = _feed(
            tmp_path / "more.json",
            [
                ("https://w.example/1", "Wombats share their burrows during bushfires", "Wombats"),
                (  # the same fact-check with a new title: an edit
                    "https://factcheck.example/5g-covid",
                    "5G mobile towers spread the coronavirus",
                    "Antenna masts and the pandemic: no link",
                ),
            ],
        )
        report = services.import_references(session=session, path=feed, actor="editor")
        assert (report.added, report.updated) == (1, 1)

        found, after = _replica_search(replica, "wombats shelter animals in burrows in bushfires")
        assert found[0].url == "https://w.example/1"
        assert after.builds == before.builds and after.updates == before.updates + 1
        assert after.references == 3 and after.delta == 2  # one new, one edited
        found, _ = _replica_search(replica, "antenna masts pandemic")
        assert found[0].url == "https://factcheck.example/5g-covid"
        assert {"antenna", "masts", "pandemic"} <= set(found[0].words)
        assert len({m.id for m in found}) == len(found)  # the edited row once, not twice
        _, unchanged = _replica_search(replica, "antenna")
        assert unchanged.updates == after.updates  # nothing new: the marker said so
    finally:
        replica.dispose()


def test_reviews_and_edits_of_claims_update_the_index_in_place(
    seeded: Session, db_url: str
) -> None:
    replica = db.make_engine(db_url)
    try:
        _, before = _replica_search(replica, "anything")
        new_id = _second_article(seeded, "Penguins in Antarctica mine bitcoin with solar sleds")
        services.add_source(
            session=seeded,
            claim_id=new_id,
            url="https://penguins.example/",
            stance="supports",
            actor="ana",
        )
        services.review_claim(
            session=seeded, claim_id=new_id, status="verified", actor="ana", expected_version=None
        )
        found, after = _replica_search(replica, "penguins mining bitcoin")
        assert (found[0].kind, found[0].id) == ("claim", new_id)
        assert after.claims == before.claims + 1 and after.builds == before.builds

        services.update_claim(
            session=seeded,
            claim_id=new_id,
            changes=ClaimUpdate(claim="Walruses in Svalbard trade seashell futures"),
            actor="editor",
            expected_version=None,
        )
        found, edited = _replica_search(replica, "walrus seashell futures")
        assert (found[0].kind, found[0].id) == ("claim", new_id)
        assert edited.builds == before.builds
        penguins, _ = _replica_search(replica, "penguins mining bitcoin")
        assert all(m.lexical == 0 for m in penguins if m.id == new_id)  # old words gone

        services.review_claim(
            session=seeded,
            claim_id=new_id,
            status="unreviewed",
            actor="editor",
            expected_version=None,
        )
        found, gone = _replica_search(replica, "walrus seashell futures")
        assert all(m.id != new_id for m in found if m.kind == "claim")
        assert gone.claims == before.claims and gone.builds == before.builds
    finally:
        replica.dispose()


def test_a_delta_past_its_limit_is_merged_by_a_rebuild(session: Session, tmp_path: Path) -> None:
    services.import_references(session=session, path=FEED, actor="editor")
    before = store.stats(session)
    many = store.delta_limit(before.references) + 1
    feed = _feed(
        tmp_path / "many.json",
        [(f"https://m.example/{i}", f"Claim number {i} about tides", "Tides") for i in range(many)],
    )
    services.import_references(session=session, path=feed, actor="editor")
    after = store.stats(session)
    assert after.builds == before.builds + 1 and after.delta == 0
    assert after.references == before.references + many
    assert store.search(session, "claim number 7 about tides", limit=1)[0].url == (
        "https://m.example/7"
    )


def test_refresh_stores_best_matches_for_the_queue_filter(seeded: Session) -> None:
    services.import_references(session=seeded, path=FEED, actor="editor")
    report = services.refresh_matches(session=seeded)
    assert report.vectors == 110 and report.matched == 110
    assert services.refresh_matches(session=seeded).matched == 0  # nothing changed
    with_match = queries.list_claims(
        session=seeded, filters=ClaimFilter(has_match=True), limit=None
    )
    assert with_match, "the HBM3e claim of the seed matches the feed's Trainium fact-check"
    best = queries.best_matches(session=seeded, claim_ids=[c.id for c in with_match])
    assert {b.kind for b in best.values()} == {"reference"}
    assert queries.count_claims(session=seeded, filters=ClaimFilter(has_match=True)) == len(
        with_match
    )


def test_import_article_summary_names_the_best_earlier_match(session: Session) -> None:
    services.import_references(session=session, path=FEED, actor="editor")
    report = services.import_article(
        session=session,
        source=LoadedArticle(
            "Posts claim that 5G mobile towers spread the coronavirus across 40 cities. "
            "The council met 3 times in 2024.",
            "Rumours",
            None,
            "test",
        ),
        actor="editor",
        title="Rumours",
        threshold=0.0,
    )
    assert len(report.earlier) == 1
    _cand, kind, _ref_id, score = report.earlier[0]
    assert kind == "reference" and score >= MATCH_THRESHOLD
    assert "1 candidates match earlier claims" in report.line()


# --- the command line ------------------------------------------------------------------


def run(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_import_match_queries_and_references(
    session: Session, db_url: str, tmp_path: Path
) -> None:
    code, out, err = run(db_url, "import", "factchecks", str(FEED), "--by", "editor")
    assert code == 0, err
    assert "2 fact-checks added" in out
    code, out, _ = run(db_url, "match", "5G towers and covid", "--limit", "1", "--format", "json")
    assert code == 0
    (match,) = json.loads(out)
    assert match["kind"] == "reference" and match["verdict"] == "False"
    assert {"id", "score", "url", "date"} <= set(match)
    queries_file = tmp_path / "q.txt"
    queries_file.write_text("Trainium 3 memory\n\n5G towers\n")
    code, out, _ = run(db_url, "match", "--queries", str(queries_file), "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["query"] for r in rows] == ["Trainium 3 memory", "", "5G towers"]
    assert rows[1]["matches"] == [] and "trainium" in rows[0]["matches"][0]["url"]
    code, out, _ = run(db_url, "references", "--format", "json")
    assert json.loads(out)["counts"] == {"total": 2, "Example Checks": 2}
    code, _, err = run(db_url, "match", "x", "--claim", "1")
    assert code == 2 and "exactly one" in err
    code, _, err = run(db_url, "import", "factchecks", str(FEED), "--by", "ana")
    assert code == 1 and "may not import published fact-checks" in err


def test_help_does_not_load_the_matching_libraries() -> None:
    code = (
        "import sys, tracker.cli;"
        "print(sorted(m for m in ('numpy', 'bm25s', 'wordllama') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_speed_benchmark_runs_and_applies_another_process_import_in_place() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.claim_matching", "--small", "--speed-only"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio tracker / BM25 alone (median)" in result.stdout
    assert "(delta 100 rows, full builds 2, in-place updates 1)" in result.stdout


# --- stored best matches: a refresh costs what changed, bounded per call ---------------


@pytest.fixture
def archive(engine: Engine, db_url: str) -> Iterator[Session]:
    """A generated archive of 300 claims in 3 articles (a third of them reviewed),
    every stored best match computed once."""
    generate(db_url, 300, seed=3)
    with Session(engine, expire_on_commit=False) as s:
        first = services.refresh_matches(session=s, limit=None)
        assert first.vectors == 300 and first.matched == 300 and first.pending == 0
        yield s


def _stored(session: Session) -> dict[int, tuple[str | None, int | None]]:
    return {
        v.claim_id: (v.best_kind, v.best_id)
        for v in session.exec(select(ClaimVector)).all()
        if session.refresh(v) is None
    }


def _fresh(session: Session) -> dict[int, tuple[str | None, int | None]]:
    """Every claim's best match computed now, from scratch."""
    out: dict[int, tuple[str | None, int | None]] = {}
    for claim in session.exec(select(Claim)).all():
        best = store.search_claim(session, claim.id or 0, limit=1)
        out[claim.id or 0] = (best[0].kind, best[0].id) if best else (None, None)
    return out


def _unreviewed(session: Session, *, not_in_article: int | None = None) -> Claim:
    claim = session.exec(
        select(Claim)
        .where(Claim.status == "unreviewed", col(Claim.article_id) != (not_in_article or 0))
        .order_by(col(Claim.id))
    ).first()
    assert claim is not None
    return claim


def _claims_marker(session: Session) -> int:
    return session.exec(select(ChangeMarker.n).where(ChangeMarker.topic == "claims")).one()


def _flag(session: Session, claim_id: int) -> None:
    """A verdict that needs no source: flagged as unverifiable."""
    services.review_claim(
        session=session,
        claim_id=claim_id,
        status="flagged",
        reason="unverifiable",
        actor="ana",
        expected_version=None,
        note="No source either way.",
    )


def test_one_verdict_rematches_only_a_handful_of_claims(archive: Session) -> None:
    marker = _claims_marker(archive)
    assert services.refresh_matches(session=archive).matched == 0  # nothing changed ...
    assert _claims_marker(archive) == marker  # ... and nothing written: caches stay valid
    claim = _unreviewed(archive)
    _flag(archive, claim.id or 0)
    report = services.refresh_matches(session=archive)
    assert report.changed == 1 and not report.full
    # at most the RIVALS nearest claims of the one changed row, of 300
    assert 0 < report.matched <= RIVALS and report.matched == report.affected
    assert report.pending == 0 and report.vectors == 0
    assert _stored(archive) == _fresh(archive)  # the same as recomputing all 300


def test_refresh_twice_after_one_verdict_the_second_recomputes_nothing(
    archive: Session,
) -> None:
    first = _unreviewed(archive)
    _flag(archive, first.id or 0)
    assert services.refresh_matches(session=archive).changed == 1
    # another unit of work, nothing the matches depend on: the verdict is still within
    # the delta query's safety margin, but it was handled already
    services.add_source(
        session=archive,
        claim_id=first.id or 0,
        url="https://example.org/again",
        stance="supports",
        actor="ana",
    )
    marker = _claims_marker(archive)
    again = services.refresh_matches(session=archive)
    assert (again.changed, again.affected, again.matched, again.vectors) == (0, 0, 0, 0)
    assert _claims_marker(archive) == marker  # nothing written
    assert _stored(archive) == _fresh(archive)
    second = _unreviewed(archive)
    _flag(archive, second.id or 0)
    report = services.refresh_matches(session=archive)
    assert report.changed == 1 and report.matched == report.affected  # only the new verdict


def test_the_claim_vectors_kept_in_memory_follow_edited_texts(archive: Session) -> None:
    import numpy as np

    from tracker.matching import embed
    from tracker.matching.index import prefixes
    from tracker.services import references

    _flag(archive, _unreviewed(archive).id or 0)
    services.refresh_matches(session=archive)  # reads every stored vector once
    edited = _unreviewed(archive)
    services.update_claim(
        session=archive,
        claim_id=edited.id or 0,
        changes=ClaimUpdate(claim=f"{edited.claim} Said again, louder."),
        actor="editor",
        expected_version=None,
    )
    assert services.refresh_matches(session=archive, limit=None).vectors == 1
    _flag(archive, _unreviewed(archive).id or 0)
    services.refresh_matches(session=archive)  # the kept vectors, the edited one read again
    rows = archive.exec(
        select(ClaimVector.claim_id, ClaimVector.text_sha, ClaimVector.embedding).order_by(
            col(ClaimVector.claim_id)
        )
    ).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    kept, _ = references._claim_matrix(archive, ids, [r[1] for r in rows], prefixes)
    assert np.array_equal(kept, embed.from_bytes([r[2] for r in rows]))


def test_a_new_reviewed_claim_becomes_the_best_match_of_another(archive: Session) -> None:
    target = _unreviewed(archive)
    other = _unreviewed(archive, not_in_article=target.article_id)
    assert _stored(archive)[target.id or 0] != ("claim", other.id)
    services.update_claim(
        session=archive,
        claim_id=other.id or 0,
        changes=ClaimUpdate(claim=target.claim),
        actor="editor",
        expected_version=None,
    )
    _flag(archive, other.id or 0)
    report = services.refresh_matches(session=archive)
    assert report.vectors == 1 and report.matched <= RIVALS + 1  # its rivals and itself
    assert _stored(archive)[target.id or 0] == ("claim", other.id)


def test_imported_fact_checks_rematch_only_the_claims_they_may_beat(archive: Session) -> None:
    services.import_references(session=archive, path=FEED, actor="editor")
    report = services.refresh_matches(session=archive)
    assert report.changed == 2 and not report.full and report.matched <= 2 * RIVALS
    assert _stored(archive) == _fresh(archive)


def test_a_claim_whose_best_match_is_dismissed_gets_another(archive: Session) -> None:
    # a reviewed claim of another article saying the same: the target's best match
    claim_id = _unreviewed(archive).id or 0
    target = archive.get(Claim, claim_id)
    assert target is not None
    other = _unreviewed(archive, not_in_article=target.article_id)
    best_id = other.id or 0
    services.update_claim(
        session=archive,
        claim_id=best_id,
        changes=ClaimUpdate(claim=target.claim),
        actor="editor",
        expected_version=None,
    )
    _flag(archive, best_id)
    services.refresh_matches(session=archive)
    assert _stored(archive)[claim_id] == ("claim", best_id)
    for status in ("unreviewed", "dismissed"):  # a verdict withdrawn, then dismissed
        services.review_claim(
            session=archive,
            claim_id=best_id or 0,
            status=status,
            actor="editor",
            expected_version=None,
        )
    report = services.refresh_matches(session=archive)
    assert report.affected >= 1
    after = _stored(archive)[claim_id]  # another match, or none above the threshold
    assert after != ("claim", best_id)
    assert after == _fresh(archive)[claim_id]


def test_each_call_is_bounded_and_does_the_page_rows_first(archive: Session, db_url: str) -> None:
    archive.execute(sa_update(ClaimVector).values(generation=None))  # stamps of an old version
    archive.commit()
    rows = [290, 17, 3]
    report = services.refresh_matches(session=archive, claim_ids=rows, limit=50)
    assert report.full and report.matched == 50 and report.pending == 250
    vectors = {v.claim_id: v for v in archive.exec(select(ClaimVector)).all()}
    assert all(vectors[cid].generation == report.generation for cid in rows)
    second = services.refresh_matches(session=archive, limit=200)
    assert second.matched == 200 and second.pending == 50 and not second.full
    code, out, err = run(db_url, "match", "--refresh")  # the CLI runs to the end
    assert code == 0, err
    assert out.startswith("50 best matches computed, 0 claim vectors")
    assert services.refresh_matches(session=archive).pending == 0
    assert _stored(archive) == _fresh(archive)
