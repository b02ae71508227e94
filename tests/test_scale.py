"""Scale (#10): the text index answers like the substring search, counters and
change markers are kept by the writes that change them, in their transaction."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, col, select

from tracker import queries, services
from tracker.errors import RuleViolation, ValidationFailed
from tracker.models import Claim, ClaimUpdate, Note, Source
from tracker.queries import ClaimFilter
from tracker.services.uow import unit_of_work


def substring_search(session: Session, term: str) -> list[int]:
    """Today's search, done in Python: the term in the claim, the quote or a note."""
    needle = term.lower()
    notes: dict[int, list[str]] = {}
    for claim_id, body in session.exec(select(Note.claim_id, Note.body)):
        notes.setdefault(claim_id, []).append(body.lower())
    return sorted(
        c.id or 0
        for c in session.exec(select(Claim).where(col(Claim.below_threshold).is_(False)))
        if needle in c.claim.lower()
        or needle in c.quote.lower()
        or any(needle in n for n in notes.get(c.id or 0, []))
    )


def searched(session: Session, term: str) -> list[int]:
    rows = queries.list_claims(session=session, filters=ClaimFilter(search=term), limit=None)
    return sorted(r.id for r in rows)


def word_queries(session: Session) -> list[str]:
    words: set[str] = set()
    for text, quote in session.exec(select(Claim.claim, Claim.quote)):
        words.update(re.findall(r"[A-Za-z0-9]{3,}", f"{text} {quote}"))
    picked = sorted(words)[::7]  # a spread of common and rare words, deterministic
    return [*picked, *(w.upper() for w in picked[:10]), "HBM4", "Trainium", "zzqxnotthere"]


def test_word_searches_find_exactly_what_the_substring_search_finds(seeded: Session) -> None:
    services.add_note(session=seeded, claim_id=5, body="Needs a Bandwidth check", actor="ana")
    services.add_note(session=seeded, claim_id=9, body="sovereign cloud angle", actor="bob")
    terms = word_queries(seeded)
    assert len(terms) > 50
    for term in terms:
        assert searched(seeded, term) == substring_search(seeded, term), term
    # a phrase, a word inside a word, short terms (scanned) and punctuation
    for term in ("silicon sovereignty", "andwidt", "AI", "x", '"quoted"', "100%", "a_b"):
        assert searched(seeded, term) == substring_search(seeded, term), term
    count = queries.count_claims(session=seeded, filters=ClaimFilter(search="bandwidth"))
    assert count == len(substring_search(seeded, "bandwidth")) > 0


def test_the_queues_two_counts_in_one_pass_equal_two_counts(seeded: Session) -> None:
    """count_with_unreviewed: with a search, one count(*) FILTER pass gives what two
    counts give (the matches, and the unreviewed ones among every filter but status)."""
    services.add_source(
        session=seeded, claim_id=1, url="https://example.org/s", stance="supports", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=1, status="verified", actor="ana", expected_version=None
    )
    services.assign_claim(
        session=seeded, claim_id=2, assignee="ana", actor="editor", expected_version=None
    )
    seen = set()
    for search in ("Trainium", "NVIDIA", "the", "zzqxnotthere", None):
        for extra in (
            {},
            {"status": ("verified",)},
            {"status": ("unreviewed", "verified")},
            {"assignee": "-"},
            {"assignee": "ana"},
            {"claim_type": ("statistic",)},
            {"pending_confirmation": True},
        ):
            f = ClaimFilter(search=search, **extra)  # type: ignore[arg-type]
            unreviewed = ClaimFilter(search=search, **{**extra, "status": ("unreviewed",)})  # type: ignore[arg-type]
            pair = queries.count_with_unreviewed(session=seeded, filters=f)
            assert pair == (
                queries.count_claims(session=seeded, filters=f),
                queries.count_claims(session=seeded, filters=unreviewed),
            ), (search, extra)
            seen.add(pair)
    assert len(seen) > 5  # the cases differ


