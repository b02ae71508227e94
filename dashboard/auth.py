"""Who is using the dashboard. The one place to change when accounts arrive."""

from __future__ import annotations

import streamlit as st

from tracker.errors import ValidationFailed
from tracker.services import clean_actor

USER_KEY = "reviewer_name"


def identity_sidebar() -> None:
    """The sidebar field where a reviewer says who they are."""
    st.sidebar.text_input(
        "Your name",
        key=USER_KEY,
        placeholder="e.g. ana",
        help="Recorded as the actor of everything you do. Kept for this browser session.",
    )
    user = current_user()
    if user:
        st.sidebar.caption(f"Signed in as **{user}**")
    else:
        st.sidebar.warning("Enter your name to review claims.")


def current_user() -> str | None:
    """The acting reviewer's name, or None when nobody has said who they are."""
    raw = st.session_state.get(USER_KEY)
    if not raw:
        return None
    try:
        return clean_actor(raw)
    except ValidationFailed:
        return None
