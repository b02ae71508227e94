"""Entry point: ``streamlit run dashboard/app.py`` (or ``tracker dashboard``)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import auth, state

PAGES = Path(__file__).parent / "pages"


def run() -> None:
    st.set_page_config(page_title="tracker · fact-check desk", page_icon="🔎", layout="wide")
    state.keep_widget_state(*state.FILTER_KEYS, "q_sort", "q_desc", "q_page")
    auth.resolve_oidc()
    if auth.current_user() is None:
        st.navigation([st.Page(auth.sign_in_page, title="Sign in", url_path="sign-in")]).run()
        return
    page = st.navigation(
        [
            st.Page(
                PAGES / "queue.py", title="Review queue", icon=":material/checklist:", default=True
            ),
            st.Page(PAGES / "claim.py", title="Claim", icon=":material/fact_check:"),
            st.Page(PAGES / "article.py", title="Article", icon=":material/article:"),
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/monitoring:"),
            st.Page(PAGES / "export.py", title="Export", icon=":material/download:"),
        ]
    )
    auth.identity_sidebar()
    page.run()


run()
