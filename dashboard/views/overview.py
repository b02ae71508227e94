"""Overview: where the review stands."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.render import STATUS_COLOURS, STATUS_LABELS, md_escape, short

VERDICTS = ("verified", "flagged", "dismissed")


def render() -> None:
    url = data.database_url()
    st.title("Overview")
    slugs = [a.slug for a in data.articles(url)]
    article = st.selectbox("Article", ["All", *slugs], key="o_article") if len(slugs) > 1 else None
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
                x=alt.X("claims:Q", title="claims"),
                y=alt.Y("status:N", sort=None, title=None),
                color=alt.Color(
                    "status:N",
                    scale=alt.Scale(
                        domain=[STATUS_LABELS[s] for s in STATUS_COLOURS],
                        range=["#9e9e9e", "#1c83e1", "#21c354", "#ff4b4b", "#803df5"],
                    ),
                    legend=None,
                ),
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
            line = (
                alt.Chart(progress)
                .mark_line(point=True)
                .encode(
                    x=alt.X("day:T", title=None),
                    y=alt.Y("claims:Q", title="claims with a verdict"),
                    color=alt.Color("verdict:N"),
                    tooltip=["day:T", "verdict", "claims"],
                )
            )
            st.altair_chart(line, width="stretch")

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
        out.append({"day": date.fromisoformat(day), "verdict": verdict, "claims": totals[verdict]})
    return pd.DataFrame(out)


render()
