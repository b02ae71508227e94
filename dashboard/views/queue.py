"""Review queue: filter, sort and page through claims; open one; go to the next unreviewed."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard import auth, data, state
from dashboard.render import STATUS_LABELS, short
from tracker import queries
from tracker.models import ClaimStatus, ClaimType, Origin
from tracker.queries import SORT_KEYS, ClaimFilter

PAGE_SIZE = 50
SORT_LABELS = {
    "id": "Position (id)",
    "status": "Status",
    "claim_type": "Type",
    "section": "Section",
    "assignee": "Assignee",
    "updated_at": "Last changed",
    "score": "Check-worthiness",
    "sources": "Source count",
}


def open_claim(claim_id: int) -> None:
    state.set_claim(claim_id)
    st.switch_page("views/claim.py", query_params={"id": str(claim_id)})


def back_to_first_page() -> None:
    st.session_state["q_page"] = 1


def filter_bar(url: str, user: str | None) -> ClaimFilter:
    slugs = [a.slug for a in data.articles(url)]
    c1, c2, c3, c4 = st.columns([2, 2, 2, 3])
    c1.multiselect(
        "Status",
        [s.value for s in ClaimStatus],
        on_change=back_to_first_page,
        key="f_status",
        format_func=lambda s: STATUS_LABELS[s],
        placeholder="Any status",
    )
    c2.multiselect(
        "Type",
        [t.value for t in ClaimType],
        on_change=back_to_first_page,
        key="f_type",
        placeholder="Any type",
    )
    c3.selectbox(
        "Assignee",
        [state.ALL, "Me", state.UNASSIGNED, *data.assignees(url)],
        on_change=back_to_first_page,
        key="f_assignee",
    )
    c4.text_input(
        "Search claim, quote and notes",
        on_change=back_to_first_page,
        key="f_search",
        placeholder="e.g. HBM4",
    )
    if len(slugs) > 1:
        st.selectbox("Article", [state.ALL, *slugs], on_change=back_to_first_page, key="f_article")
    with st.expander("More filters and sorting"):
        d1, d2, d3 = st.columns(3)
        d1.toggle(
            "Include below-threshold candidates",
            key="f_below",
            on_change=back_to_first_page,
            help="Extracted sentences that scored under the threshold; promote one from its page",
        )
        d1.selectbox(
            "Origin",
            [state.ALL, *(o.value for o in Origin)],
            on_change=back_to_first_page,
            key="f_origin",
        )
        d2.selectbox(
            "Sort by",
            list(SORT_KEYS),
            on_change=back_to_first_page,
            key="q_sort",
            format_func=lambda key: SORT_LABELS.get(key, key),
        )
        d3.toggle("Descending", on_change=back_to_first_page, key="q_desc")
        d3.toggle(
            "Has a match",
            key="f_match",
            on_change=back_to_first_page,
            help="Only claims with a close earlier match: a reviewed claim of another article "
            "or a published fact-check (see the claim page's “Checked before”)",
        )
    return replace(state.current_filters(user), has_match=bool(st.session_state.get("f_match")))


def _badge(match: queries.BestMatch | None) -> str:
    if match is None:
        return ""
    return f"≈ {match.kind} {match.id} ({match.score:.2f})"


def render() -> None:
    url = data.database_url()
    user = auth.current_user()
    st.title("Review queue")
    state.show_flashes()
    data.refreshed_matches(url)  # stored best matches for the badge and the filter (#12)
    filters = filter_bar(url, user)
    total = data.count_claims(url, filters)
    only_unreviewed = replace(filters, status=(ClaimStatus.unreviewed.value,))
    unreviewed = data.count_claims(url, only_unreviewed)

    top = st.columns([3, 2, 2])
    matches = "claim matches" if total == 1 else "claims match"
    top[0].markdown(
        f"**{total}** {matches} · **{unreviewed}** unreviewed to go",
        help="Unreviewed claims that match every filter except status",
    )
    if top[1].button(
        "Next unreviewed →",
        type="primary",
        key="q_next",
        disabled=unreviewed == 0,
        help="Open the first unreviewed claim that matches the filters",
    ):
        nxt = data.read(queries.next_claim_id, filters=only_unreviewed)
        if nxt is not None:
            open_claim(nxt)
    with top[2].form("q_open", border=False):
        cols = st.columns([2, 1], vertical_alignment="bottom")
        wanted = cols[0].number_input("Open claim #", min_value=1, step=1, value=None, key="q_id")
        if cols[1].form_submit_button("Open") and wanted:
            open_claim(int(wanted))

    if total == 0:
        st.info("No claims match. Clear the filters, or load claims with `tracker seed`.")
        return

    pages = max(1, -(-total // PAGE_SIZE))
    page = min(int(st.session_state.get("q_page", 1) or 1), pages)
    st.session_state["q_page"] = page  # filters may have shrunk the result
    rows = data.list_claims(
        url,
        filters,
        st.session_state.get("q_sort", "id"),
        bool(st.session_state.get("q_desc")),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    matched = data.best_matches(url, tuple(r.id for r in rows))
    table = [
        {
            "ID": r.id,
            "Status": STATUS_LABELS[r.status] + (f" ({r.flag_reason})" if r.flag_reason else ""),
            "Type": r.claim_type,
            "Section": short(r.section, 40),
            "Assignee": r.assignee or "",
            "Sources": r.source_count,
            "Score": r.score,
            "Checked before": _badge(matched.get(r.id)),
            "Claim": short(r.claim, 110),
        }
        for r in rows
    ]
    event = st.dataframe(
        table,
        key="q_table",
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "ID": st.column_config.NumberColumn(width="small", format="%d"),
            "Sources": st.column_config.NumberColumn(width="small"),
            "Score": st.column_config.NumberColumn(width="small", format="%.2f"),
            "Claim": st.column_config.TextColumn(width="large"),
        },
    )
    selected = getattr(getattr(event, "selection", None), "rows", None)
    if selected:
        open_claim(rows[selected[0]].id)
    first = (page - 1) * PAGE_SIZE + 1
    nav = st.columns([2, 1, 4], vertical_alignment="center")
    nav[0].caption(f"Showing {first}–{first + len(rows) - 1} of {total}. Click a row to open it.")
    nav[1].number_input("Page", min_value=1, max_value=pages, step=1, key="q_page")


render()
