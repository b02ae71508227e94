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

from dashboard import address
from dashboard.render import md_escape
from tracker.models import ClaimStatus, ClaimType, Origin
from tracker.queries import MAX_ID, ClaimFilter
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
# Far beyond any queue (50 claims a page), and an offset every database can bind.
MAX_PAGE = 1_000_000


def _checker(f: UrlField) -> address.Checker:
    if f.kind == "list":
        return address.some_of(f.allowed)
    if f.kind == "flag":
        return address.flag
    if f.kind == "int":
        return address.number(MAX_PAGE, "page number", clamp=True)
    return address.one_of(f.allowed) if f.allowed else address.text


FILTER_CHECKS = {f.name: _checker(f) for f in URL_FIELDS}
CLAIM_ID = address.number(MAX_ID, "claim number")
# Every query parameter of every page: what check_address lets through. The queue and
# the claim page share the filters (j/k on a claim follow them); the others take none.
PAGE_PARAMS: dict[str, dict[str, address.Checker]] = {
    "queue": {**FILTER_CHECKS, "id": CLAIM_ID},
    "claim": {**FILTER_CHECKS, "id": CLAIM_ID},
    "article": {"slug": address.text, "claim": CLAIM_ID},
}


def check_address(page: str) -> list[str]:
    """Before ``page`` runs: drop from the URL every parameter it does not take or cannot
    use (cut a list down to its known values); one notice per parameter touched. The
    pages then read ``st.query_params`` knowing each value parses."""
    params = st.query_params.to_dict()
    kept, notices = address.check(params, PAGE_PARAMS.get(page, {}))
    if kept != params:
        st.query_params.from_dict(kept)
    return notices


def filters_from_url(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The session values a URL's query string asks for (every filter: absent ones get
    their default), and one message per parameter that was ignored."""
    usable, problems = address.check(params, FILTER_CHECKS)
    values: dict[str, Any] = {}
    for f in URL_FIELDS:
        raw = usable.get(f.name)
        values[f.key] = list(f.default) if isinstance(f.default, list) else f.default
        if raw is None:
            continue
        if f.kind == "list":
            values[f.key] = raw.split(",")
        elif f.kind == "flag":
            values[f.key] = raw == "1"
        elif f.kind == "int":
            values[f.key] = int(raw)
        else:
            values[f.key] = _ASSIGNEE_WORDS.get(raw, raw) if f.name == "assignee" else raw
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


def sync_filters_with_url(*, besides: Collection[str] = ()) -> None:
    """Before the filter widgets: adopt the URL's filters when it carries others than the
    ones this session last wrote (a bookmark or a shared link). Parameters named in
    ``besides`` are the page's own (the claim page's ``id``); :func:`check_address` has
    already dropped and named what the page cannot use."""
    wanted = {k: v for k, v in st.query_params.to_dict().items() if k not in besides}
    if not wanted or wanted == st.session_state.get("_q_url"):
        return
    values, _ = filters_from_url(wanted)
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state["_q_url"] = wanted


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
        search=address.printable(s.get("f_search") or "").strip() or None,
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
