"""Who is using the dashboard: sign-in, sign-out and the current account.

Two ways in: local accounts (name and password, checked by
``tracker.services.authenticate`` with its rate limit), and OIDC through
Streamlit's ``st.login`` when ``.streamlit/secrets.toml`` has an ``[auth]``
section; the signed-in e-mail must belong to an account. Without a signed-in
account the dashboard shows only the sign-in page. Roles are enforced by the
services; the pages only hide what a role cannot do.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data
from dashboard.render import md_escape
from tracker import permissions, services
from tracker.errors import TrackerError

USER_KEY = "signed_in"


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
        st.session_state["_auth_error"] = str(exc)
        return
    st.session_state[USER_KEY] = {"name": account.name, "role": account.role, "oidc": True}


def sign_in_page() -> None:
    st.title("Sign in")
    st.caption("tracker · fact-check desk")
    error = st.session_state.pop("_auth_error", None)
    if error:
        st.error(md_escape(error))
    with st.form("sign_in", border=True):
        name = st.text_input("Account name", key="si_name")
        password = st.text_input("Password", type="password", key="si_password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                account = data.read(services.authenticate, name=name, password=password)
            except TrackerError as exc:
                st.session_state["_auth_error"] = str(exc)
            else:
                st.session_state[USER_KEY] = {"name": account.name, "role": account.role}
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
