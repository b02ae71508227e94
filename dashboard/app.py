"""Entry point: ``streamlit run dashboard/app.py`` (or ``tracker dashboard``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dashboard import auth, data, state
from dashboard.render import md_escape

PAGES = Path(__file__).parent / "views"
PAGE_FILES = {
    "queue": ("Review queue", ":material/checklist:"),
    "claim": ("Claim", ":material/fact_check:"),
    "confirm": ("Confirm", ":material/task_alt:"),
    "article": ("Article", ":material/article:"),
    "overview": ("Overview", ":material/monitoring:"),
    "export": ("Export", ":material/download:"),
    "report": ("Report", ":material/description:"),
}


def run() -> None:
    st.set_page_config(page_title="tracker · fact-check desk", page_icon="🔎", layout="wide")
    problem = data.schema_problem()
    if problem is not None:
        st.error(problem)
        return
    state.keep_widget_state(*state.FILTER_KEYS, "q_sort", "q_desc", "q_page")
    cookie_slot = st.empty()  # first, whatever the checks below draw (see auth.sync_cookie)
    auth.resolve_oidc()
    auth.resume_from_cookie()  # a reload, a new tab or a link opens signed in (#11)
    auth.end_stale_session()  # a sign-out, password, role or access change elsewhere ends it
    auth.check_tab(cookie_slot)  # a resumed session: the account this tab had, or none
    auth.sync_cookie(cookie_slot)  # set or delete the session cookie in the browser
    if auth.storing_cookie():  # until the browser confirms: no page whose clicks it could eat
        _gates(auth.storing_cookie_page)
        return
    if auth.current_user() is None:
        # Only the sign-in form renders without an account.
        _gates(auth.sign_in_page)
        return
    pages = {
        name: st.Page(PAGES / f"{name}.py", title=title, icon=icon, default=name == "queue")
        for name, (title, icon) in PAGE_FILES.items()
    }
    page = st.navigation(list(pages.values()))
    auth.identity_sidebar()
    name = next(n for n, p in pages.items() if p._script_hash == page._script_hash)
    for notice in state.check_address(name):  # before the page reads a parameter
        st.warning("Ignored in the link: " + md_escape(notice), icon=":material/link_off:")
    page.run()


def _gates(render: Callable[[], None]) -> None:
    """``render`` at every page's address, so a link such as /claim?id=12 keeps its
    address (and opens) through the sign-in and the moment the browser stores a cookie."""
    gates = [
        st.Page(_gate(render), title="Sign in", url_path=name, default=name == "queue")
        for name in PAGE_FILES
    ]
    st.navigation(gates, position="hidden").run()


def _gate(render: Callable[[], None]) -> Callable[[], None]:
    def sign_in() -> None:
        render()

    return sign_in


run()
