"""A claim whose quote a new revision no longer has is in a state of its own ("lost"):
shown as such everywhere, never confirmed, rated or published until an editor moves
it to a sentence of the current text or dismisses it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from tracker import publishing, queries, services
from tracker.audit import EventAction
from tracker.cli import app
from tracker.errors import InvalidTransition, PermissionDenied, RuleViolation, ValidationFailed
from tracker.interchange import json_dump
from tracker.interchange.csv_export import export_csv_bytes
from tracker.models import Claim, ClaimUpdate, Event, RatingUpdate
from tracker.queries import ClaimFilter

from .conftest import make_accounts_via_cli, migrate

V1 = (
    "# Results\n\nRevenue dipped 1.4% in the third quarter, the company said.\n\n"
    "The chief executive left in March after ten years.\n"
)
V2 = V1.replace("1.4%", "2.4%")
OLD = "Revenue dipped 1.4% in the third quarter, the company said."
NEW = OLD.replace("1.4%", "2.4%")
BASE = "https://factcheck.example.org/reports"


@pytest.fixture(autouse=True)
def publisher_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_REPORT_BASE_URL", BASE)
    monkeypatch.setenv("TRACKER_ORG_NAME", "Example Fact Desk")


def _import(s: Session, tmp_path: Path, text: str) -> services.ArticleImportReport:
    path = tmp_path / "results.md"
    path.write_text(text, encoding="utf-8")
    return services.import_article(session=s, source=str(path), actor="editor", slug="results")


def _claim_quoting(s: Session, quote: str) -> int:
    rows = queries.list_claims(session=s, filters=ClaimFilter(article="results"))
    return next(c.id for c in rows if c.quote == quote)


def _publish(s: Session, claim_id: int, status: str, rating: str, summary: str) -> None:
    stance = "supports" if status == "verified" else "refutes"
    services.add_source(
        session=s, claim_id=claim_id, url=f"https://example.org/{claim_id}", stance=stance,
        actor="ana",
    )  # fmt: skip
    services.review_claim(
        session=s, claim_id=claim_id, status=status, actor="ana", expected_version=None,
        reason=None if status == "verified" else "false",
        note=None if status == "verified" else "The filing says otherwise.",
    )  # fmt: skip
    services.confirm_verdict(session=s, claim_id=claim_id, actor="eve", expected_version=None)
    services.rate_claim(
        session=s, claim_id=claim_id, actor="editor", expected_version=None,
        changes=RatingUpdate(rating=rating, verdict_summary=summary),
    )  # fmt: skip


def _events(s: Session, claim_id: int) -> list[str]:
    return list(
        s.exec(select(Event.action).where(Event.claim_id == claim_id).order_by(col(Event.id)))
    )


def _lost_scenario(s: Session, tmp_path: Path) -> tuple[int, int]:
    """Verified, confirmed and rated True on 1.4%; the article now says 2.4%."""
    _import(s, tmp_path, V1)
    old = _claim_quoting(s, OLD)
    _publish(s, old, "verified", "True", "The filing says 1.4%.")
    assert [c.id for r in publishing.published_reports(session=s) for c in r.claims] == [old]
    report = _import(s, tmp_path, V2)
    new = _claim_quoting(s, NEW)
    assert report.lost == [old] and report.replacements == [(new, old)]
    return old, new


def test_a_lost_quote_is_a_state_that_blocks_confirming_rating_and_publishing(
    session: Session, tmp_path: Path
) -> None:
    s = session
    old, new = _lost_scenario(s, tmp_path)
    lost = queries.get_claim(session=s, claim_id=old)
    assert (lost.quote_lost_in, lost.quote_replacement, lost.quote_state) == (2, new, "lost")
    assert lost.quote_revision == 1 and lost.confirmed_by is None
    assert "a quote in the article's current text" in " ".join(
        publishing.publication_blockers(lost)
    )

    says = f"claim {old}'s quote is not in revision 2 of its article"
    with pytest.raises(RuleViolation, match=says):
        services.confirm_verdict(session=s, claim_id=old, actor="eve", expected_version=None)
    with pytest.raises(RuleViolation, match=says):
        services.rate_claim(
            session=s, claim_id=old, actor="editor", expected_version=None,
            changes=RatingUpdate(rating="Mostly true"),
        )  # fmt: skip
    services.review_claim(
        session=s, claim_id=old, status="in_review", actor="editor", expected_version=None
    )
    with pytest.raises(RuleViolation, match=says):
        services.review_claim(
            session=s, claim_id=old, status="verified", actor="editor", expected_version=None
        )
    with pytest.raises(RuleViolation, match=says):
        services.update_claim(
            session=s, claim_id=old, actor="editor", expected_version=None,
            changes=ClaimUpdate(quote=NEW, quote_start=11, quote_end=11 + len(NEW)),
        )  # fmt: skip

    # the new sentence is checked and published; the lost one never appears as if there
    _publish(s, new, "flagged", "False", "It fell 1.4%, not 2.4%.")
    reports = publishing.published_reports(session=s)
    assert [c.id for r in reports for c in r.claims] == [new]
    items = publishing.claimreview_items(session=s)
    assert [i["claimReviewed"] for i in items] == [NEW]
    html = publishing.report_html(session=s, slug="results")
    assert "1.4% in the third" not in html and f"claim-{old}" not in html

    assert [c.id for c in queries.list_claims(session=s, filters=ClaimFilter(quote_lost=True))] == [
        old
    ]
    rows = {
        r["claim_id"]: r
        for r in csv.DictReader(io.StringIO(export_csv_bytes(session=s).decode("utf-8")))
    }
    assert (rows[str(old)]["quote_state"], rows[str(old)]["quote_lost_in"]) == ("lost", "2")
    assert (rows[str(old)]["quote_start"], rows[str(old)]["quote_end"]) == ("", "")
    assert (rows[str(new)]["quote_state"], rows[str(new)]["quote_lost_in"]) == ("found", "")
    assert rows[str(new)]["quote_start"] == "11"

    # the JSON dump's claim rows carry the state (and the proposal) as columns
    claims = json_dump.spec(Claim.__table__)  # type: ignore[attr-defined]
    lines = [
        json.loads(json_dump.row_line(claims, row))
        for row in json_dump.iter_rows(s.connection(), claims)
    ]
    by_name = [dict(zip(claims.column_names, line, strict=True)) for line in lines]
    dumped = {d["id"]: d for d in by_name}
    assert (dumped[old]["quote_lost_in"], dumped[old]["quote_replacement"]) == (2, new)
    assert dumped[new]["quote_lost_in"] is None


def test_moving_a_lost_claim_gives_it_the_new_sentence_and_a_new_review(
    session: Session, tmp_path: Path
) -> None:
    s = session
    old, new = _lost_scenario(s, tmp_path)
    with pytest.raises(PermissionDenied, match="ana \\(reviewer\\) may not move"):
        services.move_lost_claim(session=s, claim_id=old, actor="ana", expected_version=None)
    with pytest.raises(InvalidTransition, match="nothing to resolve"):
        services.move_lost_claim(session=s, claim_id=new, actor="editor", expected_version=None)
    with pytest.raises(ValidationFailed, match="is not found in article 'results'"):
        services.move_lost_claim(
            session=s, claim_id=old, actor="editor", expected_version=None, quote="gone"
        )
    moved = services.move_lost_claim(
        session=s, claim_id=old, actor="editor", expected_version=None,
        claim_text="Revenue dipped 2.4% in the third quarter.",
    )  # fmt: skip
    article = queries.get_article(session=s, slug="results")
    assert article.text[moved.quote_start : moved.quote_end] == moved.quote == NEW
    assert (moved.quote_lost_in, moved.quote_replacement) == (None, None)
    assert moved.quote_state == "found"
    # what was judged changed: the verdict needs a new review; its rating stays a draft
    assert (moved.status, moved.confirmed_by, moved.rating) == ("in_review", None, "True")
    assert moved.claim == "Revenue dipped 2.4% in the third quarter."
    assert _events(s, old)[-3:] == [EventAction.quote_moved, EventAction.edit, EventAction.review]
    assert publishing.published_reports(session=s) == []
    services.review_claim(
        session=s, claim_id=old, status="verified", actor="ana", expected_version=None
    )
    services.confirm_verdict(session=s, claim_id=old, actor="eve", expected_version=None)
    reports = publishing.published_reports(session=s)
    assert [(c.id, c.quote, c.located) for r in reports for c in r.claims] == [(old, NEW, True)]


def test_dismissing_a_lost_claim_takes_it_out_of_the_record_and_keeps_its_history(
    session: Session, tmp_path: Path
) -> None:
    s = session
    old, _new = _lost_scenario(s, tmp_path)
    done = services.dismiss_lost_claim(
        session=s, claim_id=old, actor="editor", expected_version=None, note="Figure corrected."
    )
    assert (done.status, done.quote_state, done.rating) == ("dismissed", "dismissed", "True")
    assert queries.list_claims(session=s, filters=ClaimFilter(quote_lost=True)) == []
    events = _events(s, old)
    assert EventAction.confirm in events and events[-3:] == [
        EventAction.quote_dismissed,
        EventAction.review,
        EventAction.note_added,
    ]
    with pytest.raises(InvalidTransition, match="is dismissed; reopen it"):
        services.dismiss_lost_claim(session=s, claim_id=old, actor="editor", expected_version=None)
    assert publishing.published_reports(session=s) == []
    # reopened, it is lost again (not published, not confirmable) until moved
    again = services.review_claim(
        session=s, claim_id=old, status="unreviewed", actor="editor", expected_version=None
    )
    assert again.quote_state == "lost"


def test_a_lost_quote_that_comes_back_is_found_again(session: Session, tmp_path: Path) -> None:
    s = session
    old, new = _lost_scenario(s, tmp_path)
    report = _import(s, tmp_path, "Preface.\n\n" + V1)
    claim = queries.get_claim(session=s, claim_id=old)
    assert report.lost == [new] and claim.quote_lost_in is None and claim.quote_state == "found"
    article = queries.get_article(session=s, slug="results")
    assert article.text[claim.quote_start : claim.quote_end] == OLD
    assert claim.confirmed_by is None  # cleared when it was lost: a second look again


def test_a_quote_lost_twice_keeps_the_revision_it_was_lost_in(
    session: Session, tmp_path: Path
) -> None:
    s = session
    old, new = _lost_scenario(s, tmp_path)
    _import(s, tmp_path, V2 + "\nA new closing line was added here.\n")
    claim = queries.get_claim(session=s, claim_id=old)
    assert (claim.quote_lost_in, claim.quote_replacement) == (2, new)
    assert _events(s, old).count(EventAction.quote_lost) == 1


# --- the same scenario as a desk types it ---------------------------------------------

runner = CliRunner()


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_refuses_to_confirm_a_lost_claim_and_shows_it_everywhere(
    db_url: str, tmp_path: Path
) -> None:
    assert run(db_url, "init")[0] == 0
    make_accounts_via_cli(db_url)
    (tmp_path / "a1.md").write_text(V1, encoding="utf-8")
    (tmp_path / "a2.md").write_text(V2, encoding="utf-8")

    def ok(*args: str) -> str:
        code, out, err = run(db_url, *args)
        assert code == 0, (args, out, err)
        return out + err

    ok("import-article", str(tmp_path / "a1.md"), "--slug", "results", "--by", "editor")
    ok("source", "add", "1", "https://example.org/q3", "--stance", "supports", "--by", "ana")
    ok("review", "1", "verified", "--by", "ana")
    ok("confirm", "1", "--by", "eve")
    ok("rate", "1", "true", "--summary", "The filing says 1.4%.", "--by", "editor")
    out = ok("import-article", str(tmp_path / "a2.md"), "--slug", "results", "--by", "editor")
    assert "1 quotes no longer found (claims 1)" in out and "3 (replaces claim 1?)" in out
    ok("source", "add", "3", "https://example.org/q3b", "--stance", "refutes", "--by", "ana")
    ok("review", "3", "flagged", "--reason", "false", "--note", "It was 1.4%", "--by", "ana")
    ok("confirm", "3", "--by", "eve")
    ok("rate", "3", "false", "--summary", "It fell 1.4%, not 2.4%.", "--by", "editor")

    code, out, err = run(db_url, "confirm", "1", "--by", "eve")
    assert code == 1 and out == ""
    assert err == (
        "error: claim 1's quote is not in revision 2 of its article; move it to a sentence "
        "of the current text (tracker lost move 1) or dismiss it (tracker lost dismiss 1) "
        "before confirming its verdict\n"
    )
    code, _, err = run(db_url, "rate", "1", "mostly-true", "--by", "editor")
    assert code == 1 and err.count("\n") == 1 and "before rating it" in err

    report = tmp_path / "r.html"
    assert "1 published claims" in ok("report", "results", "--out", str(report))
    assert "1.4% in the third" not in report.read_text(encoding="utf-8")
    reviews = tmp_path / "cr.json"
    ok("export", "claimreview", "--out", str(reviews))
    assert [i["claimReviewed"] for i in json.loads(reviews.read_text())] == [NEW]

    shown = ok("show", "1")
    assert "quote [11:70]" not in shown
    assert "quote LOST: not in revision 2" in shown and "[11:70] of revision 1" in shown
    assert "proposed in its place: claim 3" in shown
    data = json.loads(ok("show", "1", "--format", "json"))
    assert (data["quote_state"], data["quote_lost_in"], data["quote_revision"]) == ("lost", 2, 1)
    listed = ok("claims", "--quote-lost")
    assert "[quote lost in r2]" in listed and "\n    3 " not in listed
    ok("export", "csv", "--out", str(tmp_path / "c.csv"))
    with (tmp_path / "c.csv").open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["claim_id"] == "1")
    assert (row["quote_state"], row["quote_lost_in"], row["quote_start"]) == ("lost", "2", "")

    code, _, err = run(db_url, "lost", "move", "1", "--by", "ana")
    assert code == 1 and "ana (reviewer) may not move" in err
    out = ok("lost", "move", "1", "--by", "editor", "--claim", "Revenue dipped 2.4%.")
    assert out.startswith(f"claim 1 now quotes [11:70] “{NEW}”; in_review")
    assert "quote [11:70]" in ok("show", "1")
    ok("import-article", str(tmp_path / "a1.md"), "--slug", "results", "--by", "editor")
    code, _, err = run(db_url, "lost", "dismiss", "3", "--by", "editor", "--note", "Reverted")
    assert code == 0, err
    listed = ok("claims", "--article", "results", "--status", "dismissed")
    assert "[quote dismissed in r3]" in listed


def test_migration_0020_marks_the_claims_an_earlier_revision_lost(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    """A database revised before the state existed: its stale claims come out lost."""
    _import(session, tmp_path, V1)
    old, kept = _claim_quoting(session, OLD), _claim_quoting(session, V1.split("\n")[4])
    session.close()
    migrate(engine, "0019")
    with engine.begin() as conn:  # what an import of the time left: the text changed only
        conn.execute(text("UPDATE article SET text = :t, revision = 2"), {"t": V2})
    migrate(engine, "head")
    with Session(engine) as s:
        lost, found = (queries.get_claim(session=s, claim_id=i) for i in (old, kept))
        assert (lost.quote_lost_in, lost.quote_state) == (2, "lost")
        assert (found.quote_lost_in, found.quote_state) == (None, "found")
    migrate(engine, "0019")
    migrate(engine, "head")
    with Session(engine) as s:
        assert queries.get_claim(session=s, claim_id=old).quote_lost_in == 2
