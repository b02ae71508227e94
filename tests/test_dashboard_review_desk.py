"""The reviewer's desk (#11) through AppTest: the queue's columns, quick filters and
URL filters, bulk actions with a conflict, forms that keep their input when refused,
viewers read-only, editors editing a claim, and the editor's confirmation queue."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.render import md_escape
from tracker import queries, services
from tracker.models import ClaimUpdate, Event

from .test_dashboard_apptest import app, claim, empty_db, seeded_db  # noqa: F401
from .test_dashboard_apptest import texts as page_texts


@pytest.fixture
def desk(seeded_db: Engine) -> Engine:  # noqa: F811
    return seeded_db


def open_app(user: str = "ana", page: str = "views/queue.py", **query: str) -> AppTest:
    return app(page, user=user, **query)


def texts(at: AppTest) -> str:
    return page_texts(at) + "\n" + "\n".join(c.value for c in at.caption)


def select_rows(at: AppTest, *rows: int) -> AppTest:
    """What ticking rows of the queue's table leaves in the session."""
    at.session_state["q_table_0"] = {"selection": {"rows": list(rows), "columns": [], "cells": []}}
    return at.run()


# --- queue -------------------------------------------------------------------------------


def test_queue_puts_the_claim_first_and_leaves_a_missing_score_blank(desk: Engine) -> None:
    at = open_app()
    frame = at.dataframe[0].value
    assert frame.columns[0] == "Claim"
    assert frame["Claim"][0] == claim(desk, 1).claim  # whole, not cut
    assert "Article" not in frame.columns  # one article: no article column
    assert set(frame["Score"]) == {""}  # curated claims have no score: blank, not "None"
    assert "None" not in frame.to_string()
    assert ":green-badge[Verified]" in texts(at)  # the legend


def test_quick_filters_mine_unassigned_and_pending_confirmation(desk: Engine) -> None:
    with Session(desk) as s:
        for cid in (3, 4):
            services.assign_claim(
                session=s, claim_id=cid, assignee="ana", actor="ana", expected_version=1
            )
        services.add_source(
            session=s, claim_id=6, url="https://e.example/6", stance="supports", actor="bob"
        )
        services.review_claim(
            session=s, claim_id=6, status="verified", actor="bob", expected_version=1
        )
    at = open_app("ana")
    at.button(key="q_quick_mine").click().run()
    assert list(at.dataframe[0].value["ID"]) == [3, 4]
    assert at.query_params["assignee"] == "me"
    at.button(key="q_quick_unassigned").click().run()
    assert len(at.dataframe[0].value) == 50 and "**108** claims match" in texts(at)
    at.button(key="q_quick_unassigned").click().run()  # off again
    at.button(key="q_quick_pending").click().run()
    assert list(at.dataframe[0].value["ID"]) == [6]
    assert "Verified · to confirm" in at.dataframe[0].value["Status"][0]
    assert at.query_params["pending"] == "1"


def test_filters_live_in_the_url_and_a_shared_link_opens_the_same_queue(desk: Engine) -> None:
    at = open_app("ana")
    at.multiselect(key="f_type").select("prediction").run()
    at.text_input(key="f_search").input("Trainium").run()
    shared = dict(at.query_params)
    assert shared == {"type": "prediction", "q": "Trainium"}
    ids = list(at.dataframe[0].value["ID"])
    assert ids
    other = open_app("bob", **shared)  # a colleague opens the link
    assert list(other.dataframe[0].value["ID"]) == ids
    assert other.text_input(key="f_search").value == "Trainium"
    assert other.multiselect(key="f_type").value == ["prediction"]


def test_a_link_past_the_last_page_shows_the_last_page_and_says_so(desk: Engine) -> None:
    """63 claims match "Trainium": a link to its page 9 shows page 2 (claims 51-63),
    and the address then names page 2, the page shown."""
    at = open_app("ana", q="Trainium")
    at.query_params["page"] = "9"  # "page" is also open_app's own argument
    at.run()
    assert not at.exception
    assert "Showing 51–63 of 63." in [c.value for c in at.caption]
    assert dict(at.query_params)["page"] == "2"
    assert at.number_input(key="q_page").value == 2
    at.query_params["page"] = "50000000"  # (page - 1) * 50 beyond any SQL offset
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert dict(at.query_params)["page"] == "2"


