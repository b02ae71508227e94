"""Session-state helpers shared by the pages: filters, flash messages, versions seen.

The queue's filters live in widget state and in the page's URL (``st.query_params``),
so a filtered queue can be bookmarked and shared: :func:`filters_from_url` reads a
URL's filters (pure, with a message per value it cannot use), :func:`url_params`
writes the current ones.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.render import md_escape
from tracker.models import ClaimStatus, ClaimType, Origin
from tracker.queries import ClaimFilter
from tracker.vocabulary import SORT_KEYS

FILTER_KEYS = (
    "f_status",
    "f_article",
    "f_type",
    "f_assignee",
    "f_search",
    "f_origin",
    "f_below",
    "f_match",
    "f_pending",
    "f_lost",
)
ALL = "All"
UNASSIGNED = "Unassigned"
ME = "Me"


@dataclass(frozen=True)
class UrlField:
    """One filter as it appears in the URL: ``name=value`` <-> ``st.session_state[key]``."""

    name: str
    key: str
    kind: str  # "list", "text", "flag", "int"
    default: Any
    allowed: tuple[str, ...] = ()  # for lists: the values that may appear


URL_FIELDS = (
    UrlField("status", "f_status", "list", [], tuple(s.value for s in ClaimStatus)),
    UrlField("type", "f_type", "list", [], tuple(t.value for t in ClaimType)),
    UrlField("article", "f_article", "text", ALL),
    UrlField("assignee", "f_assignee", "text", ALL),
    UrlField("q", "f_search", "text", ""),
    UrlField("origin", "f_origin", "text", ALL, (ALL, *(o.value for o in Origin))),
    UrlField("below", "f_below", "flag", False),
    UrlField("match", "f_match", "flag", False),
    UrlField("pending", "f_pending", "flag", False),
    UrlField("lost", "f_lost", "flag", False),
    UrlField("sort", "q_sort", "text", "id", SORT_KEYS),
    UrlField("desc", "q_desc", "flag", False),
    UrlField("page", "q_page", "int", 1),
)
# Assignee choices that are not account names, as the URL spells them.
_ASSIGNEE_WORDS = {"me": ME, "unassigned": UNASSIGNED}


def filters_from_url(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The session values a URL's query string asks for (every filter: absent ones get
    their default), and one message per parameter that was ignored."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in URL_FIELDS:
        raw = params.get(f.name)
        values[f.key] = list(f.default) if isinstance(f.default, list) else f.default
        if raw is None or raw == "":
            continue
        if f.kind == "list":
            items = [v.strip() for v in raw.split(",") if v.strip()]
            bad = [v for v in items if v not in f.allowed]
            if bad:
                problems.append(
                    f"{f.name}={raw!r}: {', '.join(bad)} is not one of {', '.join(f.allowed)}"
                )
            values[f.key] = [v for v in items if v in f.allowed]
        elif f.kind == "flag":
            if raw not in ("0", "1"):
                problems.append(f"{f.name}={raw!r}: use 1 (on) or 0 (off)")
            values[f.key] = raw == "1"
        elif f.kind == "int":
            if raw.isdigit() and int(raw) >= 1:
                values[f.key] = int(raw)
            else:
                problems.append(f"{f.name}={raw!r}: not a page number")
        elif f.allowed and raw not in f.allowed:
            problems.append(f"{f.name}={raw!r}: not one of {', '.join(f.allowed)}")
        else:
            values[f.key] = _ASSIGNEE_WORDS.get(raw, raw) if f.name == "assignee" else raw
    unknown = sorted(set(params) - {f.name for f in URL_FIELDS})
    problems.extend(f"{name}: not a queue filter" for name in unknown)
    return values, problems


def url_params(values: Mapping[str, Any]) -> dict[str, str]:
    """The query string of the filters in ``values`` (session state): defaults left out."""
    words = {v: k for k, v in _ASSIGNEE_WORDS.items()}
    out: dict[str, str] = {}
    for f in URL_FIELDS:
        value = values.get(f.key, f.default)
        if value in (None, f.default) or (f.kind == "list" and not value):
            continue
        if f.kind == "list":
            out[f.name] = ",".join(value)
        elif f.kind == "flag":
            out[f.name] = "1" if value else "0"
            if not value:
                del out[f.name]
        elif f.name == "assignee":
            out[f.name] = words.get(value, value)
        else:
            out[f.name] = str(value)
    return out


def sync_filters_with_url(*, besides: Collection[str] = ()) -> list[str]:
    """Before the filter widgets: adopt the URL's filters when it carries others than the
    ones this session last wrote (a bookmark or a shared link). Parameters named in
    ``besides`` are the page's own (the claim page's ``id``). Returns what was ignored."""
    wanted = {k: v for k, v in st.query_params.to_dict().items() if k not in besides}
    if not wanted or wanted == st.session_state.get("_q_url"):
        return []
    values, problems = filters_from_url(wanted)
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state["_q_url"] = wanted
    return problems


def filters_in_url() -> dict[str, str]:
    """The query string of the filters in force (what the queue's URL shows)."""
    return url_params({f.key: st.session_state.get(f.key, f.default) for f in URL_FIELDS})


def write_filters_to_url() -> None:
    """After the filter widgets: the URL shows the filters in force."""
    params = filters_in_url()
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    st.session_state["_q_url"] = params


def clear_filters() -> None:
    for f in URL_FIELDS:
        st.session_state[f.key] = list(f.default) if isinstance(f.default, list) else f.default


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
    elif assignee == ME:
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
        has_match=bool(s.get("f_match")),
        pending_confirmation=bool(s.get("f_pending")),
        quote_lost=bool(s.get("f_lost")),
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
    if filters.has_match:
        parts.append("with a close earlier match")
    if filters.pending_confirmation:
        parts.append("pending confirmation")
    if filters.quote_lost:
        parts.append("quote lost")
    return ", ".join(parts) if parts else "all claims"


def flash(kind: str, message: str) -> None:
    """Show ``message`` on the next run (after st.rerun / switch_page)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        if kind == "toast":  # in view wherever the page is scrolled
            st.toast(md_escape(message), icon=":material/check_circle:")
        else:
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
