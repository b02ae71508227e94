"""Article view: the full text with every claim highlighted by status.

Each highlighted claim ends with its number as a link to its claim page
(``#12``; ``◇12`` for a below-threshold candidate, shown in italics without a
background). Markdown tables render as tables, highlights inside their cells.
``article?slug=S&claim=N#claim-N`` opens the article with claim N marked and
scrolled to (:func:`dashboard.render.article_claim_url`).
"""

from __future__ import annotations

import contextlib

import streamlit as st

from dashboard import data, state
from dashboard.pickers import article_picker
from dashboard.render import (
    STATUS_COLOURS,
    STATUS_LABELS,
    STATUS_SIGNS,
    Span,
    claim_anchor,
    claim_url,
    highlight,
    highlight_line,
    highlight_table,
    is_table_row,
    located,
    md_escape,
    short,
    spans_by_line,
    status_badge,
    table_rule,
)
from tracker import queries
from tracker.errors import TrackerError
from tracker.intake.text import Line, heading_text, is_heading, lines
from tracker.models import ClaimPublic


def focus_claim() -> int | None:
    """The claim to show: ``?claim=N`` in the URL, else the claim page's "See in article"."""
    raw = st.query_params.get("claim")  # a claim number: the app checked the address
    if raw is not None:
        return int(raw)
    focus = st.session_state.get("a_focus")
    return focus if isinstance(focus, int) else None


def choose_article(focus: int | None) -> str | None:
    """The article of the focused claim, else ``?slug=``, else the picker's choice."""
    wanted = st.query_params.get("slug")
    if focus is not None:
        # a claim that does not exist leaves the article as chosen
        with contextlib.suppress(TrackerError):
            wanted = data.read(queries.get_claim, claim_id=focus).article
    if wanted and st.session_state.get("a_shown_for") != (wanted, focus):
        st.session_state["a_slug"] = wanted  # once, so the picker can still change it
        st.session_state["a_shown_for"] = (wanted, focus)
    return article_picker("Article", key="a_slug")


def legend() -> str:
    samples = " ".join(
        highlight(f"{STATUS_LABELS[s]} {STATUS_SIGNS[s]}", colour)
        for s, colour in STATUS_COLOURS.items()
    )
    return (
        f"Highlights: {samples} · *below-threshold candidate* ◇ (not in the queue) · "
        "click a claim's **\\#N** to open it"
    )


def render() -> None:
    url = data.database_url()
    st.title("Article")
    focus = focus_claim()
    slug = choose_article(focus)
    if slug is None:
        if not data.read(queries.article_slugs, limit=1):
            st.info("No articles yet. Load the seed article with `tracker seed`.")
        return
    article_id, title, text = data.article_text(url, slug)
    claims = data.claims_in_article(url, article_id)
    found: list[ClaimPublic] = []
    lost: list[ClaimPublic] = []
    for c in claims:
        # a lost quote's offsets belong to an earlier revision: never drawn on this text
        here = not c.quote_lost and located(text, c.quote_start, c.quote_end, c.quote)
        (found if here else lost).append(c)
    by_id = {c.id: c for c in found}
    focused = by_id.get(focus) if focus is not None else None

    st.markdown(f"## {md_escape(heading_text(title))}")
    st.markdown(legend())
    if focused is not None:
        st.info(
            f"Claim **\\#{focused.id}** {status_badge(focused.status, focused.flag_reason)} "
            f"{md_escape(short(focused.claim, 140))}  \n"
            f"[Jump to it in the text ↓](#{claim_anchor(focused.id)})"
        )
    warnings = data.article_warnings(url, slug)
    if warnings:
        with st.expander(f"Internal inconsistencies found ({len(warnings)})", expanded=False):
            for w in warnings:
                places = " / ".join(f"“{md_escape(short(p.text, 70))}”" for p in w.places)
                involved = [c.id for c in found if w.touches(c.quote_start, c.quote_end)]
                named = ", ".join(f"\\#{i}" for i in involved)
                suffix = f" — claims {named}" if involved else ""
                st.warning(f"**{md_escape(w.kind)}**: {md_escape(w.message)}  \n{places}{suffix}")
    picker(found, claims, focus)

    spans = [
        Span(c.quote_start, c.quote_end, c.id, c.status, candidate=c.below_threshold) for c in found
    ]
    with st.container(border=True):
        article_text(lines(text), spans, focused)

    if lost:
        st.subheader(f"Claims whose quote is not in the current text ({len(lost)})")
        st.caption(
            "Not confirmed, rated or published until an editor moves each to a sentence of "
            "this text or dismisses it (on the claim's page)."
        )
        for c in lost:
            claim, quote = md_escape(short(c.claim, 100)), md_escape(short(c.quote, 80))
            where = f"lost in revision {c.quote_lost_in}" if c.quote_lost else "not at its offsets"
            state_word = " · dismissed" if c.quote_state == "dismissed" else ""
            proposed = (
                f" · proposed in its place: claim \\#{c.quote_replacement}"
                if c.quote_replacement and not state_word
                else ""
            )
            st.markdown(
                f"- [**\\#{c.id}**](<{claim_url(c.id)}>) {claim} — quote “{quote}” "
                f"({where}{state_word}{proposed})"
            )


