"""The article picker: a searchable selectbox that never lists the whole archive (#10).

A million claims are 10,000 articles: reading every slug on each cold rerun and
sending them all to the browser on every rerun costs more than the page. The
picker offers the newest ``PICKER_LIMIT`` articles and takes any other slug
typed into it (``accept_new_options``); a typed text that is not a slug gets
the slugs that start with it as a hint. Both are one indexed ``LIMIT`` query
(:func:`tracker.queries.article_slugs`), so they are read fresh, not cached.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import data
from dashboard.render import md_escape
from tracker import queries

PICKER_LIMIT = 200
HINTS = 8


def article_picker(
    label: str,
    *,
    key: str,
    everything: str | None = None,
    on_change: Callable[[], None] | None = None,
) -> str | None:
    """The chosen article's slug, ``everything`` (e.g. "All") or None; no picker (None, or
    the one slug) when the database has at most one article."""
    newest = data.read(queries.article_slugs, limit=PICKER_LIMIT)
    if len(newest) <= 1:
        return newest[0] if newest and everything is None else None
    current = st.session_state.get(key)
    options = ([everything] if everything else []) + newest
    if isinstance(current, str) and current not in options:
        options.append(current)  # a typed or linked slug stays chosen
    chosen = st.selectbox(
        label,
        options,
        key=key,
        on_change=on_change,
        accept_new_options=True,
        help=f"The newest {PICKER_LIMIT} articles; type any other article's slug",
    )
    if chosen is None or chosen == everything or chosen in newest:
        return chosen
    starting = data.read(queries.article_slugs, prefix=chosen, limit=HINTS)
    if chosen in starting:
        return chosen
    hint = ", ".join(f"“{md_escape(s)}”" for s in starting) or "none"
    st.warning(f"No article “{md_escape(chosen)}”. Slugs that start with it: {hint}")
    return None
