"""Pure hybrid retrieval: BM25 (bm25s) fused with cosine similarity of sentence vectors.

A :class:`Part` indexes one collection (the reference library, the desk's
reviewed claims, or a small delta of either). :func:`fuse` combines parts:

    score = ALPHA * bm25 / max_bm25 + (1 - ALPHA) * cosine

where ``max_bm25`` is the best BM25 score of the query over all parts (so a
document with every query word scores 1 on the lexical side) and ``cosine``
is in [-1, 1]. ``ALPHA`` was chosen on CLEF-2020 *train* queries only
(``benchmarks/claim_matching.py --tune``); dev figures are in the README.

Speed at a million documents: the full 256-dim matrix is never multiplied per
query. Each part keeps, besides its float16 vectors, a contiguous float32
copy of their first ``PREFIX`` dimensions (wordllama's vectors are
matryoshka-trained, so a prefix is a good low-dimensional sketch),
re-normalised. A query scores every document with BM25 (one sparse pass) and
the prefix cosine, keeps the best ``CANDIDATES`` of that approximate fusion,
and computes the exact fused score for those only. A part with at most
``CANDIDATES`` documents is therefore scored exactly. Nothing here touches
the database.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import text as textmod

if TYPE_CHECKING:
    import numpy as np

ALPHA = 0.3  # best of 0.2..0.8 on CLEF-2020 train (MAP@5 0.812); see --tune
PREFIX = 64  # dimensions of the first, approximate pass
CANDIDATES = 256  # documents per part rescored exactly

MATCH_THRESHOLD = 0.73
"""The fused score from which a result is a match; below it there is "no match".

