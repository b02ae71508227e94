"""The dashboard's account form and session epochs, through Streamlit's AppTest (#9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tracker import db
from tracker.services import accounts

from .conftest import ROOT, make_accounts

APP = str(ROOT / "dashboard" / "app.py")
FIRST = "ana's first password"
SECOND = "ana's second password"


@pytest.fixture
def dash_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    engine = db.make_engine(url)
    db.upgrade(engine)
    make_accounts(engine)
    with Session(engine) as s:
        accounts.set_password(session=s, name="ana", password=FIRST, actor="admin")
    yield engine
    engine.dispose()


def signed_in(password: str = FIRST, *, cookie_stored: bool = True) -> AppTest:
    """A browser session that signed in as ana through the form (and, unless told
    otherwise, whose browser confirmed it stored the session cookie, as the cookie
    component does in a browser)."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="si_name").input("ana")
    at.text_input(key="si_password").input(password)
    at.button[0].click().run()
    assert not at.exception and at.session_state["signed_in"]["name"] == "ana"
    if cookie_stored:
        at.session_state["cookie_set"] = True  # the component's value once the browser did it
        at.run()
        assert not at.exception and "_cookie_op" not in at.session_state
    return at


def change(at: AppTest, current: str, new: str, again: str) -> AppTest:
    at.text_input(key="pw_current").input(current)
    at.text_input(key="pw_new").input(new)
    at.text_input(key="pw_again").input(again)
    return at.button(key="pw_submit").click().run()


def messages(at: AppTest) -> str:
    """What the page says, with markdown escapes (and the joiners that keep addresses
    from becoming links) removed."""
    text = "\n".join(str(m.value) for m in [*at.error, *at.success, *at.markdown])
    return text.replace("\\", "").replace("\u2060", "")


def password_fields(at: AppTest) -> list[str]:
    return [at.text_input(key=k).value for k in ("pw_current", "pw_new", "pw_again")]


def can_sign_in(engine: Engine, password: str) -> bool:
    with Session(engine) as s:
        try:
            accounts.authenticate(session=s, name="ana", password=password)
        except Exception:
            return False
        return True


def test_change_password_form_changes_it_and_keeps_this_session(dash_db: Engine) -> None:
    at = signed_in()
    other = signed_in()  # ana in a second browser
    change(at, FIRST, SECOND, SECOND)
    assert not at.exception
    assert "Password changed. Your other sessions are signed out." in messages(at)
    assert password_fields(at) == ["", "", ""]
    assert can_sign_in(dash_db, SECOND) and not can_sign_in(dash_db, FIRST)
    at.run()  # this session carries the new epoch and stays signed in
    assert at.session_state["signed_in"]["name"] == "ana" and not at.exception
    other.run()  # the other one is signed out with a message
    assert "signed_in" not in other.session_state
    assert [t.value for t in other.title] == ["Sign in"]
    assert "You were signed out" in messages(other)


@pytest.mark.parametrize(
    ("current", "new", "again", "error"),
    [
        ("not my password", SECOND, SECOND, "the current password is not right"),
        (FIRST, SECOND, "typo" + SECOND, "the two new passwords differ"),
        (FIRST, "short", "short", "at least 10 characters"),
    ],
)
def test_a_refused_change_shows_the_error_and_keeps_nothing(
    dash_db: Engine, current: str, new: str, again: str, error: str
) -> None:
    at = signed_in()
    change(at, current, new, again)
    assert not at.exception
    assert error in messages(at)
    assert password_fields(at) == ["", "", ""]  # no secret stays in the form
    assert at.session_state["signed_in"]["name"] == "ana"
    assert can_sign_in(dash_db, FIRST)


@pytest.mark.parametrize("change_by_admin", ["role", "disable", "password"])
def test_a_session_with_a_stale_epoch_is_signed_out(dash_db: Engine, change_by_admin: str) -> None:
    at = signed_in()
    assert [t.value for t in at.title] != ["Sign in"]
    with Session(dash_db) as s:
        if change_by_admin == "role":
            accounts.set_role(session=s, name="ana", role="editor", actor="admin")
        elif change_by_admin == "disable":
            accounts.disable_user(session=s, name="ana", actor="admin")
        else:
            accounts.reset_password(session=s, name="ana", actor="admin")
    at.run()
    assert not at.exception
    assert "signed_in" not in at.session_state
    assert [t.value for t in at.title] == ["Sign in"]
    assert "You were signed out" in messages(at)