def test_a_bad_value_in_the_link_is_named_and_ignored(desk: Engine) -> None:
    at = open_app("ana", status="unreviewed,bogus", pending="yes")
    shown = texts(at)
    assert "bogus is not one of" in shown and "pending\\=\\'yes\\'" in shown
    assert at.multiselect(key="f_status").value == ["unreviewed"]


def test_url_parameters_round_trip() -> None:
    values, problems = state.filters_from_url(
        {"status": "verified,flagged", "assignee": "me", "pending": "1", "page": "2"}
    )
    assert problems == []
    assert state.url_params(values) == {
        "status": "verified,flagged",
        "assignee": "me",
        "pending": "1",
        "page": "2",
    }


# --- bulk --------------------------------------------------------------------------------


def test_bulk_assign_reports_the_claim_changed_meanwhile_and_changes_the_others(
    desk: Engine,
) -> None:
    at = open_app("editor")
    select_rows(at, 0, 1, 2)  # claims 1, 2 and 3, seen at version 1
    assert "**3** selected" in texts(at)
    with Session(desk) as s:  # bob changes claim 2 before the editor clicks
        services.review_claim(
            session=s, claim_id=2, status="in_review", actor="bob", expected_version=1
        )
    at.text_input(key="q_bulk_assignee").input("carol")
    at.button(key="q_bulk_assign").click().run()
    assert not at.exception
    shown = texts(at)
    assert "2 changed (\\#1, \\#3), 1 refused" in shown
    assert ":red-badge[conflict] **\\#2**" in shown and "changed by bob" in shown
    assert [claim(desk, i).assignee for i in (1, 2, 3)] == ["carol", None, "carol"]


def test_a_reviewer_bulk_takes_claims_and_is_refused_anothers(desk: Engine) -> None:
    with Session(desk) as s:
        services.assign_claim(
            session=s, claim_id=2, assignee="bob", actor="editor", expected_version=1
        )
    at = open_app("ana")
    select_rows(at, 0, 1)
    at.button(key="q_bulk_assign").click().run()
    shown = texts(at)
    assert ":red-badge[role] **\\#2**" in shown and "needs the editor role" in shown
    assert (claim(desk, 1).assignee, claim(desk, 2).assignee) == ("ana", "bob")


def test_a_viewer_opens_a_ticked_row_and_has_no_bulk_actions(desk: Engine) -> None:
    at = select_rows(open_app("victor"), 2)
    assert not [b for b in at.button if (b.key or "").startswith("q_bulk_")]
    at.button(key="q_open_selected").click().run()
    assert at.session_state["claim_id"] == 3


# --- claim page --------------------------------------------------------------------------


def test_verify_is_disabled_with_the_reason_until_a_supporting_source(desk: Engine) -> None:
    at = open_app("ana", "views/claim.py", id="3")
    assert at.button(key="c_verify").disabled
    assert "verify needs at least one supporting source" in texts(at)
    at.text_input(key="c_src_url").input("https://www.example.org/evidence")
    next(b for b in at.button if b.label == "Add source").click().run()
    assert not at.button(key="c_verify").disabled
    assert at.text_input(key="c_src_url").value == ""  # accepted: the form is cleared


def test_a_note_is_added_by_its_callback_and_a_refused_one_keeps_its_text(desk: Engine) -> None:
    at = open_app("ana", "views/claim.py", id="3")
    too_long = "a long note " * 1000  # over the 10,000 characters a note may have
    at.text_area(key="c_note_body").input(too_long)
    next(b for b in at.button if b.label == "Add note").click().run()
    assert [e.value for e in at.error], "the refusal is shown"
    assert at.text_area(key="c_note_body").value == too_long
    at.text_area(key="c_note_body").input("Checked the filing.")
    next(b for b in at.button if b.label == "Add note").click().run()
    assert not at.error
    assert at.text_area(key="c_note_body").value == ""  # accepted: the box is cleared
    assert md_escape("Checked the filing.") in texts(at)  # drawn in the same run


