"""Turning tracker data into safe Markdown. Pure functions: no Streamlit here.

User-written text (claims, notes, titles, article text) only ever reaches the
page through :func:`md_escape`, which backslash-escapes every character that
Markdown, Streamlit's colour directives or LaTeX could interpret, and breaks the
bare addresses Markdown would turn into links (:func:`no_autolinks`). Streamlit
itself never renders HTML from ``st.markdown`` without ``unsafe_allow_html``,
which this dashboard never passes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from urllib.parse import quote, urlsplit

from tracker.intake.text import paragraph_bounds
from tracker.validation import is_http_url

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=\"'^])")

STATUS_COLOURS = {
    "unreviewed": "gray",
    "in_review": "blue",
    "verified": "green",
    "flagged": "red",
    "dismissed": "violet",
}
STATUS_LABELS = {
    "unreviewed": "Unreviewed",
    "in_review": "In review",
    "verified": "Verified",
    "flagged": "Flagged",
    "dismissed": "Dismissed",
}
# The same colours as hex, for charts and table cells (Streamlit's light-theme palette).
STATUS_HEX = {
    "unreviewed": "#808495",
    "in_review": "#1c83e1",
    "verified": "#21c354",
    "flagged": "#ff4b4b",
    "dismissed": "#803df5",
}
# Text on the chip colour at 18 % (readable: Streamlit's body colour on a light tint).
STATUS_TEXT_HEX = "#31333f"


def status_cell_style(status: str) -> str:
    """CSS for a table cell showing ``status``: the status colour as a light chip."""
    colour = STATUS_HEX.get(status, STATUS_HEX["unreviewed"])
    return f"background-color: {colour}2e; color: {STATUS_TEXT_HEX}; font-weight: 600"


# A sign per status next to each claim in the article, so the status reads without colour.
STATUS_SIGNS = {
    "unreviewed": "○",
    "in_review": "◐",
    "verified": "✓",
    "flagged": "✗",
    "dismissed": "–",
}
STANCE_COLOURS = {"supports": "green", "refutes": "red", "context": "blue"}
# When highlights overlap, the status that most needs attention wins.
STATUS_PRIORITY = ("flagged", "in_review", "unreviewed", "verified", "dismissed")


def md_escape(text: str | None) -> str:
    """``text`` as literal Markdown: no formatting, links, HTML, directives or maths."""
    if not text:
        return ""
    escaped = _SPECIAL.sub(r"\\\1", no_autolinks(text))
    # Keep line breaks as breaks, not paragraph joins.
    return escaped.replace("\n", "  \n")


# GitHub-flavoured Markdown, as Streamlit renders it, turns bare addresses in text into
# links: anything after "http://", "https://" or "www.", and "name@host.tld". It finds
# them in the parsed text, where backslash escapes are already gone, so escaping cannot
# stop it; an invisible WORD JOINER (U+2060) inside each trigger does: the text reads and
# wraps the same, and no address in it is a link (real links go through safe_link).
WORD_JOINER = "\u2060"
_AUTOLINK_TRIGGER = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def no_autolinks(text: str) -> str:
    """``text`` with a word joiner where Markdown would start an automatic link."""
    return _AUTOLINK_TRIGGER.sub(WORD_JOINER, text)


def fine_print(markdown: str) -> str:
    """Markdown shown small and grey, as ``st.caption`` shows it, inside another element."""
    return f":small[:gray[{markdown}]]" if markdown else ""


def lines(*parts: str) -> str:
    """Markdown parts as the lines of one element (empty parts left out).

    Each element costs the browser a component of its own, which adds up on a page
    with many small ones (a claim's sources, matches and history, #11)."""
    return "  \n".join(p for p in parts if p)


def badge(label: str, colour: str) -> str:
    return f":{colour}-badge[{md_escape(label)}]"


def status_badge(status: str, flag_reason: str | None = None) -> str:
    label = STATUS_LABELS.get(status, status)
    if flag_reason:
        label += f": {flag_reason}"
    return badge(label, STATUS_COLOURS.get(status, "gray"))


def status_legend() -> str:
    """Every status as its badge, in workflow order: the one legend every page shows."""
    return " ".join(status_badge(status) for status in STATUS_COLOURS)


def source_line(stance: str, label: str | None, url: str, publisher: str | None) -> str:
    """A source as one line: its stance badge, a safe link, the publisher."""
    return join_nonempty(
        [
            badge(stance, STANCE_COLOURS.get(stance, "gray")),
            safe_link(label, url),
            md_escape(publisher),
        ],
        " ",
    )


def highlight(text: str, colour: str) -> str:
    """Escaped ``text`` on a coloured background."""
    return f":{colour}-background[{md_escape(text)}]"


def safe_link(label: str | None, url: str | None) -> str:
    """A Markdown link for http(s) URLs only; anything else is shown as plain text."""
    shown = md_escape(label or url or "")
    if not url or not is_http_url(url):
        return shown
    # Angle-bracket destination; percent-encode what could end it early, and square
    # brackets too: inside a directive (``:small[...]``, fine_print) a "]" in the
    # address would close it and let the rest render as Markdown of its own. Only an
    # IPv6 host keeps its brackets (balanced, and nothing but hex digits and colons).
    keep = ":/?#@!$&'()*+,;=%-._~"
    target = quote(url, safe=keep)
    host = urlsplit(url).netloc
    if _IPV6_HOST.fullmatch(host):  # the host comes first: put its brackets back
        target = target.replace(quote(host, safe=keep), host, 1)
    return f"[{shown}](<{target}>)"


_IPV6_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\](?::\d+)?")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    claim_id: int
    status: str
    candidate: bool = False  # below the threshold: not in the queue, shown apart (#11)