def picker(found: list[ClaimPublic], claims: list[ClaimPublic], focus: int | None) -> None:
    """Open a claim by number or text (the keyboard's way in; the text's links are the mouse's)."""
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


def article_text(article_lines: list[Line], spans: list[Span], focused: ClaimPublic | None) -> None:
    """Every line: headings as headings, tables as tables, the rest as paragraphs.

    The focused claim's first line gets a small heading above it whose anchor
    (``claim-N``) the browser scrolls to when the URL ends in ``#claim-N``.
    """
    buckets = spans_by_line([ln.start for ln in article_lines], spans)
    index = 0
    while index < len(article_lines):
        line = article_lines[index]
        if not line.text.strip():
            index += 1
            continue
        table_end = _table_end(article_lines, index)
        block = article_lines[index:table_end] if table_end else [line]
        if focused is not None and any(
            s.claim_id == focused.id
            for ln in range(index, index + len(block))
            for s in buckets.get(ln, [])
        ):
            st.subheader(
                f"▶ Claim {focused.id} · {STATUS_LABELS[focused.status]}",
                anchor=claim_anchor(focused.id),
                help="The claim you came to see; its words are highlighted just below.",
            )
            st.session_state.pop("a_focus", None)
            focused = None
        if table_end:
            touching = {s for ln in range(index, table_end) for s in buckets.get(ln, [])}
            rows = [(ln.start, ln.text) for ln in block]
            st.markdown(highlight_table(rows, sorted(touching, key=lambda s: s.start)))
            index = table_end
            continue
        if is_heading(line.text):
            # show "## Part 1" as a heading, not as a literal "## Part 1"
            shown = heading_text(line.text)
            at = line.text.find(shown)
            body = highlight_line(shown, line.start + at, buckets.get(index, []))
            st.markdown(f"#### {body}")
        else:
            # a list item stays one ("- " kept as Markdown, the rest escaped)
            item = "- " if line.text.startswith("- ") and line.text[2:].strip() else ""
            at = len(item)
            body = highlight_line(line.text[at:], line.start + at, buckets.get(index, []))
            st.markdown(item + body)
        index += 1


def _table_end(article_lines: list[Line], index: int) -> int | None:
    """Where the Markdown table starting at ``index`` ends (exclusive), or None."""
    if index + 1 >= len(article_lines) or not is_table_row(article_lines[index].text):
        return None
    if not table_rule(article_lines[index + 1].text):
        return None
    end = index + 2
    while end < len(article_lines) and is_table_row(article_lines[end].text):
        end += 1
    return end


render()
