"""Overview: where the review stands, and how fast the desk gets there.

Status colours are the queue's (``render.STATUS_HEX``); count axes show whole
numbers only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.pickers import article_picker
from dashboard.render import STATUS_COLOURS, STATUS_HEX, STATUS_LABELS, md_escape, short
from tracker.queries import PACE_DAYS

VERDICTS = ("verified", "flagged", "dismissed")
POINTS_UP_TO = 60  # days on the verdicts-over-time chart drawn with a point each


def count_axis(title: str) -> alt.Axis:
    """A count axis: whole numbers only (no 0.5 claims)."""
    return alt.Axis(title=title, format="d", tickMinStep=1)


def status_scale(statuses: list[str]) -> alt.Scale:
    """The queue's colour for each status label."""
    return alt.Scale(
        domain=[STATUS_LABELS[s] for s in statuses], range=[STATUS_HEX[s] for s in statuses]
    )


def duration(value: timedelta) -> str:
    hours = value.total_seconds() / 3600
    if hours < 1:
        return f"{max(value.total_seconds() / 60, 0):.0f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def render() -> None:
    url = data.database_url()
    st.title("Overview")
    worker(url)
    article = article_picker("Article", key="o_article", everything="All")
    ov = data.overview(url, None if article in (None, "All") else article)
    if ov.total == 0:
        st.info("No claims yet. Load the seed article with `tracker seed`.")
        return
    done = sum(ov.by_status[s] for s in VERDICTS)
    cols = st.columns(len(ov.by_status) + 1)
    cols[0].metric(f"Reviewed ({done / ov.total:.0%})", f"{done}/{ov.total}")
    for col, (status, n) in zip(cols[1:], ov.by_status.items(), strict=True):
        col.metric(STATUS_LABELS[status], n)
    st.progress(done / ov.total, text=f"{done} of {ov.total} claims have a verdict")
    pace = st.columns(3)
    pace[0].metric(
        "Pending confirmation",
        ov.pending_confirmation,
        help="Verdicts (verified or flagged) an editor has not confirmed yet.",
    )
    pace[1].metric(
        f"Median first review → confirmed ({PACE_DAYS} days)",
        duration(ov.median_to_confirmed) if ov.median_to_confirmed is not None else "–",
        help=(
            "From a claim's first status change to the confirmation of its verdict, "
            f"over the {ov.confirmed_measured} verdict(s) confirmed in the last "
            f"{PACE_DAYS} days."
        ),
    )
    pace[2].metric(
        f"Verdicts in the last {PACE_DAYS} days",
        sum(n for _, _, n in ov.verdicts_by_reviewer_day),
    )

    left, right = st.columns(2)
    with left:
        st.subheader("Claims by status")
        frame = pd.DataFrame(
            {
                "status": [STATUS_LABELS[s] for s in ov.by_status],
                "claims": list(ov.by_status.values()),
            }
        )
        chart = (
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=alt.X("claims:Q", axis=count_axis("claims")),
                y=alt.Y("status:N", sort=None, title=None),
                color=alt.Color("status:N", scale=status_scale(list(STATUS_COLOURS)), legend=None),
                tooltip=["status", "claims"],
            )
        )
        st.altair_chart(chart, width="stretch")
    with right:
        st.subheader("Verdicts over time")
        progress = cumulative_verdicts(ov.verdicts_by_day)
        if progress.empty:
            st.caption("No verdicts yet.")
        else:
            st.altair_chart(verdicts_chart(progress), width="stretch")

    st.subheader(f"Verdicts per reviewer per day (last {PACE_DAYS} days)")
    reviewer_days(ov.verdicts_by_reviewer_day)

    a, b, c = st.columns(3)
    with a:
        st.subheader("Flag reasons")
        table(ov.by_flag_reason, "reason", "No flagged claims.")
    with b:
        st.subheader("Claims per reviewer")
        table(ov.by_reviewer, "last reviewed by", "Nobody has reviewed a claim yet.")
        st.caption(
            "Assigned: "
            + (", ".join(f"{md_escape(k)} {v}" for k, v in ov.by_assignee.items()) or "nobody")
        )
    with c:
        st.subheader("Sources by stance")
        table(ov.sources_by_stance, "stance", "No sources yet.")

    st.subheader(f"Claims with no source yet ({len(ov.without_source)})")
    st.dataframe(
        [
            {"ID": x.id, "Status": STATUS_LABELS[x.status], "Claim": short(x.claim, 120)}
            for x in ov.without_source
        ],
        hide_index=True,
        width="stretch",
        key="o_nosource",
    )


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "never"