def claim_url(claim_id: int) -> str:
    """The claim page's address, relative so it works under any base path."""
    return f"claim?id={int(claim_id)}"


def claim_anchor(claim_id: int) -> str:
    """The article view's anchor just above claim ``claim_id`` (when it is the focus)."""
    return f"claim-{int(claim_id)}"


def article_claim_url(slug: str, claim_id: int) -> str:
    """The article view scrolled to claim ``claim_id``: ``article?slug=S&claim=N#claim-N``.

    Opened as a URL (a link, a new tab), the browser scrolls to the claim; from
    ``st.switch_page("views/article.py", query_params={"slug": S, "claim": N})``
    the page opens on the same article with the claim marked and a jump link.
    """
    return f"article?slug={quote(slug, safe='')}&claim={int(claim_id)}#{claim_anchor(claim_id)}"


def located(text: str, start: int, end: int, quote_text: str) -> bool:
    return 0 <= start < end <= len(text) and text[start:end] == quote_text


MAX_MARKERS = 4


def spans_by_line(line_starts: Sequence[int], spans: Iterable[Span]) -> dict[int, list[Span]]:
    """Bucket spans by the index of every line they touch (lines sorted by start)."""
    buckets: dict[int, list[Span]] = {}
    for s in spans:
        first = bisect.bisect_right(line_starts, s.start) - 1
        last = bisect.bisect_right(line_starts, max(s.start, s.end - 1)) - 1
        for index in range(max(first, 0), last + 1):
            buckets.setdefault(index, []).append(s)
    return buckets


def _markers(ending: list[Span]) -> str:
    """``#12 ✓`` after a claim (``◇12`` after a candidate), each a link to its claim page."""
    shown = " ".join(
        f"[◇{s.claim_id}]({claim_url(s.claim_id)})"
        if s.candidate
        else f"[**\\#{s.claim_id}** {STATUS_SIGNS.get(s.status, '')}]({claim_url(s.claim_id)})"
        for s in ending[:MAX_MARKERS]
    )
    more = len(ending) - MAX_MARKERS
    return shown + (f" **\\+{more}**" if more > 0 else "")


def _candidate_piece(piece: str) -> str:
    """A below-threshold candidate's words: italic, no background (queued claims have one)."""
    core = piece.strip()
    if not core:
        return md_escape(piece)
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    return f"{md_escape(lead)}*{md_escape(core)}*{md_escape(trail)}"


def highlight_line(
    line: str, line_start: int, spans: Sequence[Span], *, markers: bool = True
) -> str:
    """One line of article text as Markdown with every claim span highlighted.

    Overlapping spans are split at every boundary; each piece takes the colour
    of the most urgent status covering it. ``#id`` markers follow each span.
    Pass only the spans that touch this line (see :func:`spans_by_line`).
    """
    line_end = line_start + len(line)
    inside = [s for s in spans if s.start < line_end and s.end > line_start]
    if not inside:
        return md_escape(line)
    cuts = {0, len(line)}
    for s in inside:
        cuts.add(max(s.start, line_start) - line_start)
        cuts.add(min(s.end, line_end) - line_start)
    points = sorted(cuts)
    out: list[str] = []
    for a, b in pairwise(points):
        piece = line[a:b]
        covering = [s for s in inside if s.start <= line_start + a and s.end >= line_start + b]
        queued = [s for s in covering if not s.candidate]
        if queued:
            status = min(queued, key=lambda s: STATUS_PRIORITY.index(s.status)).status
            out.append(highlight(piece, STATUS_COLOURS.get(status, "gray")))
        elif covering:
            out.append(_candidate_piece(piece))
        else:
            out.append(md_escape(piece))
        if markers:
            ending = sorted(
                (s for s in inside if s.end == line_start + b), key=lambda s: s.claim_id
            )
            if ending:
                out.append(" " + _markers(ending))
    return "".join(out)


