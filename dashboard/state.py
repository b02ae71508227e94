"""Session-state helpers shared by the pages: filters, flash messages, versions seen."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.render import md_escape
from tracker.queries import ClaimFilter

FILTER_KEYS = ("f_status", "f_article", "f_type", "f_assignee", "f_search", "f_origin", "f_below")
ALL = "All"
UNASSIGNED = "Unassigned"


def keep_widget_state(*keys: str) -> None:
    """Keep widget values when their page is not shown (Streamlit drops them otherwise)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def current_filters(user: str | None = None) -> ClaimFilter:
    s = st.session_state
    article = s.get("f_article")
    assignee = s.get("f_assignee")
    if assignee in (None, ALL):
        assignee_value: str | None = None
    elif assignee == UNASSIGNED:
        assignee_value = "-"
    elif assignee == "Me":
        assignee_value = user or "-"
    else:
        assignee_value = assignee
    origin = s.get("f_origin")
    return ClaimFilter(
        status=tuple(s.get("f_status") or ()),
        article=None if article in (None, ALL) else article,
        claim_type=tuple(s.get("f_type") or ()),
        assignee=assignee_value,
        search=(s.get("f_search") or "").strip() or None,
        origin=None if origin in (None, ALL) else origin,
        include_below_threshold=bool(s.get("f_below")),
    )


def describe(filters: ClaimFilter) -> str:
    parts = []
    if filters.status:
        parts.append("status " + " or ".join(filters.status))
    if filters.article:
        parts.append(f"article {filters.article}")
    if filters.claim_type:
        parts.append("type " + " or ".join(filters.claim_type))
    if filters.assignee:
        parts.append("unassigned" if filters.assignee == "-" else f"assigned to {filters.assignee}")
    if filters.search:
        parts.append(f"matching “{filters.search}”")
    if filters.origin:
        parts.append(f"origin {filters.origin}")
    if filters.include_below_threshold:
        parts.append("including below-threshold candidates")
    return ", ".join(parts) if parts else "all claims"


def flash(kind: str, message: str) -> None:
    """Show ``message`` on the next run (after st.rerun / switch_page)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind)(md_escape(message))


def seen_versions() -> dict[int, int]:
    versions: dict[int, int] = st.session_state.setdefault("_seen_versions", {})
    return versions


def remember(claim_id: int, version: int) -> None:
    seen_versions()[claim_id] = version


def set_claim(claim_id: int | None) -> None:
    st.session_state["claim_id"] = claim_id


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)
