"""Report: preview and download an article's published fact-check (HTML or PDF).

The preview shows the report's own HTML in an iframe. That is acceptable only
because the page comes from :func:`tracker.interchange.report.render_report_html`,
which escapes every user-written text itself; two more walls stand behind
that: the page carries a Content-Security-Policy that runs no script and
loads nothing, and it is framed as a ``data:`` URL, so it has an opaque origin
and could not reach the dashboard even if both failed (``st.iframe`` would
otherwise embed an HTML string with same-origin access). No other HTML is
ever rendered raw in the dashboard.
"""

from __future__ import annotations

import base64

import streamlit as st

from dashboard import data
from dashboard.pickers import article_picker
from dashboard.render import badge, md_escape
from tracker import publishing, queries
from tracker.config import get_settings
from tracker.errors import TrackerError
from tracker.interchange.pdf import html_to_pdf

PREVIEW_HEIGHT = 900


def render() -> None:
    st.title("Report")
    cols = st.columns([3, 1])
    with cols[0]:
        slug = article_picker("Article", key="r_article")
    if slug is None:
        if not data.read(queries.article_slugs, limit=1):
            st.info("No articles yet. Run `tracker seed` or import one.")
        return
    paper = cols[1].selectbox("Paper", ["A4", "letter"], key="r_paper")
    settings = get_settings()
    try:
        report = data.read(publishing.published_report, slug=slug)
        page = data.read(publishing.report_html, slug=slug, settings=settings, paper=paper)
    except TrackerError as exc:
        st.error(md_escape(str(exc)))
        return
    counts: dict[str, int] = {}
    for c in report.claims:
        counts[c.rating] = counts.get(c.rating, 0) + 1
    n = len(report.claims)
    st.markdown(
        f"**{n}** published {'claim' if n == 1 else 'claims'} of "
        f"{report.claims_in_article} in the article"
        + (": " + " ".join(badge(f"{k}: {v}", "blue") for k, v in counts.items()) if n else ".")
    )
    if not n:
        st.info(
            "Nothing is published yet: a claim appears once its verdict is confirmed and an "
            "editor has given it a rating and a verdict summary (on the claim page)."
        )
    if not publishing.claimreview_configured(settings):
        st.caption(
            "No ClaimReview markup in the page: set TRACKER\\_REPORT\\_BASE\\_URL and "
            "TRACKER\\_ORG\\_NAME to embed it."
        )
    buttons = st.columns(2)
    buttons[0].download_button(
        "Download HTML",
        data=page.encode("utf-8"),
        file_name=f"{slug}.html",
        mime="text/html",
        key="r_html",
        type="primary",
        on_click="ignore",
    )
    if buttons[1].button("Make PDF", key="r_make_pdf"):
        with st.spinner("Printing the PDF with Chromium…"):
            try:
                st.session_state["r_pdf"] = (slug, paper, html_to_pdf(page))
            except TrackerError as exc:
                st.error(md_escape(str(exc)))
    made = st.session_state.get("r_pdf")
    if made and made[:2] == (slug, paper):
        buttons[1].download_button(
            "Download PDF",
            data=made[2],
            file_name=f"{slug}.pdf",
            mime="application/pdf",
            key="r_pdf_download",
            on_click="ignore",
        )
    st.caption("Preview (as printed: inline styles only, nothing loaded from elsewhere)")
    st.iframe(preview_src(page), height=PREVIEW_HEIGHT)


def preview_src(page: str) -> str:
    """The report as a ``data:`` URL: framed with an opaque origin, not the dashboard's."""
    return "data:text/html;charset=utf-8;base64," + base64.b64encode(page.encode()).decode()


render()
