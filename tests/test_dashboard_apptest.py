"""Every dashboard page through Streamlit's AppTest, on an empty and a seeded database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard.render import WORD_JOINER
from tracker import db, queries, services
from tracker.errors import RuleViolation
from tracker.models import Event
from tracker.services.seeding import seed

from .conftest import ACCOUNTS, ROOT, SEEDS, make_accounts

APP = str(ROOT / "dashboard" / "app.py")
PAGES = [
    "views/queue.py",
    "views/claim.py",
    "views/article.py",
    "views/overview.py",
    "views/export.py",
]


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    engine = db.make_engine(url)
    db.upgrade(engine)
    make_accounts(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_db(empty_db: Engine) -> Engine:
    with Session(empty_db) as s:
        seed(session=s, seeds_dir=SEEDS)
    return empty_db


def app(page: str | None = None, user: str | None = "ana", **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if user:  # what a successful sign-in leaves in the session
        at.session_state["signed_in"] = {"name": user, "role": ACCOUNTS[user]}
    at.run()
    if page:
        at.query_params.update(query)
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = (
        [m.value for m in at.markdown]
        + [e.value for e in at.error]
        + [w.value for w in at.warning]
        + [i.value for i in at.info]
        + [s.value for s in at.success]
        + [t.value for t in at.toast]  # what an action's success says (#11)
    )
    # without the invisible joiners that keep addresses in user text from becoming links
    return "\n".join(str(p) for p in parts).replace(WORD_JOINER, "")


def review_events(engine: Engine, claim_id: int) -> list[Event]:
    with Session(engine) as s:
        return list(
            s.exec(select(Event).where(Event.claim_id == claim_id, Event.action == "review"))
        )


def claim(engine: Engine, claim_id: int) -> queries.ClaimPublic:
    with Session(engine) as s:
        return queries.get_claim(session=s, claim_id=claim_id)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(empty_db: Engine, page: str) -> None:
    at = app(page)
    assert at.title and not at.exception
    assert "tracker seed" in texts(at) or "No claim chosen" in texts(at) or "0" in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_seeded_database(seeded_db: Engine, page: str) -> None:
    at = app(page, id="1")
    assert not at.exception


def test_queue_lists_a_page_and_filters_narrow_it(seeded_db: Engine) -> None:
    at = app()
    assert "**110** claims match" in texts(at)
    assert len(at.dataframe[0].value) == 50
    at.text_input(key="f_search").input("HBM4").run()
    with Session(seeded_db) as s:
        expected = queries.count_claims(session=s, filters=queries.ClaimFilter(search="HBM4"))
    assert 0 < expected < 110
    assert f"**{expected}** claim" in texts(at)
    assert len(at.dataframe[0].value) == expected
    at.multiselect(key="f_type").select("prediction").run()
    assert "No claims match" in texts(at)  # no HBM4 claim is a prediction
    at.text_input(key="f_search").input("").run()
    frame = at.dataframe[0].value
    assert 0 < len(frame) < 50 and set(frame["Type"]) == {"prediction"}


def test_next_unreviewed_opens_the_first_unreviewed_claim(seeded_db: Engine) -> None:
    with Session(seeded_db) as s:
        services.review_claim(
            session=s, claim_id=1, status="in_review", actor="bob", expected_version=1
        )
    at = app()
    at.button(key="q_next").click().run()
    assert at.session_state["claim_id"] == 2
    assert "Claim \\#2" not in texts(at)  # the caption is plain text, not escaped markup
    assert any("Claim #2" in c.value for c in at.caption)


def test_verify_without_a_source_shows_the_rule_and_changes_nothing(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="1")
    assert at.button(key="c_verify").disabled  # off, with the rule's reason beside it (#11)
    assert "verify needs at least one supporting source" in " ".join(c.value for c in at.caption)
    with Session(seeded_db) as s, pytest.raises(RuleViolation, match="supporting source"):
        services.review_claim(
            session=s, claim_id=1, status="verified", actor="ana", expected_version=1
        )
    assert claim(seeded_db, 1).status == "unreviewed" and claim(seeded_db, 1).version == 1
    assert review_events(seeded_db, 1) == []


def test_flag_with_reason_and_note_writes_one_review_event(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="4")
    at.toggle(key="c_flag_open").set_value(True).run()
    at.selectbox(key="c_flag_reason").select("unverifiable")
    at.text_area(key="c_flag_note").input("No statement from Anthropic or AWS.")
    next(b for b in at.button if b.label == "Flag claim").click().run()
    assert not at.exception
    c = claim(seeded_db, 4)
    assert (c.status, c.flag_reason, c.last_reviewed_by) == ("flagged", "unverifiable", "ana")
    events = review_events(seeded_db, 4)
    assert [(e.old_value, e.new_value, e.actor) for e in events] == [
        ("unreviewed", "flagged", "ana")
    ]
    assert "Flagged" in texts(at)


def test_flag_without_a_note_is_refused(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="4")
    at.toggle(key="c_flag_open").set_value(True).run()
    at.selectbox(key="c_flag_reason").select("outdated")
    next(b for b in at.button if b.label == "Flag claim").click().run()
    assert "flagging needs a note" in texts(at)
    assert claim(seeded_db, 4).status == "unreviewed"


def test_add_source_then_note_then_verify(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="3")
    at.text_input(key="c_src_url").input("https://www.example.org/openai-trainium")
    at.selectbox(key="c_src_stance").select("supports")
    at.text_input(key="c_src_title").input("**Press release**")
    next(b for b in at.button if b.label == "Add source").click().run()
    assert "Source added" in texts(at)
    assert "\\*\\*Press release\\*\\*" in texts(at)  # shown as text, not bold
    at.text_area(key="c_note_body").input("<script>alert('x')</script> checked")
    next(b for b in at.button if b.label == "Add note").click().run()
    assert "\\<script\\>" in texts(at)
    at.button(key="c_verify").click().run()
    c = claim(seeded_db, 3)
    assert (c.status, c.source_count, c.version) == ("verified", 1, 2)


def test_source_with_a_javascript_url_is_refused(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="3")
    at.text_input(key="c_src_url").input("javascript:alert(1)")
    next(b for b in at.button if b.label == "Add source").click().run()
    assert "only http and https links are allowed" in texts(at)
    assert claim(seeded_db, 3).source_count == 0


def test_stale_edit_shows_the_conflict_and_changes_nothing(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="5")  # ana opens claim 5 at version 1
    with Session(seeded_db) as s:  # bob changes it meanwhile
        services.review_claim(
            session=s, claim_id=5, status="in_review", actor="bob", expected_version=1
        )
    at.button(key="c_dismiss").click().run()
    shown = texts(at)
    assert "was changed by bob" in shown and "since you opened it" in shown
    assert claim(seeded_db, 5).status == "in_review"
    at.button(key="c_reload").click().run()
    at.button(key="c_dismiss").click().run()
    assert claim(seeded_db, 5).status == "dismissed"


@pytest.mark.parametrize("page", PAGES)
def test_without_sign_in_only_the_sign_in_page_shows(seeded_db: Engine, page: str) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.dataframe
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)  # signed out, no page script is registered at all
    at.text_input(key="si_name").input("ana")
    at.text_input(key="si_password").input("not the password")
    at.button[0].click().run()
    assert [t.value for t in at.title] == ["Sign in"] and "signed_in" not in at.session_state


def test_sign_in_with_password_and_rate_limit(seeded_db: Engine) -> None:
    from tracker.services import set_password

    with Session(seeded_db) as s:
        set_password(session=s, name="ana", password="correct horse battery", actor="admin")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="si_name").input("ana")
    at.text_input(key="si_password").input("wrong password!")
    at.button[0].click().run()
    assert "wrong name or password" in texts(at)
    for _ in range(4):
        at.text_input(key="si_name").input("ana")
        at.text_input(key="si_password").input("wrong password!")
        at.button[0].click().run()
    at.text_input(key="si_name").input("ana")
    at.text_input(key="si_password").input("correct horse battery")
    at.button[0].click().run()
    assert "too many failed sign\\-ins" in texts(at)  # locked even with the right password
    assert "signed_in" not in at.session_state


def test_viewer_cannot_act_and_the_service_refuses_anyway(seeded_db: Engine) -> None:
    at = app("views/claim.py", user="victor", id="1")
    assert not [b for b in at.button if b.key == "c_verify"]  # read-only: no actions (#11)
    assert "can read claims but not change them" in texts(at)
    from tracker.errors import PermissionDenied

    with (
        Session(seeded_db) as s,
        pytest.raises(PermissionDenied, match="victor \\(viewer\\) may not"),
    ):
        services.add_note(session=s, claim_id=1, body="sneaky", actor="victor")


def test_second_review_needs_another_editor(seeded_db: Engine) -> None:
    with Session(seeded_db) as s:
        services.add_source(
            session=s, claim_id=2, url="https://e.example/x", stance="supports", actor="ana"
        )
        services.review_claim(
            session=s, claim_id=2, status="verified", actor="ana", expected_version=1
        )
    at = app("views/claim.py", user="ana", id="2")
    assert "pending confirmation" in texts(at) and not [
        b for b in at.button if b.key == "c_confirm"
    ]
    at = app("views/claim.py", user="editor", id="2")
    at.button(key="c_confirm").click().run()
    c = claim(seeded_db, 2)
    assert (c.confirmed_by, c.status) == ("editor", "verified")


def test_article_view_highlights_and_lists_unlocated_claims(seeded_db: Engine) -> None:
    with Session(seeded_db) as s:
        services.add_source(
            session=s, claim_id=10, url="https://e.example/a", stance="refutes", actor="bob"
        )
        services.review_claim(
            session=s,
            claim_id=10,
            status="flagged",
            actor="bob",
            expected_version=1,
            reason="misleading",
            note="1.4x vs 40%",
        )
    at = app("views/article.py")
    body = texts(at)
    assert ":red-background[" in body and "**\\#10**" in body
    assert ":gray-background[" in body
    assert "not found in the text" not in body


def test_overview_counts(seeded_db: Engine) -> None:
    with Session(seeded_db) as s:
        services.review_claim(
            session=s, claim_id=2, status="dismissed", actor="bob", expected_version=1
        )
    at = app("views/overview.py")
    values = {m.label: m.value for m in at.metric}
    assert values["Dismissed"] == "1" and values["Unreviewed"] == "109"


def test_export_shows_the_row_count_for_the_current_filters(seeded_db: Engine) -> None:
    at = app()
    at.text_input(key="f_search").input("Trainium 4").run()
    at.switch_page("views/export.py").run()
    with Session(seeded_db) as s:
        n = queries.count_claims(session=s, filters=queries.ClaimFilter(search="Trainium 4"))
    assert n > 1
    assert f"**{n}** claims will be exported" in texts(at)
    assert at.get("download_button")[0].label == f"Download CSV ({n} rows)"


def test_extracted_candidates_can_be_shown_promoted_and_dismissed_with_a_reason(
    empty_db: Engine,
) -> None:
    from tracker.intake.loading import load_article
    from tracker.services import import_article

    with Session(empty_db) as s:
        report = import_article(
            session=s,
            source=load_article(str(SEEDS / "trainium3-silicon-sovereignty.txt")),
            actor="editor",
            title="T3 import",
        )
    at = app()
    shown = len(at.dataframe[0].value)
    at.toggle(key="f_below").set_value(True).run()
    assert f"**{len(report.created) + report.below_threshold}** claims match" in texts(at)
    assert "Score" in at.dataframe[0].value.columns and shown == 50
    with Session(empty_db) as s:
        low = next(
            c
            for c in queries.list_claims(
                session=s, limit=None, filters=queries.ClaimFilter(include_below_threshold=True)
            )
            if c.below_threshold
        )
    at.query_params["id"] = str(low.id)
    at.switch_page("views/claim.py").run()
    assert "Why it was extracted" in " ".join(c.value for c in at.caption)
    at.button(key="c_promote").click().run()
    assert not claim(empty_db, low.id).below_threshold
    at.text_input(key="c_dismiss_reason").input("opinion, nothing to check")
    at.button(key="c_dismiss").click().run()
    c = claim(empty_db, low.id)
    assert c.status == "dismissed"
    with Session(empty_db) as s:
        notes = queries.claim_detail(session=s, claim_id=low.id).notes
    assert notes[-1].body == "Dismissed: opinion, nothing to check"


def test_article_view_lists_internal_inconsistencies(seeded_db: Engine) -> None:
    at = app("views/article.py")
    shown = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))  # drop md escapes
    assert "section number 6.1 is used twice" in shown and "1/0.6 = 1.67" in shown


def test_see_in_article_links_to_the_article_scrolled_to_the_claim(seeded_db: Engine) -> None:
    at = app("views/claim.py", id="60")
    links = [m.value for m in at.markdown if "See in article" in m.value]
    assert links == [
        "[:material/article: See in article]"
        "(<article?slug=trainium3-silicon-sovereignty&claim=60#claim-60>)"
    ]
