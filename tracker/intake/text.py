"""Pure helpers on article text: headings, sections and paragraphs.

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


def is_heading(line: str) -> bool:
    """A short line that reads as a title rather than a sentence or list item."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("- ", "* ", "|", "> ")):
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
        return self.headings[index].text.strip().lstrip("#").strip() if index >= 0 else None


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the line(s) (paragraphs are lines here) holding ``start:end``."""
    p_start = text.rfind("\n", 0, start) + 1
    p_end = text.find("\n", end)
    return p_start, len(text) if p_end < 0 else p_end
