"""The published fact-check report as one HTML page. Pure: data in, HTML out.

Everything user-written (titles, claims, quotes, summaries, source titles,
names, article text) passes through :func:`esc` (``html.escape`` with quotes);
links are written only for http(s) URLs. The page is self-contained: inline
CSS, no scripts that run, no fonts, images or styles from elsewhere, and a
Content-Security-Policy that forbids them should anything slip through. The
ClaimReview JSON-LD is embedded with ``<``, ``>`` and ``&`` escaped, so no text
can close its ``<script>`` element.

Print: ``@page`` sets A4 or US Letter with margins that suit both; claims do not
break across pages where they fit on one.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from ..config import UNVERIFIABLE
from ..validation import is_http_url
from .claimreview import claim_anchor, script_json

if TYPE_CHECKING:  # the data classes only; this module reads no database
    from ..publishing import PublishedClaim, PublishedReport

PAPERS = {"a4": "A4", "letter": "letter"}
CONTEXT_CHARS = 280  # of article text shown either side of a quote in a long paragraph

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def link(label: object, url: str | None, *, cls: str = "") -> str:
    """``label`` linked to ``url`` when it is an http(s) URL, else plain text."""
    if not url or not is_http_url(url):
        return esc(label)
    klass = f' class="{cls}"' if cls else ""
    return f'<a{klass} href="{esc(url)}" rel="noopener noreferrer">{esc(label)}</a>'


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value.day} {value:%B %Y}"


# --- rating colours: worst red to best green; outside the scale grey -------------


def _colour(index: int, size: int) -> str:
    hue = 0 if size < 2 else round(120 * index / (size - 1))
    return f"hsl({hue} 62% 38%)"


def rating_class(label: str, scale: Sequence[str]) -> str:
    return f"r{scale.index(label)}" if label in scale else "ru"


def _rating_css(scale: Sequence[str]) -> str:
    rules = [f".r{i}{{background:{_colour(i, len(scale))}}}" for i in range(len(scale))]
    return "".join(rules) + ".ru{background:#5f6368}"


def _pill(label: str, scale: Sequence[str]) -> str:
    return f'<span class="rating {rating_class(label, scale)}">{esc(label)}</span>'


STYLE = """
@page { size: %(paper)s; margin: 16mm 15mm 18mm; }
@page { @bottom-center { content: "Page " counter(page) " of " counter(pages);
  font: 8pt system-ui, sans-serif; color: #555; } }
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 11pt/1.5 Georgia, "Times New Roman", serif; color: #1b1b1b;
  background: #fff; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1, h2, h3, h4, .kicker, .meta, table, .rating, .people, .small, footer {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.7rem; line-height: 1.2; margin: .2rem 0 .6rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #1b1b1b; padding-bottom: .2rem;
  margin: 2rem 0 .8rem; }
h3 { font-size: 1.02rem; margin: .1rem 0 .5rem; line-height: 1.3; }
h4 { font-size: .82rem; text-transform: uppercase; letter-spacing: .05em; color: #444;
  margin: .8rem 0 .2rem; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .78rem; color: #555;
  margin: 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
  font-size: .9rem; margin: 0 0 .6rem; }
.meta dt { color: #555; } .meta dd { margin: 0; overflow-wrap: anywhere; }
a { color: #1f4fa8; }
table { border-collapse: collapse; font-size: .92rem; min-width: 60%%; }
th, td { text-align: left; padding: .3rem .7rem .3rem 0; border-bottom: 1px solid #ccc; }
td.n, th.n { text-align: right; }
tfoot td { font-weight: 600; border-bottom: none; }
.rating { display: inline-block; color: #fff; font-size: .8rem; font-weight: 650;
  padding: .1rem .5rem; border-radius: .25rem; white-space: nowrap;
  print-color-adjust: exact; -webkit-print-color-adjust: exact; }
%(ratings)s
.claim { border: 1px solid #c9c9c9; border-radius: .3rem; padding: .8rem 1rem;
  margin: 0 0 1rem; break-inside: avoid; }
.claim header { display: flex; gap: .6rem; align-items: baseline; flex-wrap: wrap; }
.claim .num { font: 600 .8rem system-ui, sans-serif; color: #555; }
blockquote { margin: .3rem 0 .6rem; padding: .1rem 0 .1rem .8rem; border-left: 3px solid #999;
  color: #333; font-size: .95rem; }
mark { background: #ffe58a; color: inherit; padding: 0 .1em;
  print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.verdict { margin: .4rem 0; }
.sources { margin: 0; padding-left: 1.1rem; font-size: .92rem; }
.sources li { overflow-wrap: anywhere; }
.stance { font: 600 .72rem system-ui, sans-serif; text-transform: uppercase; color: #444; }
.people, .small { font-size: .8rem; color: #444; margin: .5rem 0 0; }
.article p { margin: 0 0 .7rem; }
.article mark a { color: inherit; text-decoration: none; }
.article sup a { font: 600 .68rem system-ui, sans-serif; text-decoration: none; }
footer { margin-top: 2rem; font-size: .78rem; color: #555; border-top: 1px solid #ccc;
  padding-top: .5rem; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .sources a.ext::after { content: " <" attr(href) ">"; font-size: .75rem; color: #555; }
}
"""


def render_report_html(
    report: PublishedReport,
    *,
    scale: Sequence[str],
    generated_at: datetime,
    paper: str = "A4",
    org_name: str | None = None,
    jsonld: list[dict[str, Any]] | None = None,
) -> str:
    """The whole page. ``jsonld`` (ClaimReview objects) is embedded when given."""
    page_size = PAPERS.get(paper.casefold())
    if page_size is None:
        raise ValueError(f"paper {paper!r}: use A4 or letter")
    style = STYLE % {"paper": page_size, "ratings": _rating_css(scale)}
    head = [
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Fact-check: {esc(report.title)}</title>",
        f"<style>{style}</style>",
    ]
    if jsonld:
        head.append(f'<script type="application/ld+json">\n{script_json(jsonld)}\n</script>')
    body = [
        _header(report, org_name),
        _summary(report, scale),
        _claims(report, scale),
        _article(report, scale),
        "<footer>"
        f"Generated {generated_at:%Y-%m-%d %H:%M} UTC from the fact-check record"
        f"{' of ' + esc(org_name) if org_name else ''}. Only verdicts confirmed by a second "
        "editor, with a rating and a summary, are published here."
        "</footer>",
    ]
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


def _header(report: PublishedReport, org_name: str | None) -> str:
    rows = [("Publisher", esc(report.publisher or "–")), ("Published", _day(report.published))]
    if report.url:
        rows.append(("Link", link(report.url, report.url)))
    meta = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    by = f" by {esc(org_name)}" if org_name else ""
    return (
        f'<header><p class="kicker">Fact-check report{by}</p>'
        f"<h1>{esc(report.title)}</h1>"
        f'<dl class="meta">{meta}</dl></header>'
    )


def _summary(report: PublishedReport, scale: Sequence[str]) -> str:
    counts = Counter(c.rating for c in report.claims)
    order = [*scale, UNVERIFIABLE, *sorted(set(counts) - {*scale, UNVERIFIABLE})]
    rows = "".join(
        f'<tr><td>{_pill(label, scale)}</td><td class="n">{counts.get(label, 0)}</td></tr>'
        for label in order
        if counts.get(label) or label in scale
    )
    n = len(report.claims)
    lead = (
        f"<p>{n} {'claim' if n == 1 else 'claims'} checked and published, of "
        f"{report.claims_in_article} claims the desk found in the article.</p>"
    )
    if not n:
        lead += "<p><em>No verdict on this article has been published yet.</em></p>"
    return (
        '<section class="summary"><h2>Summary</h2>'
        + lead
        + '<table><thead><tr><th>Rating</th><th class="n">Claims</th></tr></thead>'
        + f"<tbody>{rows}</tbody>"
        + f'<tfoot><tr><td>Claims checked</td><td class="n">{n}</td></tr></tfoot></table>'
        + "</section>"
    )


def _claims(report: PublishedReport, scale: Sequence[str]) -> str:
    if not report.claims:
        return ""
    items = "\n".join(_claim(report, c, scale) for c in report.claims)
    return f'<section class="claims"><h2>Claims checked</h2>\n{items}\n</section>'


def _context(text: str, claim: PublishedClaim) -> str:
    """The quote in its paragraph (trimmed around it when long), the quote marked."""
    if not claim.located:
        return f"<mark>{esc(claim.quote)}</mark>"
    start, end = claim.quote_start, claim.quote_end
    p_start = text.rfind("\n", 0, start) + 1
    p_end = text.find("\n", end)
    p_end = len(text) if p_end < 0 else p_end
    before_from = max(p_start, start - CONTEXT_CHARS)
    after_to = min(p_end, end + CONTEXT_CHARS)
    before = ("…" if before_from > p_start else "") + text[before_from:start]
    after = text[end:after_to] + ("…" if after_to < p_end else "")
    return f"{esc(before)}<mark>{esc(text[start:end])}</mark>{esc(after)}"


def _claim(report: PublishedReport, c: PublishedClaim, scale: Sequence[str]) -> str:
    sources = "".join(_source(s) for s in c.sources) or "<li>none listed</li>"
    section = f'<p class="small">Section: {esc(c.section)}</p>' if c.section else ""
    people = [
        f"Reviewed by {esc(c.reviewed_by)} on {_day(c.reviewed_at)}" if c.reviewed_by else None,
        f"verdict confirmed by {esc(c.confirmed_by)} on {_day(c.confirmed_at)}",
        f"rated by {esc(c.rated_by)} on {_day(c.rated_at)}" if c.rated_by else None,
        f"published {_day(c.published_at)}",
    ]
    line = " · ".join(p for p in people if p)
    return (
        f'<article class="claim" id="{claim_anchor(c.id)}">'
        f'<header>{_pill(c.rating, scale)}<span class="num">Claim {c.id}</span></header>'
        f"<h3>{esc(c.claim)}</h3>"
        f"<blockquote>{_context(report.text, c)}</blockquote>{section}"
        f'<p class="verdict"><strong>Our verdict:</strong> {esc(c.verdict_summary)}</p>'
        f'<h4>Sources</h4><ul class="sources">{sources}</ul>'
        f'<p class="people">{line[0].upper() + line[1:]}</p>'
        "</article>"
    )


def _source(s: Any) -> str:
    label = s.title or s.page_title or s.url
    parts = [f'<span class="stance">{esc(s.stance)}</span> {link(label, s.url, cls="ext")}']
    if s.publisher:
        parts.append(f"— {esc(s.publisher)}")
    if s.archived_url and is_http_url(s.archived_url):
        when = f" ({_day(s.archived_at)})" if s.archived_at else ""
        parts.append(f"· {link('archived copy', s.archived_url)}{when}")
    return f"<li>{' '.join(parts)}</li>"


# --- the article text with the checked spans marked ------------------------------------


def _article(report: PublishedReport, scale: Sequence[str]) -> str:
    spans = [c for c in report.claims if c.located]
    paragraphs = []
    offset = 0
    for line in report.text.split("\n"):
        if line.strip():
            paragraphs.append(f"<p>{_marked_line(line, offset, spans)}</p>")
        offset += len(line) + 1
    note = (
        '<p class="small">Marked passages are the claims checked above; the number after '
        "each links to its verdict.</p>"
        if spans
        else ""
    )
    return (
        '<section class="article"><h2>The article, with the checked claims marked</h2>'
        + note
        + "\n".join(paragraphs)
        + "</section>"
    )


def _marked_line(line: str, line_start: int, claims: Sequence[PublishedClaim]) -> str:
    line_end = line_start + len(line)
    inside = [c for c in claims if c.quote_start < line_end and c.quote_end > line_start]
    if not inside:
        return esc(line)
    cuts = {0, len(line)}
    for c in inside:
        cuts.add(max(c.quote_start, line_start) - line_start)
        cuts.add(min(c.quote_end, line_end) - line_start)
    out = []
    for a, b in pairwise(sorted(cuts)):
        piece = line[a:b]
        covering = [
            c for c in inside if c.quote_start <= line_start + a and c.quote_end >= line_start + b
        ]
        if covering:
            first = covering[0]
            out.append(f'<mark><a href="#{claim_anchor(first.id)}">{esc(piece)}</a></mark>')
        else:
            out.append(esc(piece))
        ending = [c.id for c in inside if c.quote_end == line_start + b]
        if ending:
            refs = ", ".join(f'<a href="#{claim_anchor(i)}">{i}</a>' for i in sorted(ending))
            out.append(f"<sup>{refs}</sup>")
    return "".join(out)
