"""Candidate claims from article text. Pure: no database, no network.

The text is split into lines (paragraphs, list items, table rows, headings),
lines into sentences with pysbd (chosen by measuring against a regex splitter
on the annotated seed article: see ``benchmarks/extraction.py``). Every
candidate keeps exact character offsets: ``text[start:end] == quote``.

Each sentence gets a check-worthiness score from transparent signals, with
the reasons listed, and a claim type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

from ..models import ClaimType
from ..vocabulary import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD  # declared there for the CLI
from .text import Outline, is_dateline, is_heading, lines


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    kind: str  # sentence, list_item, table_row, heading, dateline


@dataclass
class Candidate:
    quote: str
    start: int
    end: int
    score: float
    reasons: list[str]
    claim_type: ClaimType
    section: str | None = None
    kind: str = "sentence"


@dataclass(frozen=True)
class Signal:
    name: str
    pattern: re.Pattern[str]
    weight: float
    types: tuple[ClaimType, ...] = field(default_factory=tuple)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_AMOUNT = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SCALE = "billion|million|trillion|thousand|bn|mn"
# "at least", "at most", "at best", "at first" are hedges, not superlatives
_NOT_AFTER_AT = "(?<!\\bat )(?<!\\bat the )"
# "steel supports", "the supports", "CT scans": the same words as nouns
_NOUN_CUES = (
    "the a an its their these those his her our your with on of "
    "steel concrete timber wooden wood metal iron stone structural temporary roof bridge "
    "extra additional new customer technical software long-term CT LED"
)
_NOT_NOUN = "".join(rf"(?<!\b{w} )" for w in _NOUN_CUES.split())
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
SIGNALS: tuple[Signal, ...] = (
    Signal("percentage", _rx(r"\b\d+(?:\.\d+)?\s?%|\bper ?cent\b"), 1.6, (ClaimType.statistic,)),
    Signal(
        "multiplier",
        _rx(r"\b\d+(?:\.\d+)?\s?x\b|\b(?:double|triple|halve)[sd]?\b|\bdoubling\b"),
        1.5,
        (ClaimType.comparison,),
    ),
    Signal(
        "money",
        # the whole amount, so the reason quotes it: "£48 million", "$1.5 billion", "€250,000"
        _rx(
            rf"(?:[$€£]|\b(?:USD|EUR|GBP)\s?){_AMOUNT}(?:\s?(?:{_SCALE}|[mkb])\b)?"
            rf"|\b{_AMOUNT}\s?(?:{_SCALE})\b"
            r"|\b(?:multi|one|two|several)-?(?:billion|million)\b"
        ),
        1.4,
        (ClaimType.statistic,),
    ),
    Signal(
        "quantity",
        _rx(
            r"\b\d[\d,.]*(?:[-–]\d[\d,.]*)?\+?\s?(?:TB/s|GB/s|GB|TB|chips?|weeks?|days?|hours?|"
            r"years?|months?|nodes?|racks?|bit|tokens?|parameters|-bit)\b"
        ),
        1.3,
        (ClaimType.statistic,),
    ),
    Signal("score", _rx(r"\b\d+\s?/\s?\d+\b"), 1.2, (ClaimType.statistic,)),
    Signal("date", _rx(rf"\b(?:19|20)\d\d\b|\b(?:{MONTHS})\b"), 0.5, (ClaimType.event,)),
    Signal(
        "product_version",
        re.compile(rf"\b(?!(?:{MONTHS}|In|By|From|To|Since)\b)[A-Z][A-Za-z]+[- ]?\d+(?:\.\d+)?\b"),
        0.35,
    ),
    # Capitalised words after the first (names of organisations, products,
    # places) and acronyms; the sentence's first word does not count.
    Signal(
        "named_entity",
        re.compile(r"(?<=\S )(?:[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}\w*|[A-Z][a-z]{2,})\b"),
        0.35,
    ),
    Signal(
        "superlative",
        _rx(
            rf"\b{_NOT_AFTER_AT}(?:the )?(?:first|only|largest|biggest|fastest|highest|lowest|"
            r"most|least|best|worst|leading)\b|\bking\b"
        ),
        0.9,
        (ClaimType.comparison,),
    ),
    Signal(
        "comparative",
        _rx(
            r"\b\w+er than\b|\b(?:faster|slower|cheaper|lower|higher|more|less|"
            r"fewer|better|worse|surpass(?:ed|es)?|outperform\w*)\b|\bunlike\b"
        ),
        0.7,
        (ClaimType.comparison,),
    ),
    Signal(
        "attribution",
        _rx(
            r"\breported(?:ly)?\b|\baccording to\b|\bannounce(?:d|ment)\b|"
            r"\bsaid\b|\bconfirmed\b|\brumou?rs?\b|\bsuggests?\b|\bclaims?\b"
        ),
        1.0,
        (ClaimType.attribution,),
    ),
    Signal(
        "trend",
        _rx(
            r"\b(?:slowed|grown|risen|fallen|declined|increased|decreased|surged|"
            r"plunged|doubled|tripled)\b"
        ),
        0.8,
        (ClaimType.statistic,),
    ),
    Signal(
        "causal",
        _rx(
            r"\bbecause\b|\bresult(?:ed|ing)? in\b|\bdue to\b|\bdropped by\b|"
            r"\breduc(?:e|es|ed|ing)\b|\bled to\b|\bleading to\b|\beliminates?\b"
        ),
        0.6,
    ),
    Signal(
        "prediction",
        _rx(r"\bby 20\d\d\b|\bwill\b|\bexpect(?:ed|s)?\b|\bis likely\b|\blikely\b"),
        0.6,
        (ClaimType.prediction,),
    ),
    Signal(
        "capability",
        _rx(
            r"\b(?:can|capable|built (?:specifically )?for|designed to|optimi[sz]ed for|cannot"
            r"|(?:can|to|will|also|not|natively|fully) support)\b"
            # verbs that are also plural nouns count only where they read as verbs
            rf"|\b{_NOT_NOUN}(?:allows?|enables?|supports|provides?|ensures?|includes?|"
            r"underpins|connects|scans|replaces|fuses|strips)\b"
            r"(?!\s+(?:are|were|is|was|have|had|of)\b)"
        ),
        0.6,
        (ClaimType.capability,),
    ),
    Signal(
        "stated_answer",
        re.compile(r"\((?:[A-Z][\w ]+: )?(?:Yes|No|Partially)\b"),
        1.5,
        (ClaimType.capability,),
    ),
    Signal(
        "event_verb",
        _rx(
            r"\b(?:has|have) (?:\w+ )?(?:moved|integrated|expanded|secured|"
            r"standardized|built|implemented|achieved|partnered|adopted)\b|"
            r"\b(?:launched|acquired|signed|built|moved)\b"
        ),
        0.6,
        (ClaimType.event,),
    ),
    Signal(
        "definition",
        _rx(r"\bcodenamed\b|\bis an?\b|\bdefined as\b|\bknown as\b"),
        0.25,
        (ClaimType.definition,),
    ),
    Signal("law_or_region", _rx(r"\b(?:Act|law|regulation|region|mandate)\b"), 0.5),
)
NEGATIVE: tuple[Signal, ...] = (
    Signal(
        "opinion",
        _rx(
            r"\b(?:we believe|we think|we argue|in our view|arguably|perhaps|"
            r"ultimate|double-edged|the battle|no longer just|story about|"
            r"survival (?:strategy|metric)|the question is)\b"
        ),
        -1.0,
    ),
    Signal(
        "advice",
        _rx(
            r"^(?:use|deploy|always|avoid|prioriti[sz]e|consider|keep|make sure|"
            r"if you are|here is how)\b|\byou should\b"
        ),
        -2.0,
    ),
    Signal("first_person", _rx(r"\b(?:we|our|us|you|your)\b"), -0.7),
    Signal(
        "rhetoric",
        _rx(
            r"\b(?:not just|no longer just|double-edged|on (?:one|the other) hand|"
            r"in a world of|the question is|until then|story about|the battle for|"
            r"is a burden|the ultimate|the secret weapon|game in town)\b"
        ),
        -1.2,
    ),
    Signal("hypothetical", _rx(r"^if\b|\bwould be\b|\bcould\b"), -0.6),
)
BIAS = -0.9  # with no signal at all a sentence scores about 0.29


@cache
def _segmenter() -> object:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _pysbd_spans(line: str) -> Iterator[tuple[int, int]]:
    for span in _segmenter().segment(line):  # type: ignore[attr-defined]
        yield span.start, span.end


_REGEX_SENT = re.compile(r"[^.!?]+(?:[.!?]+[”\"’)]*|$)")


def _regex_spans(line: str) -> Iterator[tuple[int, int]]:
    for m in _REGEX_SENT.finditer(line):
        yield m.start(), m.end()


SEGMENTERS: dict[str, Callable[[str], Iterator[tuple[int, int]]]] = {
    "pysbd": _pysbd_spans,
    "regex": _regex_spans,
}


def sentences(text: str, segmenter: str = "pysbd") -> list[Sentence]:
    """Every sentence, list item, table row and heading, with exact offsets."""
    split = SEGMENTERS[segmenter]
    out: list[Sentence] = []
    for line in lines(text):
        raw = line.text
        if not raw.strip():
            continue
        if is_heading(raw):
            out.append(_trimmed(text, line.start, line.end, "heading"))
            continue
        if is_dateline(raw):
            out.append(_trimmed(text, line.start, line.end, "dateline"))
            continue
        if raw.lstrip().startswith("|"):
            if not re.fullmatch(r"[\s|:-]+", raw):  # skip |---|---| rules
                out.append(_trimmed(text, line.start, line.end, "table_row"))
            continue
        kind = "list_item" if raw.lstrip().startswith(("- ", "* ")) else "sentence"
        body_offset = 0
        if kind == "list_item":
            body_offset = len(raw) - len(raw.lstrip()) + 2
        pieces: list[Sentence] = []
        for a, b in split(raw[body_offset:]):
            s = _trimmed(text, line.start + body_offset + a, line.start + body_offset + b, kind)
            if not s.text:
                continue
            if pieces and _PARENTHETICAL.fullmatch(s.text):
                # "(Trainium: Yes)" answers the sentence before it: keep them together
                prev = pieces.pop()
                s = Sentence(prev.start, s.end, text[prev.start : s.end], kind)
            pieces.append(s)
        out.extend(pieces)
    return out


_PARENTHETICAL = re.compile(r"\([^()]*\)[.!?]?")


def _trimmed(text: str, start: int, end: int, kind: str) -> Sentence:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    trail = len(chunk) - len(chunk.rstrip())
    start, end = start + lead, end - trail
    return Sentence(start, end, text[start:end], kind)


def is_question(sentence: str) -> bool:
    return sentence.rstrip("”’\"') ").endswith("?")


def score_sentence(sentence: Sentence) -> tuple[float, list[str], ClaimType]:
    """Check-worthiness in 0..1, the reasons behind it, and a claim type."""
    text = sentence.text
    if sentence.kind in ("heading", "dateline"):
        return 0.0, [sentence.kind], ClaimType.other
    if is_question(text):
        return 0.0, ["question"], ClaimType.other
    body = re.sub(r"^[A-Z][\w\s/-]{2,40}:\s", "", text)  # drop "The Problem: " style labels
    total = BIAS
    reasons: list[str] = []
    votes: dict[ClaimType, float] = {}
    for signal in SIGNALS + NEGATIVE:
        found = signal.pattern.findall(body)
        if not found:
            continue
        hits = [f if isinstance(f, str) else next(x for x in f if x) for f in found]
        weight = (
            signal.weight * (1 + 0.25 * min(len(hits) - 1, 2))
            if signal.weight > 0
            else signal.weight
        )
        total += weight
        shown = ", ".join(dict.fromkeys(h.strip() for h in hits))[:60]
        reasons.append(f"{signal.name}: {shown}" if signal.weight > 0 else f"{signal.name} (−)")
        for t in signal.types:
            votes[t] = votes.get(t, 0.0) + signal.weight
    words = re.findall(r"[A-Za-z][\w’'-]*", body)
    capitalised = sum(w[0].isupper() for w in words)
    if sentence.kind != "table_row" and len(words) >= 4 and capitalised / len(words) > 0.6:
        total -= 1.5
        reasons.append("reads as a title (−)")
    cells = [c.strip() for c in body.strip("|").split("|")]
    if sentence.kind == "table_row" and not any(re.match(r"[\d.]+\s*[x%]?", c) for c in cells):
        total -= 1.5
        reasons.append("table header (−)")
    if len(body.split()) < 5:
        total -= 1.0
        reasons.append("very short (−)")
    if sentence.kind == "table_row" and re.search(r"\d", body):
        total += 0.8
        reasons.append("table row with figures")
    score = 1 / (1 + math.exp(-total))
    return round(score, 3), reasons, _claim_type(votes)


def _claim_type(votes: dict[ClaimType, float]) -> ClaimType:
    if not votes:
        return ClaimType.other
    # attribution and prediction are what a checker must know first
    for priority in (ClaimType.prediction, ClaimType.attribution):
        if votes.get(priority, 0) >= 0.6:
            return priority
    return max(votes.items(), key=lambda kv: kv[1])[0]


def extract_candidates(text: str, *, segmenter: str = "pysbd") -> list[Candidate]:
    """Every sentence as a scored candidate (headings and questions score 0)."""
    outline = Outline(text)
    out = []
    for s in sentences(text, segmenter):
        score, reasons, ctype = score_sentence(s)
        out.append(
            Candidate(
                s.text, s.start, s.end, score, reasons, ctype, outline.section_at(s.start), s.kind
            )
        )
    return out