def worker(url: str) -> None:
    """The background worker (`tracker worker`): running or not, its last run, its last error."""
    w = data.worker_status(url)
    if w.running:
        state = (
            f"**Background worker:** running since {_when(w.started_at)} ({md_escape(w.holder)})"
        )
    else:
        state = (
            "**Background worker:** not running; stored matches and link checks are not "
            "kept up to date (start `tracker worker`)"
        )
    last = f"last run {_when(w.last_run_at)}"
    if w.last_run:
        last += f": {md_escape(w.last_run)}"
    st.markdown(f"{state}  \n{last} · {w.runs} run(s)")
    if w.last_error:
        st.error(f"Worker's last error ({_when(w.last_error_at)}): {md_escape(w.last_error)}")


def verdicts_chart(progress: pd.DataFrame) -> alt.Chart:
    """Claims with each verdict, cumulative, by day."""
    return (
        alt.Chart(progress)
        # a point per day only while they can be told apart: an archive's years of
        # days are a curve (and 1,400 points cost the browser a tenth of a second)
        .mark_line(point=bool(progress["day"].nunique() <= POINTS_UP_TO))
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("claims:Q", axis=count_axis("claims with a verdict")),
            color=alt.Color("verdict:N", scale=status_scale(list(VERDICTS)), title="verdict"),
            tooltip=["day:T", "verdict", "claims"],
        )
    )


def reviewer_days(rows: list[tuple[str, str, int]]) -> None:
    """Verified and flagged verdicts each reviewer gave, per UTC day, stacked."""
    if not rows:
        st.caption(f"No verdicts in the last {PACE_DAYS} days.")
        return
    frame = pd.DataFrame(
        [{"day": date.fromisoformat(d), "reviewer": who, "verdicts": n} for d, who, n in rows]
    )
    today = datetime.now(UTC).date()
    # to the end of today, so today's bar is drawn whole
    start, end = today - timedelta(days=PACE_DAYS - 1), today + timedelta(days=1)
    window = [start.isoformat(), end.isoformat()]
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "yearmonthdate(day):T",
                title=None,
                scale=alt.Scale(domain=window, padding=12),
                axis=alt.Axis(format="%d %b"),
            ),
            y=alt.Y("sum(verdicts):Q", axis=count_axis("verdicts (verified or flagged)")),
            color=alt.Color("reviewer:N", title="reviewer"),
            tooltip=[alt.Tooltip("day:T", format="%d %b %Y"), "reviewer", "verdicts"],
        )
    )
    st.altair_chart(bars, width="stretch")


def table(counts: dict[str, int], label: str, empty: str) -> None:
    if not counts:
        st.caption(empty)
        return
    st.dataframe(
        [{label: k, "claims": v} for k, v in sorted(counts.items(), key=lambda kv: -kv[1])],
        hide_index=True,
        width="stretch",
    )


def cumulative_verdicts(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    totals: dict[str, int] = defaultdict(int)
    out = []
    for day, verdict, n in sorted(rows):
        if verdict not in VERDICTS:
            continue
        totals[verdict] += n
        out.append(
            {
                "day": date.fromisoformat(day),
                "verdict": STATUS_LABELS[verdict],
                "claims": totals[verdict],
            }
        )
    return pd.DataFrame(out)


render()
