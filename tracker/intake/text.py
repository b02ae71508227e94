"""Pure helpers on article text: headings, datelines, sections and paragraphs.

Offsets are Python string indices (code points) into the stored text, the
same unit as a claim's ``quote_start``/``quote_end``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_NUMBERED = re.compile(r"^(?:#{1,6}\s+|(?:Part|Chapter|Section)\s+\d+\b|\d+(?:\.\d+)+\s)")
_TERMINAL = (".", "!", "?", ";", ",", ":", "…")
_CLOSERS = "”’\"')]»"
_SENTENCE_BREAK = re.compile(r"[.!?][”’\"')]*\s+[A-Z0-9“\"]")
_ATX = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)")
_ATX_CLOSE = re.compile(r"\s+#+\s*$")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"  # 14 March 2025
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 14, 2025
    r"|\d{4}-\d{2}-\d{2}(?:T[\d:]+Z?)?"  # 2025-03-14
    r"|\d{1,2}/\d{1,2}/\d{2,4})"  # 14/03/2025
)
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?"
_TIME = r"\d{1,2}[:.]\d{2}(?:\s?[ap]\.?m\.?)?(?:\s?\(?[A-Z]{2,5}\)?)?"  # 10:00 BST
_HAS_DATE = re.compile(rf"\b{_DATE}", re.IGNORECASE)
_ONLY_DATE = re.compile(
    rf"(?:{_WEEKDAY}\s+)?{_DATE}(?:,?\s*(?:at\s+)?{_TIME})?|{_TIME},?\s+{_DATE}", re.IGNORECASE
)
# "Published 14 March 2025", "Updated: 3 May 2024 10:00 BST", "Last modified on ..."
_DATELINE = re.compile(
    r"^(?:(?:first|last|originally)\s+)?(?:published|updated|posted|modified|revised|"
    r"written|dated?)\b(?:\s+on)?\s*:?\s*",
    re.IGNORECASE,
)
# "By Jane Doe", "By Jane Doe | 14 March 2025", "By Jane Doe, Reuters"
_BYLINE = re.compile(
    r"^(?:(?:Written|Posted|Published|Reporting|Words)\s+)?[Bb]y\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|der|da|al-\w+)){0,4}"
    r"\s*(?:$|[|·•,–—-]|\band\s+[A-Z])"
)
_SEPARATOR = re.compile(r"\s[|·•]\s")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # exclusive, before the newline
    text: str


def lines(text: str) -> list[Line]:
    out: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        out.append(Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def heading_text(line: str) -> str:
    """A heading without its Markdown markers: ``"## Part 1 ##"`` -> ``"Part 1"``."""
    text = line.strip()
    if _ATX.match(text):
        text = _ATX_CLOSE.sub("", _ATX.sub("", text, count=1))
        text = "" if re.fullmatch(r"#+", text) else text
    return text.strip()


def is_dateline(line: str) -> bool:
    """A publication date or byline ("Published 14 March 2025", "By Jane Doe | ...").

    Such lines look like titles (short, no full stop) but name no section.
    """
    text = heading_text(line).strip("*_ ")
    bare = text.rstrip(_CLOSERS)
    if not text or len(text.split()) > 20 or bare.endswith((".", "!", "?")):
        return False
    if _BYLINE.match(text) or _ONLY_DATE.fullmatch(text):
        return True
    if (m := _DATELINE.match(text)) and (
        m.group().rstrip().endswith(":") or _HAS_DATE.search(text) or _CLOCK.search(text)
    ):
        return True
    # "Jane Doe | 14 March 2025", "Reuters · 3 May 2024 10:00 BST"
    return bool(_SEPARATOR.search(text) and _HAS_DATE.search(text))


def is_heading(line: str) -> bool:
    """A short line that reads as a title rather than a sentence, list item or dateline."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("- ", "* ", "|", "> ")):
        return False
    if is_dateline(stripped):
        return False
    if _NUMBERED.match(stripped):
        return len(stripped) <= 160
    if _SENTENCE_BREAK.search(stripped):
        return False  # two sentences are a paragraph, not a title
    words = stripped.split()
    bare = stripped.rstrip(_CLOSERS) or stripped
    return len(stripped) <= 120 and len(words) <= 18 and not bare.endswith(_TERMINAL)


class Outline:
    """Headings of one text, for looking up the section around an offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.headings = [ln for ln in lines(text) if is_heading(ln.text)]
        self._starts = [h.start for h in self.headings]

    def section_at(self, offset: int) -> str | None:
        index = bisect.bisect_right(self._starts, offset) - 1
        return heading_text(self.headings[index].text) if index >= 0 else None


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the line(s) (paragraphs are lines here) holding ``start:end``."""
    p_start = text.rfind("\n", 0, start) + 1
    p_end = text.find("\n", end)
    return p_start, len(text) if p_end < 0 else p_end


def nearest_occurrence(text: str, quote: str, near: int, shifts: list[int]) -> int | None:
    """Where ``quote`` occurs in ``text`` nearest to ``near`` (the earlier of two as near),
    or None if nowhere; occurrences as ``re.finditer`` finds them (not overlapping).

    ``shifts``: moves that earlier quotes of the same revision made (this call
    adds its own). Most quotes of a revised text moved as their neighbours did,
    so those moves are tried first, each confirmed by a search no wider than the
    move: the whole text is searched only for the other quotes, so re-anchoring
    every claim of a long article costs about its length, not claims x length.
    """
    if quote and not _overlaps_itself(quote):
        for shift in reversed(shifts[-4:]):
            at = near + shift
            if at < 0 or not text.startswith(quote, at):
                continue
            if shift == 0:
                return at
            # an occurrence nearer, or as near and earlier, would be the one
            lo = max(0, near - shift if shift > 0 else near + shift + 1)
            hi = near + abs(shift) - 1  # the last start that could win
            if text.find(quote, lo, hi + len(quote)) < 0:
                return at
            break
    positions = [m.start() for m in re.finditer(re.escape(quote), text)]
    if not positions:
        return None
    best = min(positions, key=lambda p: abs(p - near))
    if best - near not in shifts[-4:]:
        shifts.append(best - near)
    return best


def _overlaps_itself(quote: str) -> bool:
    """Whether two occurrences of ``quote`` can overlap ("a-a" in "a-a-a")."""
    first = quote[0]
    return any(quote.startswith(quote[i:]) for i in range(1, len(quote)) if quote[i] == first)