def test_a_queue_page_with_its_counts_equals_the_page_and_counts_read_apart(
    seeded: Session,
) -> None:
    """queue_page searches once for the page and both counts; what it gives must be
    what the two counts and list_claims give, for every sort, and a page past the end
    is the last page."""
    services.add_source(
        session=seeded, claim_id=3, url="https://example.org/s", stance="supports", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=3, status="verified", actor="ana", expected_version=None
    )
    pages_seen = 0
    for search in ("Trainium", "the", "zzqxnotthere", None):
        for status in ((), ("verified",), ("unreviewed",)):
            f = ClaimFilter(search=search, status=status)
            counts = queries.count_with_unreviewed(session=seeded, filters=f)
            for sort in ("id", "sources", "updated_at"):
                for desc in (False, True):
                    order = {"session": seeded, "filters": f, "sort": sort, "descending": desc}
                    for offset in (0, 10, 13, 10_000, 3_000_000_000):
                        got = queries.queue_page(**order, limit=10, offset=offset)
                        assert (got.total, got.unreviewed) == counts, (search, status)
                        last = max(0, (counts[0] - 1) // 10 * 10)
                        # an offset inside the result is kept (13: not a page start)
                        assert got.offset == (offset if offset < counts[0] else last)
                        rows = queries.list_claims(**order, limit=10, offset=got.offset)
                        assert [r.id for r in got.rows] == [r.id for r in rows]
                        assert got.rows == rows  # the same public claims, field by field
                        pages_seen += bool(rows)
    assert pages_seen > 50
    with pytest.raises(ValidationFailed, match="limit"):
        queries.queue_page(session=seeded, filters=ClaimFilter(), limit=0)


def test_the_text_index_follows_writes_in_their_transaction(seeded: Session) -> None:
    assert searched(seeded, "quokkaword") == []
    services.add_note(session=seeded, claim_id=3, body="about the quokkaword", actor="ana")
    assert searched(seeded, "QuokkaWord") == [3]
    claim = queries.get_claim(session=seeded, claim_id=4)
    services.update_claim(
        session=seeded,
        claim_id=4,
        changes=ClaimUpdate(claim="A wombatphrase claim"),
        actor="editor",
        expected_version=claim.version,
    )
    assert searched(seeded, "wombatphrase") == [4]
    services.update_claim(
        session=seeded,
        claim_id=4,
        changes=ClaimUpdate(claim=claim.claim),
        actor="editor",
        expected_version=claim.version + 1,
    )
    assert searched(seeded, "wombatphrase") == []
    # a write that fails leaves the index as it was
    with pytest.raises(RuleViolation), unit_of_work(seeded):
        services.add_note(session=seeded, claim_id=6, body="a numbatword", actor="ana")
        raise RuleViolation("undo")
    assert searched(seeded, "numbatword") == []


def test_source_count_is_kept_with_each_source_and_sorts_the_queue(seeded: Session) -> None:
    for url in ("https://a.example/1", "https://a.example/2"):
        services.add_source(session=seeded, claim_id=7, url=url, stance="supports", actor="ana")
    services.add_source(
        session=seeded, claim_id=8, url="https://a.example/3", stance="refutes", actor="ana"
    )
    stored = dict(seeded.exec(select(Claim.id, Claim.source_count)).all())
    counted: dict[int, int] = {}
    for claim_id in seeded.exec(select(Source.claim_id)):
        counted[claim_id] = counted.get(claim_id, 0) + 1
    assert {k: v for k, v in stored.items() if v} == counted
    top = queries.list_claims(session=seeded, sort="sources", descending=True, limit=3)
    assert [(c.id, c.source_count) for c in top][:2] == [(7, 2), (8, 1)]
    assert queries.get_claim(session=seeded, claim_id=7).source_count == 2


def test_overview_verdicts_come_from_counters_kept_by_reviews(seeded: Session) -> None:
    services.add_source(
        session=seeded, claim_id=2, url="https://a.example/v", stance="supports", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=2, status="verified", actor="ana", expected_version=None
    )
    services.review_claim(
        session=seeded, claim_id=3, status="in_review", actor="ana", expected_version=None
    )
    ov = queries.overview(session=seeded)
    by_status: dict[str, int] = {}
    for _day, status, n in ov.verdicts_by_day:
        by_status[status] = by_status.get(status, 0) + n
    assert by_status == {"verified": 1, "in_review": 1}
    slug = queries.get_claim(session=seeded, claim_id=2).article
    assert queries.overview(session=seeded, article=slug).verdicts_by_day == ov.verdicts_by_day


def test_each_write_bumps_the_change_marker_of_what_it_changed(seeded: Session) -> None:
    before = queries.change_markers(session=seeded)
    assert set(before) == {"claims", "articles", "accounts"}
    services.add_note(session=seeded, claim_id=3, body="a note", actor="ana")
    after_note = queries.change_markers(session=seeded)
    assert after_note == before | {"claims": before["claims"] + 1}
    services.create_user(session=seeded, name="newbie", role="viewer", actor="admin")
    after_user = queries.change_markers(session=seeded)
    assert after_user == after_note | {"accounts": after_note["accounts"] + 1}
    with pytest.raises(RuleViolation):
        services.review_claim(
            session=seeded, claim_id=3, status="verified", actor="ana", expected_version=None
        )
    assert queries.change_markers(session=seeded) == after_user  # refused: nothing changed


def test_iter_claims_streams_the_list_in_its_order(seeded: Session) -> None:
    for sort, desc in (("id", False), ("sources", True), ("status", False)):
        listed = queries.list_claims(session=seeded, sort=sort, descending=desc, limit=None)
        streamed = queries.iter_claims(session=seeded, sort=sort, descending=desc, batch_size=7)
        assert [c.id for c in streamed] == [c.id for c in listed]
    by_id = queries.list_claims(session=seeded, limit=None)
    tail = queries.iter_claims(session=seeded, offset=100, batch_size=3)
    assert [c.id for c in tail] == [c.id for c in by_id][100:]
