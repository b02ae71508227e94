"""Who is using the dashboard: sign-in, sign-out and the current account.

Two ways in: local accounts (name and password, checked by
``tracker.services.authenticate`` with its rate limit), and OIDC through
Streamlit's ``st.login`` when ``.streamlit/secrets.toml`` has an ``[auth]``
section; the signed-in e-mail must belong to an account. Without a signed-in
account the dashboard shows only the sign-in page. Roles are enforced by the
services; the pages only hide what a role cannot do.

A sign-in remembers the account's ``session_epoch``. A password change, a
disable or a role change bumps it, and :func:`end_stale_session`, run before
every page, signs out any session holding an older one (or whose account is
gone or disabled), so such a change reaches every browser at once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data
from dashboard.render import md_escape
from tracker import permissions, services
from tracker.errors import TrackerError
from tracker.services import accounts as account_service

USER_KEY = "signed_in"
ERROR_KEY = "_auth_error"
PASSWORD_KEYS = ("pw_current", "pw_new", "pw_again")
STALE = (
    "You were signed out: this account's password, role or access changed "
    "in another session. Sign in again."
)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def current_account() -> dict[str, Any] | None:
    account: dict[str, Any] | None = st.session_state.get(USER_KEY)
    return account


def current_user() -> str | None:
    """The acting account's name, or None when nobody is signed in."""
    account = current_account()
    return account["name"] if account else None


def current_role() -> str | None:
    account = current_account()
    return account["role"] if account else None


def can(action: str) -> bool:
    return permissions.can(current_role(), action)


def resolve_oidc() -> None:
    """Map an OIDC sign-in to its account (once per session)."""
    if current_account() or not oidc_configured():
        return
    user = getattr(st, "user", None)
    if user is None or not getattr(user, "is_logged_in", False):
        return
    try:
        account = data.read(services.user_by_email, email=str(user.get("email", "")))
    except TrackerError as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    st.session_state[USER_KEY] = {
        "name": account.name,
        "role": account.role,
        "epoch": account.session_epoch,
        "oidc": True,
    }


def end_stale_session() -> None:
    """Sign out when the account's epoch moved on since this session signed in.

    A session without a stored epoch counts as epoch 0, the epoch of an
    account that never changed.
    """
    account = current_account()
    if not account:
        return
    try:
        epoch = data.read(account_service.session_epoch, name=account["name"])
    except TrackerError as exc:
        sign_out()
        st.session_state[ERROR_KEY] = str(exc)
        return
    if epoch is None or epoch != account.get("epoch", 0):
        sign_out()
        st.session_state[ERROR_KEY] = STALE


def sign_in_page() -> None:
    st.title("Sign in")
    st.caption("tracker · fact-check desk")
    error = st.session_state.pop(ERROR_KEY, None)
    if error:
        st.error(md_escape(error))
    with st.form("sign_in", border=True):
        name = st.text_input("Account name", key="si_name")
        password = st.text_input("Password", type="password", key="si_password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                account = data.read(services.authenticate, name=name, password=password)
            except TrackerError as exc:
                st.session_state[ERROR_KEY] = str(exc)
            else:
                st.session_state[USER_KEY] = {
                    "name": account.name,
                    "role": account.role,
                    "epoch": account.session_epoch,
                }
                st.session_state.pop("si_password", None)
            st.rerun()
    if oidc_configured() and st.button("Sign in with your organisation", key="si_oidc"):
        st.login()


def sign_out() -> None:
    account = st.session_state.pop(USER_KEY, None)
    for key in list(st.session_state.keys()):
        del st.session_state[key]  # nothing of the session outlives its sign-out
    if account and account.get("oidc"):
        st.logout()


def identity_sidebar() -> None:
    account = current_account()
    if not account:
        return
    st.sidebar.markdown(f"Signed in as **{md_escape(account['name'])}** ({account['role']})")
    st.sidebar.button("Sign out", key="sign_out", on_click=sign_out)
    if not account.get("oidc"):
        change_password_form(account)


def change_password_form(account: dict[str, Any]) -> None:
    """Current password and the new one twice; this session stays signed in, others end."""
    outcome = st.session_state.pop("_pw_outcome", None)
    with st.sidebar.expander("Change password", expanded=outcome is not None):
        if outcome:
            kind, message = outcome
            (st.success if kind == "ok" else st.error)(md_escape(message))
        with st.form("change_password", border=False):
            st.text_input("Current password", type="password", key="pw_current")
            st.text_input("New password", type="password", key="pw_new")
            st.text_input("New password again", type="password", key="pw_again")
            st.form_submit_button(
                "Change password", key="pw_submit", on_click=_change_password, args=(account,)
            )


def _change_password(account: dict[str, Any]) -> None:
    """Runs before the rerun, so it may empty the fields: no password outlives the submit."""
    current, new, again = (st.session_state.get(k) or "" for k in PASSWORD_KEYS)
    for key in PASSWORD_KEYS:
        st.session_state[key] = ""
    if new != again:
        st.session_state["_pw_outcome"] = ("error", "the two new passwords differ; nothing changed")
        return
    try:
        changed = data.write(
            account_service.set_password,
            name=account["name"],
            password=new,
            current=current,
            actor=account["name"],
        )
    except TrackerError as exc:
        st.session_state["_pw_outcome"] = ("error", str(exc))
        return
    # Keep this session: it carries the new epoch; every other one is stale now.
    st.session_state[USER_KEY] = {**account, "epoch": changed.session_epoch}
    st.session_state["_pw_outcome"] = (
        "ok",
        "Password changed. Your other sessions are signed out.",
    )
