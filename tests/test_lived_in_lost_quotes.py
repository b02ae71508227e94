"""On the lived-in database (tests/livedin.py), on both backends: the claim whose
verdict a revision orphaned ("1.4%" became "2.4%") and the one whose sentence was
deleted are lost quotes, shown as such, kept out of the record, and resolved."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session

from tracker import publishing, queries, services
from tracker.errors import RuleViolation
from tracker.interchange.csv_export import export_csv_bytes
from tracker.models import RatingUpdate
from tracker.queries import ClaimFilter

from .conftest import LivedDb
from .livedin import LOST_QUOTE, REVISED
from .test_lived_in import check_derived


def test_the_lived_in_lost_quotes_are_a_state_and_are_resolved(lived_in: LivedDb) -> None:
    facts = lived_in.facts
    lost, deleted = facts.lost_quote_claim, facts.deleted_quote_claim
    with Session(lived_in.engine) as s:
        article = queries.get_article(session=s, slug=REVISED)
        orphan = queries.get_claim(session=s, claim_id=lost)
        assert (orphan.quote_state, orphan.quote_lost_in) == ("lost", article.revision)
        assert orphan.confirmed_by is None and orphan.rating == "True"
        gone = queries.get_claim(session=s, claim_id=deleted)
        assert gone.quote_state == "lost"
        listed = queries.list_claims(
            session=s, filters=ClaimFilter(article=REVISED, quote_lost=True)
        )
        others = {c.id for c in listed} - {lost}
        assert deleted in others  # and the replaced fab sentence's claim
        assert all(c.quote_state == "lost" for c in listed)
        relocated = queries.get_claim(session=s, claim_id=facts.relocated_claim)
        assert relocated.quote_state == "found"
        assert article.text[relocated.quote_start : relocated.quote_end] == relocated.quote

        rows = {
            int(r["claim_id"]): r
            for r in csv.DictReader(io.StringIO(export_csv_bytes(session=s).decode("utf-8")))
        }
        assert rows[lost]["quote_state"] == "lost" and rows[lost]["quote_start"] == ""
        with pytest.raises(RuleViolation, match="not in revision"):
            services.confirm_verdict(
                session=s, claim_id=lost, actor="editor", expected_version=None
            )
        with pytest.raises(RuleViolation, match="not in revision"):
            services.rate_claim(
                session=s,
                claim_id=lost,
                actor="editor",
                expected_version=None,
                changes=RatingUpdate(rating="Mostly true"),
            )
        for report in publishing.published_reports(session=s):
            assert lost not in {c.id for c in report.claims}
            assert all(c.located for c in report.claims)
        assert LOST_QUOTE not in publishing.report_html(session=s, slug=REVISED)

        # the orphaned verdict moves to the sentence proposed in its place; the others
        # are dismissed
        assert orphan.quote_replacement is not None
        moved = services.move_lost_claim(
            session=s, claim_id=lost, actor="editor", expected_version=None
        )
        assert "2.4%" in moved.quote and moved.status == "in_review"
        assert article.text[moved.quote_start : moved.quote_end] == moved.quote
        for other in others:
            done = services.dismiss_lost_claim(
                session=s, claim_id=other, actor="editor", expected_version=None
            )
            assert done.quote_state == "dismissed"
        still = ClaimFilter(article=REVISED, quote_lost=True)
        assert queries.list_claims(session=s, filters=still) == []
        check_derived(s)  # counters and tallies still equal a recount
