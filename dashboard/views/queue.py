"""Review queue: filter (in the URL), sort and page through claims; open one; act on many."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import address, auth, data, state
from dashboard.pickers import article_picker
from dashboard.render import STATUS_LABELS, md_escape, short, status_cell_style, status_legend
from tracker import queries, services
from tracker.errors import TrackerError
from tracker.models import ClaimPublic, ClaimStatus, ClaimType, Origin
from tracker.queries import SORT_KEYS, ClaimFilter
from tracker.services import BulkAction, BulkOutcome

PAGE_SIZE = 50
ROW_HEIGHT = 68  # px: over 4rem, so Streamlit wraps the claim text on three lines
ROWS_IN_VIEW = 8
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
QUICK = {  # quick filter -> (session key, value when on, value when off)
    "mine": ("f_assignee", state.ME, state.ALL),
    "unassigned": ("f_assignee", state.UNASSIGNED, state.ALL),
    "pending": ("f_pending", True, False),
}
QUICK_LABELS = {"mine": "Mine", "unassigned": "Unassigned", "pending": "Pending confirmation"}
BULK_LABELS = {
    BulkAction.assign: "Assign",
    BulkAction.unassign: "Unassign",
    BulkAction.start_review: "Start review",
    BulkAction.dismiss: "Dismiss",
}
REFUSAL_WORDS = {
    "conflict": "changed meanwhile",
    "role": "not your role",
    "rule": "a rule says no",
    "missing": "gone",
}


def open_claim(claim_id: int) -> None:
    state.set_claim(claim_id)
    # the filters go along: j/k and "Next unreviewed" follow them, in this tab or a new one
    st.switch_page("views/claim.py", query_params={**state.filters_in_url(), "id": str(claim_id)})


def back_to_first_page() -> None:
    st.session_state["q_page"] = 1


def _quick_on(name: str) -> bool:
    key, on, _off = QUICK[name]
    return bool(st.session_state.get(key) == on)


def _toggle_quick(name: str) -> None:
    key, on, off = QUICK[name]
    st.session_state[key] = off if st.session_state.get(key) == on else on
    back_to_first_page()


def quick_filters() -> None:
    cols = st.columns([1, 1.3, 2, 1.3, 4.4], vertical_alignment="center")
    for col, name in zip(cols, QUICK, strict=False):
        col.button(
            QUICK_LABELS[name],
            key=f"q_quick_{name}",
            type="primary" if _quick_on(name) else "secondary",
            on_click=_toggle_quick,
            args=(name,),
            width="stretch",
        )
    cols[3].button("Clear filters", key="q_clear", on_click=state.clear_filters)
    cols[4].markdown("Status: " + status_legend())


def _valid_choice(key: str, choices: list[str]) -> list[str]:
    """The choices, keeping a value that came from a shared URL (a name with no claims yet)."""
    value = st.session_state.get(key)
    if isinstance(value, str) and value not in choices:
        return [*choices, value]
    return choices


def filter_bar(url: str, user: str | None) -> ClaimFilter:
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
        _valid_choice("f_assignee", [state.ALL, state.ME, state.UNASSIGNED, *data.assignees(url)]),
        on_change=back_to_first_page,
        key="f_assignee",
    )
    c4.text_input(
        "Search claim, quote and notes",
        on_change=back_to_first_page,
        key="f_search",
        placeholder="e.g. HBM4",
        max_chars=address.MAX_TEXT,
    )
    # no widget with a single article, but the same query either way
    article_picker("Article", key="f_article", everything=state.ALL, on_change=back_to_first_page)
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
        d2.toggle(
            "Pending confirmation",
            key="f_pending",
            on_change=back_to_first_page,
            help="Verdicts no editor has confirmed yet (the Confirm page lists them oldest first)",
        )
        d3.toggle("Descending", on_change=back_to_first_page, key="q_desc")
        d3.toggle(
            "Quote lost",
            key="f_lost",
            on_change=back_to_first_page,
            help="Claims whose quote a new revision of the article no longer has: not "
            "confirmed, rated or published until an editor moves or dismisses them",
        )
        d3.toggle(
            "Has a match",
            key="f_match",
            on_change=back_to_first_page,
            help="Only claims with a close earlier match: a reviewed claim of another article "
            "or a published fact-check (see the claim page's “Checked before”)",
        )
    return state.current_filters(user)


def _badge(match: queries.BestMatch | None) -> str:
    if match is None:
        return ""
    return f"≈ {match.kind} {match.id} ({match.score:.2f})"


def table(rows: list[ClaimPublic], matched: dict[int, Any], several_articles: bool) -> Any:
    """The page of claims: the claim text first and wrapped, status as a coloured chip,
    the score blank (not "None") where there is none (curated claims)."""
    frame = pd.DataFrame(
        [
            {
                "Claim": " ".join(r.claim.split()),
                "Article": r.article,
                "Status": STATUS_LABELS[r.status]
                + (f": {r.flag_reason}" if r.flag_reason else "")
                + (" · to confirm" if r.pending_confirmation and not r.quote_lost else "")
                + (f" · ⚠ quote lost (r{r.quote_lost_in})" if r.quote_lost else ""),
                "Assignee": r.assignee or "",
                "Type": r.claim_type,
                "Section": short(r.section, 28),
                "Sources": r.source_count,
                "Score": "" if r.score is None else f"{r.score:.2f}",
                "Checked before": _badge(matched.get(r.id)),
                "ID": r.id,
            }
            for r in rows
        ]
    )
    if not several_articles:
        frame = frame.drop(columns=["Article"])
    if not frame["Checked before"].any():  # room for the claim when no row has a match
        frame = frame.drop(columns=["Checked before"])
    return frame.style.apply(
        lambda column: [status_cell_style(r.status) for r in rows], subset=["Status"]
    )


def bulk_selection(rows_key: str) -> list[int]:
    """The claim ids of the rows selected in the table as it was last drawn."""
    event = st.session_state.get(rows_key)
    picked = getattr(getattr(event, "selection", None), "rows", None)
    if picked is None and isinstance(event, dict):
        picked = event.get("selection", {}).get("rows")
    ids: list[int] = st.session_state.get("_q_row_ids", [])
    return [ids[i] for i in picked or () if 0 <= i < len(ids)]


def run_bulk(action: BulkAction, user: str) -> None:
    """A bulk button's callback: runs before the page is drawn again, so the ids and the
    versions are those of the table the reviewer looked at when clicking."""
    ids = bulk_selection(_table_key())
    if not ids:
        return
    seen = state.seen_versions()
    assignee = user if action is BulkAction.assign else None
    if action is BulkAction.assign and auth.can("assign_other"):
        assignee = (st.session_state.get("q_bulk_assignee") or "").strip() or user
    reason = (st.session_state.get("q_bulk_reason") or "").strip()
    try:
        outcomes = data.write(
            services.bulk_update,
            versions={i: seen.get(i) for i in ids},
            action=action.value,
            actor=user,
            assignee=assignee,
            note=f"Dismissed: {reason}" if action is BulkAction.dismiss and reason else None,
        )
    except TrackerError as exc:
        st.session_state["_q_bulk"] = (BULK_LABELS[action], [], str(exc))
        return
    for o in outcomes:
        if o.version is not None:
            state.remember(o.claim_id, o.version)
    st.session_state["_q_bulk"] = (BULK_LABELS[action], outcomes, None)
    changed = sum(o.refused is None for o in outcomes)
    st.toast(f"{BULK_LABELS[action]}: {changed} changed, {len(outcomes) - changed} refused")
    st.session_state["_q_table_n"] = st.session_state.get("_q_table_n", 0) + 1  # clear selection


def _table_key() -> str:
    return f"q_table_{st.session_state.get('_q_table_n', 0)}"


def bulk_result() -> None:
    """What the last bulk action changed and what it refused, and why, by the buttons."""
    result = st.session_state.pop("_q_bulk", None)
    if not result:
        return
    label, outcomes, error = result
    if error:
        st.error(f"{label}: {md_escape(error)}")
        return
    done: list[BulkOutcome] = [o for o in outcomes if o.refused is None]
    refused: list[BulkOutcome] = [o for o in outcomes if o.refused is not None]
    with st.container(border=True, key="q_bulk_result"):
        head = f"**{label}**: {len(done)} changed"
        if done:
            head += " (" + ", ".join(f"\\#{o.claim_id}" for o in done) + ")"
        st.markdown(head + (f", {len(refused)} refused" if refused else ""))
        for o in refused:
            word = REFUSAL_WORDS.get(o.refused or "", o.refused or "")
            st.markdown(
                f":red-badge[{o.refused}] **\\#{o.claim_id}** ({word}): {md_escape(o.message)}"
            )


def bulk_bar(user: str | None, selected: list[int]) -> None:
    n = len(selected)
    none = n == 0
    cols = st.columns([2.2, 1, 1.4, 1.2, 1.4, 1.3, 2], vertical_alignment="center")
    acts = bool(user) and auth.can("assign_self")
    hint = "Tick a row to open it, several to act:" if acts else "Tick a row to open it:"
    cols[0].markdown(f"**{n}** selected" if n else hint)
    if cols[1].button("Open", key="q_open_selected", disabled=n != 1, width="stretch"):
        open_claim(selected[0])
    if not user or not acts:  # (user: narrows the type for the calls below)
        return  # viewers read: no bulk actions (the services would refuse them anyway)
    if auth.can("assign_other"):
        with cols[2].popover("Assign…", disabled=none, width="stretch"):
            st.text_input("Assign to", key="q_bulk_assignee", placeholder=f"name (empty: {user})")
            _bulk_button(BulkAction.assign, user, n, "Assign")
    else:
        with cols[2]:
            _bulk_button(BulkAction.assign, user, n, "Assign to me")
    with cols[3]:
        _bulk_button(BulkAction.unassign, user, n, "Unassign")
    with cols[4]:
        _bulk_button(BulkAction.start_review, user, n, "Start review")
    with cols[5].popover("Dismiss…", disabled=none, width="stretch"):
        st.text_input("Reason (optional, kept as a note)", key="q_bulk_reason")
        _bulk_button(BulkAction.dismiss, user, n, "Dismiss")
    bulk_result()


def _bulk_button(action: BulkAction, user: str, n: int, label: str) -> None:
    st.button(
        label,
        key=f"q_bulk_{action.value}",
        disabled=n == 0,
        on_click=run_bulk,
        args=(action, user),
        width="stretch",
        help=f"{BULK_LABELS[action]} the {n} selected claims, each at the version shown",
    )


def render() -> None:
    url = data.database_url()
    user = auth.current_user()
    st.title("Review queue")
    state.show_flashes()
    state.sync_filters_with_url(besides={"id"})  # a claim's id: not a filter
    slugs = data.read(queries.article_slugs, limit=2)  # one article or several (#10)
    quick_filters()
    filters = filter_bar(url, user)
    asked = max(1, int(st.session_state.get("q_page", 1) or 1))
    found = data.queue_page(
        url,
        filters,
        st.session_state.get("q_sort", "id"),
        bool(st.session_state.get("q_desc")),
        PAGE_SIZE,
        (asked - 1) * PAGE_SIZE,
    )
    total, unreviewed, rows = found.total, found.unreviewed, found.rows
    page = found.offset // PAGE_SIZE + 1  # the last page, if filters shrank the result
    st.session_state["q_page"] = page
    state.write_filters_to_url()  # with the page shown, not one past the end
    only_unreviewed = queries.unreviewed_in(filters)

    top = st.columns([3, 2, 2])
    matches = "claim matches" if total == 1 else "claims match"
    top[0].markdown(
        f"**{total}** {matches} · **{unreviewed}** unreviewed to go",
        help="Unreviewed claims that match every filter except status",
    )
    top[0].caption(md_escape(state.describe(filters)))
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
        if filters.has_match:  # say why no claim has a match
            st.info("No claim has an earlier match. " + data.match_status(url).explain())
        else:
            st.info("No claims match. Clear the filters, or load claims with `tracker seed`.")
        bulk_result()
        return

    pages = max(1, -(-total // PAGE_SIZE))
    several = filters.article is None and len(slugs) > 1
    bulk_bar(user, bulk_selection(_table_key()))
    # stored best matches for the badge and the filter, kept up to date by `tracker
    # worker`: the page never computes them, and says when they are behind
    matched = data.best_matches(url, tuple(r.id for r in rows))
    status = data.match_status(url)
    if status.pending:
        st.caption(status.explain())  # our own sentence: commands in backticks
    st.dataframe(
        table(rows, matched, several),
        key=_table_key(),
        hide_index=True,
        width="stretch",
        height=min(len(rows), ROWS_IN_VIEW) * ROW_HEIGHT + 40,
        row_height=ROW_HEIGHT,
        on_select="rerun",
        selection_mode="multi-row",
        # about 920 px of table at 1400 px with the sidebar open: the claim takes the most
        column_config={
            "Claim": st.column_config.TextColumn(width=390, help="The claim, as reviewed"),
            "Article": st.column_config.TextColumn(width=100),
            "Status": st.column_config.TextColumn(width=105),
            "Assignee": st.column_config.TextColumn(width=75),
            "Type": st.column_config.TextColumn(width=95),
            "Section": st.column_config.TextColumn(width=100),
            "Sources": st.column_config.NumberColumn("Src", width=40, help="Sources"),
            "Score": st.column_config.TextColumn(width=50, help="Check-worthiness (extracted)"),
            "Checked before": st.column_config.TextColumn(width=100),
            "ID": st.column_config.NumberColumn(width=45, format="%d"),
        },
    )
    # what bulk actions act on: these rows at the versions shown
    st.session_state["_q_row_ids"] = [r.id for r in rows]
    for r in rows:
        state.remember(r.id, r.version)
    first = (page - 1) * PAGE_SIZE + 1
    nav = st.columns([2, 1, 4], vertical_alignment="center")
    nav[0].caption(f"Showing {first}–{first + len(rows) - 1} of {total}.")
    nav[1].number_input("Page", min_value=1, max_value=pages, step=1, key="q_page")


render()
