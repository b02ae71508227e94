"""The dashboard shows a lost quote as a state (queue, claim page, article view, Confirm
page) and resolves it through the same use cases as the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker import db, queries

from .conftest import make_accounts
from .test_dashboard_apptest import app, texts
from .test_lost_quotes import NEW, _lost_scenario


@pytest.fixture
def lost_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, int, int]]:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    engine = db.make_engine(url)
    db.upgrade(engine)
    make_accounts(engine)
    with Session(engine) as s:
        old, new = _lost_scenario(s, tmp_path)
    yield engine, old, new
    engine.dispose()


def _claim(engine: Engine, claim_id: int) -> queries.ClaimPublic:
    with Session(engine) as s:
        return queries.get_claim(session=s, claim_id=claim_id)


def _button(at: object, label: str) -> object:
    return next(b for b in at.button if b.label == label)  # type: ignore[attr-defined]


def test_the_queue_marks_lost_quotes_and_filters_them(lost_db: tuple[Engine, int, int]) -> None:
    _engine, old, _new = lost_db
    at = app(user="editor")
    frame = at.dataframe[0].value
    status = dict(zip(frame["ID"], frame["Status"], strict=True))
    assert status[old] == "Verified · ⚠ quote lost (r2)"
    assert all("quote lost" not in s for i, s in status.items() if i != old)
    at.toggle(key="f_lost").set_value(True).run()
    assert list(at.dataframe[0].value["ID"]) == [old]


def test_the_claim_page_says_what_was_lost_and_moves_it(lost_db: tuple[Engine, int, int]) -> None:
    engine, old, new = lost_db
    at = app("views/claim.py", user="editor", id=str(old))
    body = texts(at)
    assert "**Quote lost**: revision 2 of the article" in body
    assert "it was at 11:70 of revision 1" in body and "> Revenue dipped 1\\.4%" in body
    assert f"Proposed in its place: claim \\#{new}" in body and "> Revenue dipped 2\\.4%" in body
    assert not [b for b in at.button if b.key == "c_confirm"]
    at.text_input(key="c_lost_claim").input("Revenue dipped 2.4%.")
    _button(at, "Move to the new sentence").click().run()  # type: ignore[attr-defined]
    assert not at.exception, [e.message for e in at.exception]
    moved = _claim(engine, old)
    assert (moved.quote, moved.quote_state, moved.status) == (NEW, "found", "in_review")
    assert moved.claim == "Revenue dipped 2.4%."
    assert "**Quote lost**" not in texts(at)


def test_the_claim_page_dismisses_a_lost_claim(lost_db: tuple[Engine, int, int]) -> None:
    engine, old, _new = lost_db
    at = app("views/claim.py", user="editor", id=str(old))
    at.text_input(key="c_lost_note").input("The figure was corrected.")
    _button(at, "Dismiss the claim").click().run()  # type: ignore[attr-defined]
    done = _claim(engine, old)
    assert (done.status, done.quote_state) == ("dismissed", "dismissed")
    assert any("out of the published record" in x.value for x in at.caption)


def test_a_reviewer_sees_the_state_but_not_the_controls(lost_db: tuple[Engine, int, int]) -> None:
    _engine, old, _new = lost_db
    at = app("views/claim.py", user="ana", id=str(old))
    assert "An editor resolves it" in texts(at)
    assert not [
        b for b in at.button if b.label in ("Move to the new sentence", "Dismiss the claim")
    ]


def test_confirm_page_and_article_view_show_the_lost_claim(
    lost_db: tuple[Engine, int, int],
) -> None:
    _engine, old, _new = lost_db
    at = app("views/confirm.py", user="eve")
    assert "Not confirmable: its quote is not in revision 2" in texts(at)
    assert at.button(key=f"e_confirm_{old}").disabled
    at = app("views/article.py", user="ana")
    body = texts(at)
    assert [h.value for h in at.subheader] == ["Claims whose quote is not in the current text (1)"]
    assert f"[**\\#{old}**](<claim?id={old}>)" in body and "lost in revision 2" in body


def test_the_edit_form_offers_no_span_of_the_new_text_for_a_lost_quote(
    lost_db: tuple[Engine, int, int],
) -> None:
    _engine, old, _new = lost_db
    at = app("views/claim.py", user="editor", id=str(old))
    at.toggle(key="c_edit_open").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [s for s in at.select_slider if s.key in ("c_edit_from", "c_edit_to")]
    assert any("The quote is lost" in x.value for x in at.caption)
