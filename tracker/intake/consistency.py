"""Places where an article disagrees with itself. Pure: text in, warnings out.

- section numbering that jumps or repeats (a "Part 7" whose subsections are 6.x);
- percentages and multipliers about the same metric that cannot both hold
  ("40% lower cost" beside "1.4x performance per dollar": 1/0.6 = 1.67x);
- the same metric given two different figures ("30% lower power" vs "0.7x power");
- lists of percentages meant as a whole (weights, shares) that do not sum to 100:
  list items that each carry one "(N%)", or an enumeration in one sentence
  ("split 60%, 30% and 20%").

Every warning names both places (character spans) and shows the arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import is_heading, lines


@dataclass(frozen=True)
class Place:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Warning:
    kind: str
    message: str
    places: tuple[Place, ...]

    def touches(self, start: int, end: int) -> bool:
        return any(p.start < end and start < p.end for p in self.places)


_PART = re.compile(r"^(?:#+\s*)?(?:Part|Chapter|Section)\s+(\d+)\b", re.IGNORECASE)
_SUB = re.compile(r"^(?:#+\s*)?(\d+)\.(\d+)\s")
_LOWER_PCT = re.compile(
    r"(\d+(?:\.\d+)?)%\s+(lower|less|cheaper|reduced|smaller|higher|more|faster|greater)\s+"
    r"((?:[\w-]+\s+){0,4}?(?:cost|TCO|Total Cost of Ownership|power|energy|consumption|"
    r"price|latency|CO2|emissions|speed|throughput))",
    re.IGNORECASE,
)
_MULT = re.compile(
    r"(Performance per Dollar|Power Consumption|Cost|Price|Energy|Throughput|Speed)"
    r"[^\n|]*\|\s*(\d+(?:\.\d+)?)x",
    re.IGNORECASE,
)
_WEIGHT = re.compile(r"\((\d+(?:\.\d+)?)%\)")
ROUNDING = 1.0  # percentages rounded to whole numbers may total 99 or 101

_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:%|per ?cent\b)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?:[^.!?]|[.!?](?=\d))+(?:[.!?]+|$)")  # "1.5%" ends no sentence
# between two items of an enumeration: a comma, "and" or "or", and a few label words
# ("60% cloud, 30% devices"), but no other figure and no clause break
_JOINER = re.compile(r"[^\d%.;:!?]{0,40}")
_JOINS = re.compile(r",|\b(?:and|or)\b|&", re.IGNORECASE)
# shares of one whole, listed in full: they must total 100
_WHOLE = re.compile(
    r"\b(?:split|splits|breakdown|broken down|divided|allocat\w+|weight(?:s|ed|ing)?|"
    r"distribut\w+)\b",
    re.IGNORECASE,
)
# shares of one whole, maybe not all of them: they cannot exceed 100
_SHARES = re.compile(
    r"\b(?:shares?|of which|respectively|accounts? for|accounted for|makes? up|made up|"
    r"compris\w+|consists? of|portions?|proportions?|of the total|of total)\b",
    re.IGNORECASE,
)
# percentages that are changes or rates, not parts of a whole
_NOT_SHARES = re.compile(
    r"\b(?:grew|grow(?:s|n|th)?|rose|risen|rises?|fell|fallen|falls?|increas\w+|decreas\w+|"
    r"declin\w+|dropp?\w*|gain\w*|jump\w*|surg\w+|climb\w*|up|down|faster|slower|cheaper|"
    r"higher|lower|improv\w+|year-on-year|annual\w*|rates?|margins?|discounts?|interest|"
    r"scor\w+|accuracy|efficiency|utili[sz]ation|probability|chance|likelihood|confidence|"
    r"approval|turnout)\b",
    re.IGNORECASE,
)


def _place(text: str, start: int, end: int) -> Place:
    return Place(start, end, text[start:end])


def check(text: str) -> list[Warning]:
    return [
        *_numbering(text),
        *_percent_vs_multiplier(text),
        *_weights(text),
        *_prose_shares(text),
    ]


def _numbering(text: str) -> list[Warning]:
    out: list[Warning] = []
    part: tuple[int, int, int] | None = None  # (number, start, end)
    seen: dict[tuple[int, int], tuple[int, int]] = {}
    for line in lines(text):
        if not is_heading(line.text):
            continue
        if m := _PART.match(line.text.strip()):
            number = int(m.group(1))
            if part and number != part[0] + 1:
                out.append(
                    Warning(
                        "numbering",
                        f"part {number} follows part {part[0]}; expected {part[0] + 1}",
                        (_place(text, part[1], part[2]), _place(text, line.start, line.end)),
                    )
                )
            part = (number, line.start, line.end)
        elif (m := _SUB.match(line.text.strip())) and part:
            major, minor = int(m.group(1)), int(m.group(2))
            if major != part[0]:
                out.append(
                    Warning(
                        "numbering",
                        f"subsection {major}.{minor} sits under part {part[0]}; expected "
                        f"{part[0]}.{minor}",
                        (_place(text, part[1], part[2]), _place(text, line.start, line.end)),
                    )
                )
            if (major, minor) in seen:
                first = seen[(major, minor)]
                out.append(
                    Warning(
                        "numbering",
                        f"section number {major}.{minor} is used twice",
                        (_place(text, *first), _place(text, line.start, line.end)),
                    )
                )
            seen[(major, minor)] = (line.start, line.end)
    return out


def _metric_key(words: str) -> str:
    w = words.lower()
    if any(k in w for k in ("cost", "tco", "price", "dollar")):
        return "cost"
    if any(k in w for k in ("power", "energy", "consumption")):
        return "power"
    return w.split()[-1]


def _percent_vs_multiplier(text: str) -> list[Warning]:
    out: list[Warning] = []
    multipliers = [(m, _metric_key(m.group(1)), float(m.group(2))) for m in _MULT.finditer(text)]
    for p in _LOWER_PCT.finditer(text):
        pct, direction, metric = float(p.group(1)), p.group(2).lower(), _metric_key(p.group(3))
        if direction not in ("lower", "less", "cheaper", "reduced", "smaller"):
            continue
        for m, key, factor in multipliers:
            if key != metric:
                continue
            if metric == "cost":
                # x% lower cost for the same work = 1/(1-x) performance per dollar
                implied = 1 / (1 - pct / 100)
                if abs(implied - factor) / factor > 0.05:
                    out.append(
                        Warning(
                            "figures",
                            f"{pct:g}% lower cost implies {implied:.2f}x performance per dollar "
                            f"(1/{1 - pct / 100:g} = {implied:.2f}), but the article also gives "
                            f"{factor:g}x; {factor:g}x would mean {100 * (1 - 1 / factor):.0f}% "
                            "lower cost",
                            (_place(text, p.start(), p.end()), _place(text, m.start(), m.end())),
                        )
                    )
            else:
                implied = 1 - pct / 100
                if abs(implied - factor) > 0.02:
                    out.append(
                        Warning(
                            "figures",
                            f"{pct:g}% lower {metric} means {implied:.2f}x, but the article also "
                            f"gives {factor:g}x",
                            (_place(text, p.start(), p.end()), _place(text, m.start(), m.end())),
                        )
                    )
    return out


def _weights(text: str) -> list[Warning]:
    """Runs of consecutive list items that each carry one '(N%)': they should total 100."""
    out: list[Warning] = []
    run: list[tuple[float, int, int]] = []

    def close() -> None:
        if len(run) >= 3:
            total = sum(v for v, _, _ in run)
            if abs(total - 100) > ROUNDING:
                parts = " + ".join(f"{v:g}" for v, _, _ in run)
                out.append(
                    Warning(
                        "total",
                        f"the weights in this list add up to {parts} = {total:g}%, not 100%",
                        (_place(text, run[0][1], run[0][2]), _place(text, run[-1][1], run[-1][2])),
                    )
                )
        run.clear()

    for line in lines(text):
        stripped = line.text.strip()
        found = _WEIGHT.findall(stripped)
        if stripped.startswith(("- ", "* ")) and len(found) == 1:
            run.append((float(found[0]), line.start, line.end))
        elif stripped:
            close()
    close()
    return out


def _enumerations(sentence: str) -> list[list[re.Match[str]]]:
    """Runs of three or more percentages listed one after another ("60%, 30% and 20%")."""
    runs: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for m in _PERCENT.finditer(sentence):
        gap = sentence[run[-1].end() : m.start()] if run else ""
        if run and _JOINER.fullmatch(gap) and _JOINS.search(gap):
            run.append(m)
            continue
        if len(run) >= 3:
            runs.append(run)
        run = [m]
    if len(run) >= 3:
        runs.append(run)
    return runs


def _prose_shares(text: str) -> list[Warning]:
    """Percentages enumerated in one sentence as shares of a whole that do not total 100.

    A "split"/"breakdown" must total 100; a "share"/"of which"/"respectively" list
    may leave some out but cannot exceed 100. Growth, rates and scores are not shares.
    """
    out: list[Warning] = []
    for line in lines(text):
        stripped = line.text.strip()
        if not stripped or stripped.startswith("|") or is_heading(line.text):
            continue
        for sm in _SENTENCE.finditer(line.text):
            sentence = sm.group()
            for run in _enumerations(sentence):
                values = [float(m.group(1)) for m in run]
                total = sum(values)
                if abs(total - 100) <= ROUNDING:
                    continue
                whole = _WHOLE.search(sentence) is not None
                shares = _SHARES.search(sentence) and not _NOT_SHARES.search(sentence)
                if not (whole or (shares and total > 100)):
                    continue
                parts = " + ".join(f"{v:g}" for v in values)
                start = line.start + sm.start() + run[0].start()
                end = line.start + sm.start() + run[-1].end()
                out.append(
                    Warning(
                        "total",
                        f"the shares in this sentence add up to {parts} = {total:g}%, not 100%",
                        (_place(text, start, end),),
                    )
                )
    return out