def test_a_refused_form_keeps_what_was_typed(desk: Engine) -> None:
    at = open_app("ana", "views/claim.py", id="3")
    at.text_input(key="c_src_url").input("javascript:alert(1)")
    at.text_input(key="c_src_title").input("My careful title")
    next(b for b in at.button if b.label == "Add source").click().run()
    assert "only http and https links are allowed" in texts(at)
    assert at.text_input(key="c_src_url").value == "javascript:alert(1)"
    assert at.text_input(key="c_src_title").value == "My careful title"
    at.toggle(key="c_flag_open").set_value(True).run()
    at.selectbox(key="c_flag_reason").select("false")  # needs a refuting source: refused
    at.text_area(key="c_flag_note").input("The 40% figure is from 2023.")
    next(b for b in at.button if b.label == "Flag claim").click().run()
    assert "needs at least one refuting or context source" in texts(at)
    assert at.text_area(key="c_flag_note").value == "The 40% figure is from 2023."
    assert claim(desk, 3).status == "unreviewed"


def test_a_viewer_sees_the_claim_read_only_without_input_boxes(desk: Engine) -> None:
    at = open_app("victor", "views/claim.py", id="1")
    assert "Read-only" in texts(at)
    assert not at.main.text_input and not at.main.text_area and not at.main.selectbox
    labels = {b.label for b in at.main.button}
    assert not labels & {"✓ Verify", "Add source", "Add note", "Dismiss", "Start review"}


def test_next_previous_and_next_unreviewed_follow_the_queue_filters(desk: Engine) -> None:
    at = open_app("ana")
    at.multiselect(key="f_type").select("prediction").run()
    ids = list(at.dataframe[0].value["ID"])
    at.query_params["id"] = str(ids[0])
    at.switch_page("views/claim.py").run()
    at.button(key="c_next_in_filter").click().run()
    assert at.session_state["claim_id"] == ids[1]
    at.button(key="c_prev_in_filter").click().run()
    assert at.session_state["claim_id"] == ids[0]
    at.button(key="c_next").click().run()
    assert at.session_state["claim_id"] == ids[1]  # the next unreviewed *prediction*


def test_a_claim_link_from_a_filtered_queue_carries_the_filters_to_a_new_tab(
    desk: Engine,
) -> None:
    queue = open_app("ana")
    queue.multiselect(key="f_type").select("prediction").run()
    ids = list(queue.dataframe[0].value["ID"])
    link = {**dict(queue.query_params), "id": str(ids[0])}  # what open_claim puts in the URL
    assert link["type"] == "prediction"
    tab = open_app("ana", "views/claim.py", **link)  # a new tab: a new session
    assert tab.session_state["f_type"] == ["prediction"]
    tab.button(key="c_next_in_filter").click().run()
    assert tab.session_state["claim_id"] == ids[1]
    assert any(c.value.startswith("Within:") and "prediction" in c.value for c in tab.caption)
    bad = open_app("ana", "views/claim.py", id=str(ids[0]), status="maybe")
    assert [w.value for w in bad.warning if "Ignored in the link" in w.value and "maybe" in w.value]


def test_an_editor_edits_text_quote_section_and_type_with_the_version_check(
    desk: Engine,
) -> None:
    at = open_app("editor", "views/claim.py", id="5")
    before = claim(desk, 5)
    at.toggle(key="c_edit_open").set_value(True).run()
    assert at.text_area(key="c_edit_claim").value == before.claim
    last = at.select_slider(key="c_edit_to")
    last.set_value(last.options[last.options.index(last.value) - 1]).run()  # a word shorter
    at.text_area(key="c_edit_claim").input("An edited claim text.")
    at.text_input(key="c_edit_section").input("Edited section")
    with Session(desk) as s:  # someone else edits first
        services.update_claim(
            session=s,
            claim_id=5,
            changes=ClaimUpdate(section="X"),
            actor="eve",
            expected_version=before.version,
        )
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert "changed by eve" in texts(at)
    assert claim(desk, 5).claim == before.claim  # refused, nothing written
    assert at.text_area(key="c_edit_claim").value == "An edited claim text."  # kept
    at.button(key="c_reload").click().run()
    next(b for b in at.button if b.label == "Save changes").click().run()
    after = claim(desk, 5)
    assert (after.claim, after.section) == ("An edited claim text.", "Edited section")
    assert after.quote_end < before.quote_end and after.quote == before.quote[: len(after.quote)]
    with Session(desk) as s:
        fields = {
            e.field
            for e in s.exec(select(Event).where(Event.claim_id == 5, Event.action == "edit"))
            if e.actor == "editor"
        }
    assert fields == {"claim", "section", "quote", "quote_end"}


