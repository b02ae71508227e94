"""Which earlier quotes a new quote may repeat, without comparing it with every one.

The duplicate rule (:func:`tracker.services.claims.duplicate_of`) asks, for each
new quote, for the first earlier quote that overlaps it, else the first that
reads the same: rapidfuzz's token-set ratio of at least a cutoff (90) with no
figure changed. Asked of all earlier quotes, an article of n sentences costs
n²/2 comparisons (a 5 MB article: 700 million). This index answers with the
same quote while scoring only the few earlier quotes that can reach the
cutoff; the caller scores those, in order, with the real rule.

Why the few are enough. The token-set ratio compares token *sets* (split on
whitespace): shared tokens I, tokens only in the new quote A, only in the
earlier one B. It is 100 when one set holds the other; otherwise the best of

- ``sect`` vs ``sect + A``: reaches 90 only if A's tokens weigh (characters
  and a space each) under 2/11 of the new quote's; so the earlier quote holds
  one of the new quote's rarest tokens that weigh over a fifth of it
  (its *prefix*: looked up in an index of every earlier quote's tokens);
- ``sect`` vs ``sect + B``: the same the other way round (the new quote holds
  one of the earlier quote's prefix tokens: an index of prefixes);
- ``sect + A`` vs ``sect + B``: reaches 90 when the quotes differ in a few
  characters spread over their tokens ("said," / "said"), so the same two
  lookups are made on tokens lower-cased and stripped of punctuation; and
  quotes of at most three tokens (a bare URL), which may share no token at
  all, are compared through their character pairs: an Indel distance d leaves
  at least ``max(len) - 1 - 2d`` pairs in common, at least 0.6 of either's at
  90, so two such quotes share one of each other's rarest 40% of pairs.

Rare tokens ("£48m", "Yukos", a name) come first in the prefixes, so an
index lookup meets a handful of quotes, and the work grows with the
article's length rather than its square. Overlaps are found through the
spans sorted by start: only spans starting within the longest span's length
before the new one's start can reach it.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable

_PREFIX_WEIGHT = 0.2  # over 2/11 (~0.18): a little slack for the float arithmetic
_SHORT_TOKENS = 3
_PUNCTUATION = re.compile(r"[\W_]+")


def _tokens(quote: str) -> set[str]:
    return set(quote.split())


def _normalised(tokens: Iterable[str]) -> set[str]:
    return {n for n in (_PUNCTUATION.sub("", t.lower()) for t in tokens) if n}


class RepeatIndex:
    """Earlier quotes ``(start, end, quote)`` by position, for :meth:`overlapping` and
    :meth:`similar`. ``vocabulary``: the texts whose token counts rank rarity (the
    article's quotes); a token it lacks counts as rarest. Pure."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self._df: Counter[str] = Counter()
        self._ndf: Counter[str] = Counter()
        self._pdf: Counter[tuple[str, int]] = Counter()
        for text in vocabulary:
            tokens = _tokens(text)
            self._df.update(tokens)
            self._ndf.update(_normalised(tokens))
            if len(tokens) <= _SHORT_TOKENS:
                self._pdf.update(_pairs(tokens))
        self._spans: list[tuple[int, int, int]] = []  # (start, end, position), by start
        self._longest = 0
        self._by_token: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        self._by_norm: dict[str, list[int]] = {}
        self._by_norm_prefix: dict[str, list[int]] = {}
        self._by_pair: dict[tuple[str, int], list[int]] = {}  # of short quotes
        self.size = 0
        self.looked_at = 0  # quotes offered for scoring so far: the work, for tests

    def add(self, quote: str, start: int, end: int) -> None:
        """The next earlier quote (its position is the number added before it)."""
        position = self.size
        self.size += 1
        bisect.insort(self._spans, (start, end, position))
        self._longest = max(self._longest, end - start)
        tokens = _tokens(quote)
        norm = _normalised(tokens)
        for token in tokens:
            self._by_token.setdefault(token, []).append(position)
        for token in self._prefix(tokens, self._df):
            self._by_prefix.setdefault(token, []).append(position)
        for token in norm:
            self._by_norm.setdefault(token, []).append(position)
        for token in self._prefix(norm, self._ndf):
            self._by_norm_prefix.setdefault(token, []).append(position)
        if len(tokens) <= _SHORT_TOKENS:
            for pair in self._pair_prefix(tokens):
                self._by_pair.setdefault(pair, []).append(position)

    def overlapping(self, start: int, end: int) -> int | None:
        """The first (by position) earlier span that overlaps ``start:end``, if any."""
        hi = bisect.bisect_left(self._spans, (end, -1, -1))  # spans starting before end
        lo = bisect.bisect_left(self._spans, (start - self._longest, -1, -1))
        hits = [p for s, e, p in self._spans[lo:hi] if s < end and start < e]
        return min(hits) if hits else None

    def similar(self, quote: str) -> list[int]:
        """Positions of the earlier quotes that may score the cutoff against ``quote``,
        in order: every one that can is among them."""
        tokens = _tokens(quote)
        norm = _normalised(tokens)
        found: set[int] = set()
        for token in self._prefix(tokens, self._df):
            found.update(self._by_token.get(token, ()))
        for token in tokens:
            found.update(self._by_prefix.get(token, ()))
        for token in self._prefix(norm, self._ndf):
            found.update(self._by_norm.get(token, ()))
        for token in norm:
            found.update(self._by_norm_prefix.get(token, ()))
        if len(tokens) <= _SHORT_TOKENS:
            for pair in self._pair_prefix(tokens):
                found.update(self._by_pair.get(pair, ()))
        self.looked_at += len(found)
        return sorted(found)

    def _pair_prefix(self, tokens: set[str]) -> list[tuple[str, int]]:
        """The rarest character pairs of a short quote's token set that another
        within the cutoff must share one of (all of them for a very short one)."""
        pairs = _pairs(tokens)
        length = len(pairs) + 1  # of the tokens joined, as the ratio compares them
        needed = int(0.6 * length) - 2  # 0.6 * length - 1, less one for rounding
        ranked = sorted(pairs, key=lambda p: (self._pdf[p], p))
        return ranked if needed < 1 else ranked[: len(pairs) - needed + 1]

    @staticmethod
    def _prefix(tokens: set[str], df: Counter[str]) -> list[str]:
        """The rarest tokens, until they weigh over a fifth of all of them."""
        if not tokens:
            return []
        ranked = sorted(tokens, key=lambda t: (df[t], t))
        total = sum(len(t) + 1 for t in ranked)
        taken, weight = [], 0
        for token in ranked:
            taken.append(token)
            weight += len(token) + 1
            if weight > _PREFIX_WEIGHT * total:
                break
        return taken


def _pairs(tokens: set[str]) -> list[tuple[str, int]]:
    """The character pairs of the sorted tokens joined, each numbered by its occurrence
    (a multiset as a set)."""
    joined = " ".join(sorted(tokens))
    seen: Counter[str] = Counter()
    out = []
    for i in range(len(joined) - 1):
        pair = joined[i : i + 2]
        seen[pair] += 1
        out.append((pair, seen[pair]))
    return out
