"""Places where an article disagrees with itself. Pure: text in, warnings out.

- section numbering that jumps or repeats (a "Part 7" whose subsections are 6.x);
- percentages and multipliers about the same metric that cannot both hold
  ("40% lower cost" beside "1.4x performance per dollar": 1/0.6 = 1.67x);
- the same metric given two different figures ("30% lower power" vs "0.7x power");
- lists of percentages meant as a whole (weights, shares) that do not sum to 100.

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


def _place(text: str, start: int, end: int) -> Place:
    return Place(start, end, text[start:end])


def check(text: str) -> list[Warning]:
    return [*_numbering(text), *_percent_vs_multiplier(text), *_weights(text)]


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
            if abs(total - 100) > 0.5:
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
