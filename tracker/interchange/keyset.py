"""A set of keys that holds 16 bytes a key: what a long import has already seen.

The mapped import skips a row whose (claim, claimant, date) the article already
has or an earlier row of the file added (#13). A Python ``set`` of those tuples
kept every claim's text alive, about 200 bytes a row (#10). :class:`KeySet`
keeps a 128-bit BLAKE2b digest of each key instead, in two sorted ``uint64``
arrays (the digest's halves), plus a Python set of the newest digests that is
merged into the arrays every :data:`MERGE_EVERY` additions. A million keys take
16 MB in the arrays, up to about 6 MB in the recent set, and about 40 MB more
for the moment of a merge (each merge sorts the whole array again: fine at a
million keys, to be revisited at tens of millions).

Keys are identified by their ``repr``: right for tuples of ``str``, ``None``
and ``datetime.date`` (the import's keys), where equal ``repr`` means equal
keys and the reverse. Not for keys where ``==`` and ``repr`` disagree (``1``
and ``1.0``, a ``date`` and a ``datetime``, ``str`` subclasses).

Two different keys share a digest with a probability of about n²/2¹²⁹
(1.5·10⁻²⁷ for a million keys): the import would skip the second as already
there. That is far below any other cause of a lost row, so no key is kept to
compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

MERGE_EVERY = 65_536  # digests held in the Python set before they join the arrays

Key = tuple[Any, ...]


def digest(key: Key) -> bytes:
    """The key's 16-byte digest: the same in every process (not Python's salted hash)."""
    return hashlib.blake2b(repr(key).encode("utf-8"), digest_size=16).digest()


class KeySet:
    """Membership and addition of keys (see the module's note on what a key may hold)."""

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        # numpy is imported here, not at the top: `tracker --help` and the other
        # commands import this package without paying for it (#10)
        import numpy as np

        self._np = np
        self._hi: Any = np.empty(0, dtype=np.uint64)  # sorted by (hi, lo)
        self._lo: Any = np.empty(0, dtype=np.uint64)
        self._recent: set[bytes] = set()
        for key in keys:
            self.add(key)

    def __len__(self) -> int:
        return len(self._hi) + len(self._recent)

    def __contains__(self, key: Key) -> bool:
        return self._has(digest(key))

    def add(self, key: Key) -> bool:
        """Add ``key``; False if it was already there."""
        d = digest(key)
        if self._has(d):
            return False
        self._recent.add(d)
        if len(self._recent) >= MERGE_EVERY:
            self._merge()
        return True

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
