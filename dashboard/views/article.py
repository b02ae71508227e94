"""Article view: the full text with every claim highlighted by status."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.render import (
    STATUS_COLOURS,
    STATUS_LABELS,
    Span,
    highlight,
    highlight_line,
    located,
    md_escape,
    short,
    spans_by_line,
)
from tracker.intake.text import heading_text, is_heading, lines
from tracker.models import ClaimPublic


def render() -> None:
    url = data.database_url()
    st.title("Article")
    articles = data.articles(url)
    if not articles:
        st.info("No articles yet. Load the seed article with `tracker seed`.")
        return
    slugs = [a.slug for a in articles]
    slug = st.selectbox("Article", slugs, key="a_slug") if len(slugs) > 1 else slugs[0]
    article_id, title, text = data.article_text(url, slug)
    claims = data.claims_in_article(url, article_id)
    found: list[ClaimPublic] = []
    lost: list[ClaimPublic] = []
    for c in claims:
        (found if located(text, c.quote_start, c.quote_end, c.quote) else lost).append(c)

    st.markdown(f"## {md_escape(heading_text(title))}")
    st.markdown(
        "Legend: "
        + " ".join(highlight(STATUS_LABELS[s], colour) for s, colour in STATUS_COLOURS.items())
        + " · **\\#N** marks the end of claim N"
    )
    warnings = data.article_warnings(url, slug)
    if warnings:
        with st.expander(f"Internal inconsistencies found ({len(warnings)})", expanded=True):
            for w in warnings:
                places = " / ".join(f"“{md_escape(short(p.text, 70))}”" for p in w.places)
                involved = [c.id for c in found if w.touches(c.quote_start, c.quote_end)]
                named = ", ".join(f"\\#{i}" for i in involved)
                suffix = f" — claims {named}" if involved else ""
                st.warning(f"**{md_escape(w.kind)}**: {md_escape(w.message)}  \n{places}{suffix}")
    focus = st.session_state.get("a_focus")
    options = [c.id for c in found]
    labels = {c.id: f"#{c.id} · {STATUS_LABELS[c.status]} · {short(c.claim, 80)}" for c in claims}
    pick = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick[0].selectbox(
        "Open a highlighted claim",
        options,
        index=options.index(focus) if focus in options else None,
        format_func=lambda cid: labels.get(cid, f"#{cid}"),
        key="a_choice",
        placeholder="Choose a claim by number or text",
    )
    if pick[1].button("Open claim", key="a_open", type="primary", disabled=chosen is None):
        state.set_claim(chosen)
        st.switch_page("views/claim.py", query_params={"id": str(chosen)})

    spans = [Span(c.quote_start, c.quote_end, c.id, c.status) for c in found]
    article_lines = lines(text)
    buckets = spans_by_line([ln.start for ln in article_lines], spans)
    with st.container(border=True):
        for index, line in enumerate(article_lines):
            if not line.text.strip():
                continue
            if is_heading(line.text):
                # show "## Part 1" as a heading, not as a literal "## Part 1"
                shown = heading_text(line.text)
                at = line.text.find(shown)
                body = highlight_line(shown, line.start + at, buckets.get(index, []))
                st.markdown(f"#### {body}")
            else:
                st.markdown(highlight_line(line.text, line.start, buckets.get(index, [])))

    if lost:
        st.subheader(f"Claims whose quote is not found in the text ({len(lost)})")
        for c in lost:
            claim, quote = md_escape(short(c.claim, 100)), md_escape(short(c.quote, 80))
            st.markdown(f"- **\\#{c.id}** {claim} — quote: “{quote}”")


render()