def test_a_reviewer_has_no_edit_form(desk: Engine) -> None:
    at = open_app("ana", "views/claim.py", id="5")
    assert not [t for t in at.toggle if t.key == "c_edit_open"]


# --- editor's queue ----------------------------------------------------------------------


def _verdicts(engine: Engine) -> None:
    with Session(engine) as s:
        for cid, who in ((8, "bob"), (7, "ana"), (9, "editor")):
            services.add_source(
                session=s,
                claim_id=cid,
                url=f"https://e.example/{cid}",
                stance="supports",
                actor=who,
            )
            services.add_note(session=s, claim_id=cid, body=f"note on {cid}", actor=who)
            services.review_claim(
                session=s, claim_id=cid, status="verified", actor=who, expected_version=1
            )


def test_the_editors_queue_lists_verdicts_oldest_first_and_confirms_and_reopens(
    desk: Engine,
) -> None:
    _verdicts(desk)
    at = open_app("editor", "views/confirm.py")
    shown = texts(at)
    assert "**3** verdicts wait" in shown
    assert shown.index("\\#8") < shown.index("\\#7") < shown.index("\\#9")  # oldest first
    assert "note on 8" in shown and "e.example/8" in shown
    at.button(key="e_confirm_8").click().run()
    assert claim(desk, 8).confirmed_by == "editor"
    at.button(key="e_confirm_9").click().run()  # the editor's own verdict
    assert "another editor must confirm it" in texts(at)
    assert claim(desk, 9).confirmed_by is None
    at.text_input(key="e_reason_7").input("source is a press release")
    at.button(key="e_reopen_7").click().run()
    c7 = claim(desk, 7)
    assert c7.status == "unreviewed"
    with Session(desk) as s:
        assert queries.claim_detail(session=s, claim_id=7).notes[-1].body == (
            "Reopened: source is a press release"
        )
    assert "**1** verdict waits" in texts(at)


def test_the_editors_queue_refuses_a_verdict_changed_since_it_was_shown(desk: Engine) -> None:
    _verdicts(desk)
    at = open_app("eve", "views/confirm.py")
    with Session(desk) as s:
        services.update_claim(  # still a pending verdict, at a newer version
            session=s,
            claim_id=8,
            changes=ClaimUpdate(section="S"),
            actor="editor",
            expected_version=2,
        )
    at.button(key="e_confirm_8").click().run()
    assert "changed by editor" in texts(at)
    assert claim(desk, 8).confirmed_by is None


def test_reviewers_are_told_the_editors_queue_is_for_editors(desk: Engine) -> None:
    _verdicts(desk)
    at = open_app("ana", "views/confirm.py")
    assert "Editors and admins confirm verdicts" in texts(at) and not at.main.button


def test_readme_lists_the_shortcuts_the_claim_page_binds() -> None:
    from dashboard import shortcuts

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- shortcuts:", 1)[1].split("\n\n", 1)[0]
    documented = [line for line in table.splitlines() if line.startswith("| `")]
    assert documented == shortcuts.help_markdown(shortcuts.CLAIM_SHORTCUTS).splitlines()[2:-2]


def test_an_edit_that_leaves_the_quote_alone_keeps_it_exactly(desk: Engine) -> None:
    before = claim(desk, 1)  # its quote ends inside the word "workloads,"
    at = open_app("editor", "views/claim.py", id="1")
    at.toggle(key="c_edit_open").set_value(True).run()
    at.text_input(key="c_edit_section").input("Summary")
    next(b for b in at.button if b.label == "Save changes").click().run()
    after = claim(desk, 1)
    assert after.section == "Summary"
    assert (after.quote, after.quote_start, after.quote_end) == (
        before.quote,
        before.quote_start,
        before.quote_end,
    )