Calibrated on CLEF-2020 Task 2 *train* queries by ``python -m
benchmarks.claim_matching --calibrate`` (which prints the figures): each
query is searched twice against the 10,375 verified claims, once as they are
(its fact-check is there: "has a match" is right if the best result is that
fact-check or a copy of it, the same text with other quote marks) and once
without its fact-check and copies (any result is a false match). This is the
lowest score, on a 0.005 grid, from which train precision of "has a match"
stays at least 0.95, a margin over the 0.9 target (choosing for 0.9 on train
gives 0.670 and precision 0.878 on dev). On dev: precision 0.921, recall
0.294 (train: 0.957, 0.335); recall is the share of queries whose best
result is shown and right.
A revenue claim against an armed-conflict fact-check scores near 0; a
foreign library's unrelated best results score 0.42-0.63.
"""


@dataclass(frozen=True)
class Hit:
    part: int  # which part of the fused search
    position: int  # row in that part
    score: float
    lexical: float  # BM25 / the query's best BM25
    dense: float  # cosine similarity


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


class Part:
    """One indexed collection: BM25 over stemmed tokens, and its unit vectors.

    ``tokens`` may be given instead of computing them from ``texts`` (a
    rebuild that already has them).
    """

    def __init__(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        *,
        tokens: Sequence[list[str]] | None = None,
    ) -> None:
        import bm25s
        import numpy as np

        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        self.size = len(texts)
        dim = vectors.shape[1] if vectors.ndim == 2 else PREFIX
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float16).reshape(self.size, dim)
        self.prefix = np.ascontiguousarray(
            _unit_rows(self.vectors[:, :PREFIX].astype(np.float32)), dtype=np.float32
        )
        self._bm25: Any = None
        if self.size:
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            corpus = tokens if tokens is not None else [textmod.tokens(t) for t in texts]
            self._bm25 = bm25s.BM25()
            self._bm25.index([t or [""] for t in corpus], show_progress=False)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays of this part (vectors, prefix, BM25 matrix)."""
        total = self.vectors.nbytes + self.prefix.nbytes
        scores = getattr(self._bm25, "scores", None) or {}
        for value in scores.values():
            total += getattr(value, "nbytes", 0)
        return total

    def lexical(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (one pass over the query words' postings)."""
        import numpy as np

        if not self.size or not query_tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    def approximate(self, query_prefix: np.ndarray) -> np.ndarray:
        """Cosine of the vectors' prefixes with a unit ``PREFIX``-dim query prefix."""
        import numpy as np

        # einsum, not BLAS: a threaded gemv on a busy 2-core machine waits for the other
        # core (16 ms median at 100,000 rows under load, against 1 ms single-threaded)
        return np.einsum("ij,j->i", self.prefix, query_prefix)

    def dense(self, query_vector: np.ndarray, positions: np.ndarray | None = None) -> np.ndarray:
        """Exact cosine with the unit query vector, of all rows or of ``positions``."""
        import numpy as np

        rows = self.vectors if positions is None else self.vectors[positions]
        return np.einsum("ij,j->i", rows.astype(np.float32), np.asarray(query_vector, np.float32))


def query_prefix(query_vector: np.ndarray) -> np.ndarray:
    import numpy as np

    head = np.asarray(query_vector[:PREFIX], dtype=np.float32)
    norm = float(np.linalg.norm(head))
    return head / norm if norm > 0 else head


def fuse(
    parts: Sequence[Part],
    query: str,
    query_vector: np.ndarray,
    *,
    limit: int = 5,
    alpha: float = ALPHA,
    exclude: Sequence[Collection[int] | np.ndarray] = (),
    candidates: int = CANDIDATES,
) -> list[Hit]:
    """The ``limit`` best documents over ``parts`` for ``query``, best first.

    ``exclude[i]`` holds positions of part ``i`` that may not be returned
    (the claim itself, claims of the same article, rows superseded by a delta):
    a list of positions or a boolean mask.
    """
    import numpy as np

    query_tokens = textmod.tokens(query)
    qvec = np.asarray(query_vector, dtype=np.float32)
    qprefix = query_prefix(qvec)
    lexical = [p.lexical(query_tokens) for p in parts]
    best = max((float(s.max()) for s in lexical if s.size), default=0.0)
    inverse = 1.0 / best if best > 0 else 0.0
    scale = alpha * inverse
    hits: list[Hit] = []
    for index, (part, lex) in enumerate(zip(parts, lexical, strict=True)):
        if not part.size:
            continue
        # negated approximate fusion: the best documents are the smallest values
        # (argpartition is fast for the smallest k, slow near the end of arrays with ties)
        cost = part.approximate(qprefix * -(1 - alpha))
        if scale:
            cost -= lex * scale
        banned = exclude[index] if index < len(exclude) else ()
        if len(banned):
            mask = np.asarray(banned)
            if mask.dtype != np.bool_:
                mask = np.asarray(list(banned), dtype=np.int64)
            cost[mask] = np.inf
        want = min(max(candidates, limit), part.size)
        pool = np.argpartition(cost, want - 1)[:want] if want < part.size else np.arange(want)
        pool = pool[np.isfinite(cost[pool])]
        if not pool.size:
            continue
        cosine = part.dense(qvec, pool)
        fused = lex[pool] * scale + (1 - alpha) * cosine
        order = np.lexsort((pool, -fused))[:limit]  # ties: the earlier row first
        hits.extend(
            Hit(
                index,
                int(pool[i]),
                float(fused[i]),
                float(lex[pool[i]] * inverse),
                float(cosine[i]),
            )
            for i in order
        )
    hits.sort(key=lambda h: (-h.score, h.part, h.position))
    return hits[:limit]


RIVALS = 64  # nearest stored queries per new document checked by rivals()


def prefixes(vectors: np.ndarray) -> np.ndarray:
    """Contiguous unit ``PREFIX``-dim sketches of ``vectors`` (for :func:`rivals`)."""
    import numpy as np

    return np.ascontiguousarray(_unit_rows(np.asarray(vectors[:, :PREFIX], np.float32)))


def rivals(
    prefix: np.ndarray,
    vectors: np.ndarray,
    best: np.ndarray,
    items: np.ndarray,
    *,
    top: int = RIVALS,
    alpha: float = ALPHA,
    exclude: np.ndarray | None = None,
) -> list[np.ndarray]:
    """For each of ``items`` (new documents' vectors), the rows of ``vectors``
    (queries with a stored best score ``best``; ``prefix`` their
    :func:`prefixes`) it could now outrank: their best match needs computing again.

    An approximation, to keep a refresh proportional to what changed: only the
    ``top`` queries nearest to a document by prefix cosine (one product with
    the contiguous prefix array, as in :func:`fuse`, for a batch of
    documents) are candidates, and of those only the ones it could beat at
    all: the lexical share of a fused score is at most ``alpha`` (BM25 over
    the query's best BM25), so ``alpha + (1 - alpha) * cosine`` bounds the
    document's score. ``best`` is NaN for a query without a stored match
    (always a candidate). ``exclude``: rows (a mask) that are never candidates,
    as if they were not in the arrays.
    """
    import numpy as np

    items = np.asarray(items, dtype=np.float32).reshape(
        -1, vectors.shape[1] if vectors.ndim == 2 else PREFIX
    )
    if not len(vectors):
        return [np.zeros(0, dtype=np.int64) for _ in items]
    size = len(vectors) if exclude is None else len(vectors) - int(exclude.sum())
    want = min(top, size)
    if want == 0:
        return [np.zeros(0, dtype=np.int64) for _ in items]
    out: list[np.ndarray] = []
    for start in range(0, len(items), 256):
        batch = items[start : start + 256]
        heads = np.stack([query_prefix(v) for v in batch])
        near = prefix @ heads.T  # rows x batch
        if exclude is not None:
            near[exclude] = -np.inf
        if want < len(vectors):
            pools = np.argpartition(-near, want - 1, axis=0)[:want].T
        else:
            pools = np.broadcast_to(np.arange(want), (len(batch), want))
        for pool, item in zip(pools, batch, strict=True):
            if exclude is not None:
                pool = pool[~exclude[pool]]
            cosine = np.einsum("ij,j->i", vectors[pool].astype(np.float32), item)
            stored = best[pool]
            keep = np.isnan(stored) | (alpha + (1 - alpha) * cosine >= stored)
            out.append(np.sort(pool[keep]))
    return out
