"""The sign-in form, sign-out and a session ended elsewhere, through AppTest (#11).

(Reading the cookie back after a reload needs a browser: tests/test_e2e_sessions.py.)
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard.auth import preset_key
from tracker.models import WebSession
from tracker.services import accounts

from .test_dashboard_accounts import APP, FIRST, dash_db, messages, signed_in

__all__ = ["dash_db"]  # the fixture, imported for use here


def rows(engine: Engine) -> list[WebSession]:
    with Session(engine) as s:
        return list(s.exec(select(WebSession)).all())


def test_signing_in_starts_a_session_and_orders_the_cookie(dash_db: Engine) -> None:
    at = signed_in(cookie_stored=False)
    account = at.session_state["signed_in"]
    token = account["token"]
    (row,) = rows(dash_db)
    assert row.token_hash != token and len(row.token_hash) == 64
    op = at.session_state["_cookie_op"]
    assert op[0] == "set" and op[1] == token  # until the browser confirms it
    assert token not in messages(at)  # never shown on the page
    # until the browser confirms, nothing to click but a way on (a click made while the
    # cookie component reports back could be lost to its rerun)
    assert [h.value for h in at.subheader] == ["Signing in…"]
    assert [b.label for b in at.button] == ["Continue without staying signed in"]
    at.session_state["cookie_set"] = True  # the component's value once the browser did it
    at.run()
    assert "_cookie_op" not in at.session_state
    assert "Review queue" in [t.value for t in at.title]


def submit_sign_in(at: AppTest, password: str = FIRST) -> AppTest:
    at.text_input(key="si_name").input("ana")
    at.text_input(key="si_password").input(password)
    return at.button[0].click().run()


def test_a_token_the_browser_stored_before_the_sign_in_is_bound_and_written_again(
    dash_db: Engine,
) -> None:
    """The preset token becomes the session's; the sign-in writes it into the cookie
    again (another tab may have replaced it: the last sign-in owns the cookie) and the
    queue shows once the browser confirms."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    token, expires, made = at.session_state["_cookie_preset"]  # made for this sign-in page
    assert token not in messages(at) and rows(dash_db) == []  # not a session yet
    assert expires - made == timedelta(days=7)  # the cookie lives as long as a session may
    at.session_state[preset_key(token)] = True  # the component's value once the browser stored it
    submit_sign_in(at)
    assert not at.exception
    assert at.session_state["signed_in"]["token"] == token
    (row,) = rows(dash_db)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    op = at.session_state["_cookie_op"]
    assert op[0] == "set" and op[1] == token and "_cookie_preset" not in at.session_state
    at.session_state["cookie_set"] = True  # the browser stored it
    at.run()
    assert "_cookie_op" not in at.session_state
    assert "Review queue" in [t.value for t in at.title]


def test_a_preset_token_the_browser_has_not_confirmed_or_that_is_old_is_not_used(
    dash_db: Engine,
) -> None:
    unconfirmed = AppTest.from_file(APP, default_timeout=30).run()
    preset = unconfirmed.session_state["_cookie_preset"][0]
    submit_sign_in(unconfirmed)
    op = unconfirmed.session_state["_cookie_op"]
    assert op[0] == "set" and op[1] != preset  # a token of its own, stored the slow way
    assert [h.value for h in unconfirmed.subheader] == ["Signing in…"]

    old = AppTest.from_file(APP, default_timeout=30).run()
    token, expires, made = old.session_state["_cookie_preset"]
    # the sign-in page stood open for longer than a preset stays fresh (PRESET_FRESH)
    old.session_state["_cookie_preset"] = (token, expires, made - timedelta(minutes=11))
    old.session_state[preset_key(token)] = True
    submit_sign_in(old)
    op = old.session_state["_cookie_op"]
    assert op[0] == "set" and op[1] not in (token, preset)
    assert len(rows(dash_db)) == 2


def test_a_refused_sign_in_puts_a_new_token_in_the_cookie_for_the_next_attempt(
    dash_db: Engine,
) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    first = at.session_state["_cookie_preset"][0]
    at.session_state[preset_key(first)] = True
    submit_sign_in(at, password="not-the-password")
    assert "wrong name or password" in messages(at)
    second = at.session_state["_cookie_preset"][0]
    assert second != first and rows(dash_db) == []
    # not used before the browser says it stored the new one (the old one's report is not it)
    submit_sign_in(at)
    op = at.session_state["_cookie_op"]
    assert op[0] == "set" and op[1] not in (first, second)
    assert [r.token_hash for r in rows(dash_db)] == [hashlib.sha256(op[1].encode()).hexdigest()]