# --- Markdown tables in article text (#11) ----------------------------------------

_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def is_table_row(line: str) -> bool:
    text = line.strip()
    return text.startswith("|") and text.count("|") >= 2


def table_rule(line: str) -> bool:
    """A GFM table's delimiter row: ``|---|:--:|``."""
    return bool(_TABLE_RULE.match(line)) and "|" in line


def cells(line: str, line_start: int) -> list[tuple[int, str]]:
    """The cells of a table row as (absolute offset, text), outer pipes dropped.

    A pipe escaped with a backslash stays inside its cell.
    """
    bounds = [i for i, ch in enumerate(line) if ch == "|" and (i == 0 or line[i - 1] != "\\")]
    if not line.strip().startswith("|"):
        bounds.insert(0, -1)
    closed = line.rstrip().endswith("|") and bounds[-1] == len(line.rstrip()) - 1
    if not closed:
        bounds.append(len(line))
    out = []
    for a, b in pairwise(bounds):
        raw = line[a + 1 : b]
        lead = len(raw) - len(raw.lstrip())
        out.append((line_start + a + 1 + lead, raw.strip()))
    return out


def _in_cells(spans: Sequence[Span], row_cells: list[tuple[int, str]]) -> list[Span]:
    """``spans``, each ending inside a cell's text: one that ends on a pipe or padding
    (a quote of the whole row) ends at the text before, so its marker is shown."""
    ends = [at + len(text) for at, text in row_cells if text]
    out = []
    for s in spans:
        if ends and not any(at <= s.end <= at + len(t) for at, t in row_cells if t):
            before = [e for e in ends if e <= s.end and e > s.start]
            s = replace(s, end=before[-1]) if before else s
        out.append(s)
    return out


def highlight_table(rows: Sequence[tuple[int, str]], spans: Sequence[Span]) -> str:
    """A Markdown table (rows as (offset, line), the delimiter row second) as a GFM table
    whose cells are escaped and highlighted like any other text."""
    out = []
    width = 0
    for index, (start, line) in enumerate(rows):
        if index == 1:
            continue  # the delimiter row, written anew below
        row_cells = cells(line, start)
        row = [
            highlight_line(
                text,
                at,
                [s for s in _in_cells(spans, row_cells) if s.start < at + len(text) and s.end > at],
            )
            for at, text in row_cells
        ]
        width = width or len(row)
        row = (row + [""] * width)[:width]
        out.append("| " + " | ".join(row) + " |")
        if index == 0:
            out.append("|" + "---|" * width)
    return "\n".join(out)


CONTEXT_CHARS = 600  # at most this much of the paragraph on each side of a quote
_SENTENCE_ENDS = (". ", "! ", "? ")


def context_span(text: str, start: int, end: int, limit: int = CONTEXT_CHARS) -> tuple[int, int]:
    """The paragraph (line) around ``start:end``, cut to about ``limit`` characters on
    each side: an article pasted as one line must not put the whole article on the
    claim page. A cut falls at the sentence end (". ", "! ", "? ") nearest the
    limit inside it if that keeps at least a third of the limit, else at the space
    nearest the limit, so no word is cut in half."""
    p_start, p_end = paragraph_bounds(text, start, end)
    keep = limit // 3  # a sentence end that keeps less than this shows too little
    if start - p_start > limit:
        window = text[start - limit : start]
        first = min(
            (i + 2 for i in (window.find(m) for m in _SENTENCE_ENDS) if i >= 0), default=limit
        )
        cut = first if first <= limit - keep else window.find(" ") + 1
        p_start = start - limit + cut if cut > 0 else start - limit
    if p_end - end > limit:
        window = text[end : end + limit]
        cut = max(window.rfind(m) for m in _SENTENCE_ENDS) + 1
        if cut < keep:
            cut = window.rfind(" ")
        p_end = end + cut if cut > 0 else end + limit
    return p_start, p_end


def paragraph_with_quote(text: str, start: int, end: int, colour: str = "orange") -> str:
    """The line around ``start:end`` with that span highlighted, "…" where
    :func:`context_span` cut it short."""
    p_start, p_end = context_span(text, start, end)
    before = "… " if p_start > 0 and text[p_start - 1] != "\n" else ""
    after = " …" if p_end < len(text) and text[p_end] != "\n" else ""
    return (
        before
        + md_escape(text[p_start:start])
        + highlight(text[start:end], colour)
        + md_escape(text[end:p_end])
        + after
    )


def short(text: str | None, width: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def join_nonempty(parts: Iterable[str | None], sep: str = " · ") -> str:
    return sep.join(p for p in parts if p)
