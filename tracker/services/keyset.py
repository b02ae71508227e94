"""A set of keys that holds 16 bytes a key: what a long import has already seen.

The mapped import skips a row whose (claim, claimant, date) the article already
has or an earlier row of the file added (#13). A Python ``set`` of those tuples
keeps every claim's text alive: about 200 bytes a row, 240 MB of a 1,000,000-row
import's 341 MB peak (#10). :class:`KeySet` keeps a 128-bit BLAKE2b digest of
each key instead, in two sorted ``uint64`` arrays (the digest's halves), plus a
small Python set of the newest digests that is merged into the arrays every
:data:`MERGE_EVERY` additions: 16 MB for a million keys.

Two different keys share a digest with a probability of about n²/2¹²⁹
(3·10⁻²⁷ for a million keys): the import would skip the second as already
there. That is far below any other cause of a lost row, so no key is kept to
compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable
from typing import Any

MERGE_EVERY = 65_536  # digests held in the Python set before they join the arrays


def digest(key: Hashable) -> bytes:
    """The key's 16-byte digest; ``repr`` spells str, None, date and tuples of them alike
    on every run."""
    return hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=16).digest()


class KeySet:
    """Membership and addition of hashable keys whose ``repr`` identifies them."""

    def __init__(self, keys: Iterable[Hashable] = ()) -> None:
        import numpy as np

        self._np = np
        self._hi: Any = np.empty(0, dtype=np.uint64)  # sorted by (hi, lo)
        self._lo: Any = np.empty(0, dtype=np.uint64)
        self._recent: set[bytes] = set()
        for key in keys:
            self.add(key)

    def __len__(self) -> int:
        return len(self._hi) + len(self._recent)

    def __contains__(self, key: Hashable) -> bool:
        return self._has(digest(key))

    def add(self, key: Hashable) -> None:
        d = digest(key)
        if self._has(d):
            return
        self._recent.add(d)
        if len(self._recent) >= MERGE_EVERY:
            self._merge()

    def _has(self, d: bytes) -> bool:
        if d in self._recent:
            return True
        np = self._np
        hi, lo = (np.uint64(half) for half in _halves(d))
        start = int(np.searchsorted(self._hi, hi, side="left"))
        end = int(np.searchsorted(self._hi, hi, side="right"))
        return bool(start < end and (self._lo[start:end] == lo).any())

    def _merge(self) -> None:
        np = self._np
        halves = [_halves(d) for d in self._recent]
        hi = np.concatenate([self._hi, np.fromiter((h for h, _ in halves), np.uint64)])
        lo = np.concatenate([self._lo, np.fromiter((lo for _, lo in halves), np.uint64)])
        order = np.lexsort((lo, hi))  # by hi, then lo
        self._hi, self._lo = hi[order], lo[order]
        self._recent = set()


def _halves(d: bytes) -> tuple[int, int]:
    return int.from_bytes(d[:8], "big"), int.from_bytes(d[8:], "big")