def test_a_browser_that_never_confirms_the_cookie_can_go_on_without_it(dash_db: Engine) -> None:
    at = signed_in(cookie_stored=False)
    at.button(key="si_skip_cookie").click().run()
    assert not at.exception and "_cookie_op" not in at.session_state
    assert "Review queue" in [t.value for t in at.title]
    assert at.session_state["signed_in"]["name"] == "ana"


def test_signing_out_ends_the_session_and_orders_the_cookie_deleted(dash_db: Engine) -> None:
    at = signed_in()
    at.button(key="sign_out").click().run()
    assert "signed_in" not in at.session_state
    assert at.session_state["_cookie_op"] == ("delete",)
    assert rows(dash_db) == []
    assert at.title[0].value == "Sign in"


def test_a_session_signed_out_in_another_tab_ends_here_at_the_next_action(
    dash_db: Engine,
) -> None:
    here = signed_in()
    there = AppTest.from_file(APP, default_timeout=30)  # another tab: the same cookie
    there.session_state["signed_in"] = dict(here.session_state["signed_in"])
    there.run()
    assert len(rows(dash_db)) == 1
    there.button(key="sign_out").click().run()
    here.run()  # the next click, whatever it is
    assert "signed_in" not in here.session_state
    assert "this session has ended" in messages(here)
    assert rows(dash_db) == []


def test_signing_out_on_one_device_leaves_the_others_signed_in(dash_db: Engine) -> None:
    laptop, phone = signed_in(), signed_in()
    laptop.button(key="sign_out").click().run()
    phone.run()
    assert phone.session_state["signed_in"]["name"] == "ana"
    assert len(rows(dash_db)) == 1


def test_a_wrong_password_starts_no_session(dash_db: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="si_name").input("ana")
    at.text_input(key="si_password").input(FIRST + "x")
    at.button[0].click().run()
    assert "signed_in" not in at.session_state and rows(dash_db) == []
    assert "wrong name or password" in messages(at)
    # the name is kept to try again; the refused password is not
    assert at.text_input(key="si_name").value == "ana"
    assert at.text_input(key="si_password").value == ""


def test_the_cookie_components_frontend_is_where_the_package_ships_it() -> None:
    """dashboard/auth.py declares the package's cookie component on its build folder."""
    from dashboard.auth import COOKIE_FRONTEND

    assert (COOKIE_FRONTEND / "index.html").is_file(), COOKIE_FRONTEND


# --- OIDC (Streamlit's st.login) keeps working beside the cookie sessions ---------------

AUTH_SECRETS = {  # what .streamlit/secrets.toml's [auth] holds; never contacted here
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only-cookie-secret",
    "client_id": "tracker-test",
    "client_secret": "test-only-client-secret",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def oidc_browser(email: str) -> AppTest:
    """A browser session Streamlit's OIDC sign-in already identified as ``email``."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH_SECRETS
    at.user = {"is_logged_in": True, "email": email, "name": "Olga"}
    return at.run()


def test_an_oidc_sign_in_opens_its_account_and_an_account_change_ends_it(
    dash_db: Engine,
) -> None:
    with Session(dash_db) as s:
        accounts.create_user(
            session=s, name="olga", role="reviewer", actor="admin", email="olga@example.org"
        )
    at = oidc_browser("Olga@Example.org")  # e-mails compare case-blind
    assert not at.exception
    account = at.session_state["signed_in"]
    assert (account["name"], account["role"], account.get("oidc")) == ("olga", "reviewer", True)
    assert "token" not in account and rows(dash_db) == []  # Streamlit's own cookie, not ours
    assert "Review queue" in [t.value for t in at.title]
    with Session(dash_db) as s:
        accounts.set_role(session=s, name="olga", role="viewer", actor="admin")
    at.run()  # the next action after the change
    assert "signed_in" not in at.session_state
    assert "role or access changed" in messages(at)


def test_an_oidc_identity_without_an_account_is_told_so_and_not_signed_in(
    dash_db: Engine,
) -> None:
    at = oidc_browser("stranger@example.org")
    assert not at.exception
    assert "signed_in" not in at.session_state
    assert "no active account for stranger@example.org" in messages(at)
    assert "Sign in" in [t.value for t in at.title]
