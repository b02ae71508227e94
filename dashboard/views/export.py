"""Export: the CSV of the claims that match the queue's filters."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import auth, data, state
from dashboard.render import md_escape


def render() -> None:
    url = data.database_url()
    st.title("Export")
    filters = state.current_filters(auth.current_user())
    count = data.count_claims(url, filters)
    st.markdown(
        f"**{count}** {'claim' if count == 1 else 'claims'} will be exported — "
        f"{md_escape(state.describe(filters))} "
        "(change the filters on the review queue)."
    )
    st.caption(
        "UTF-8, comma-separated (RFC 4180), one row per claim with sources, notes and "
        "review columns. Cells that a spreadsheet would run as a formula start with an "
        "apostrophe; `tracker import csv` removes it again."
    )
    if count > data.DOWNLOAD_LIMIT:
        # Streamlit holds a download in memory; the CLI streams it to a file instead.
        st.warning(
            f"The page downloads at most {data.DOWNLOAD_LIMIT:,} claims; narrow the filters, "
            "or export everything with `tracker export csv --out claims.csv` "
            "(streamed, memory flat)."
        )
        return
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    st.download_button(
        f"Download CSV ({count} {'row' if count == 1 else 'rows'})",
        data=lambda: data.export_csv(filters),
        file_name=f"claims-{stamp}.csv",
        mime="text/csv",
        type="primary",
        key="x_download",
        disabled=count == 0,
        on_click="ignore",
    )


render()
