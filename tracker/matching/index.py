"""Pure hybrid retrieval: BM25 (bm25s) fused with cosine similarity of sentence vectors.

A :class:`Part` indexes one collection (the reference library, or the desk's
reviewed claims) and returns, for a query, its BM25 score and its cosine
similarity with every document. :func:`fuse` combines several parts:

    score = ALPHA * bm25 / max_bm25 + (1 - ALPHA) * cosine

where ``max_bm25`` is the best BM25 score of the query over all parts (so a
document with every query word scores 1 on the lexical side) and ``cosine``
is in [-1, 1]. ``ALPHA`` was chosen on CLEF-2020 *train* queries only
(``benchmarks/claim_matching.py --tune``); dev figures are reported in the
README. Nothing here touches the database.
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


@dataclass(frozen=True)
class Hit:
    part: int  # which part of the fused search
    position: int  # row in that part
    score: float
    lexical: float  # BM25 / the query's best BM25
    dense: float  # cosine similarity


class Part:
    """One indexed collection: BM25 over stemmed tokens, and a matrix of unit vectors."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        import bm25s
        import numpy as np

        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        self.size = len(texts)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._bm25: Any = None
        if self.size:
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            corpus = [textmod.tokens(t) or [""] for t in texts]
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)

    def lexical(self, query_tokens: list[str]) -> np.ndarray:
        import numpy as np

        if not self.size or not query_tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_tokens), dtype=np.float32)

    def dense(self, query_vector: np.ndarray) -> np.ndarray:
        import numpy as np

        if not self.size:
            return np.zeros(0, dtype=np.float32)
        return self.vectors @ np.asarray(query_vector, dtype=np.float32)


def fuse(
    parts: Sequence[Part],
    query: str,
    query_vector: np.ndarray,
    *,
    limit: int = 5,
    alpha: float = ALPHA,
    exclude: Sequence[Collection[int]] = (),
) -> list[Hit]:
    """The ``limit`` best documents over ``parts`` for ``query``, best first.

    ``exclude[i]`` holds positions of part ``i`` that may not be returned
    (the claim itself, claims of the same article).
    """
    import numpy as np

    query_tokens = textmod.tokens(query)
    lexical = [p.lexical(query_tokens) for p in parts]
    dense = [p.dense(query_vector) for p in parts]
    best = max((float(s.max()) for s in lexical if s.size), default=0.0)
    scale = 1.0 / best if best > 0 else 0.0
    hits: list[Hit] = []
    for index, (lex, den) in enumerate(zip(lexical, dense, strict=True)):
        if not lex.size:
            continue
        fused = alpha * scale * lex + (1 - alpha) * den
        banned = list(exclude[index]) if index < len(exclude) else []
        if banned:
            fused[np.asarray(banned, dtype=np.int64)] = -np.inf
        want = min(limit, fused.size)
        top = np.argpartition(-fused, want - 1)[:want] if want < fused.size else np.arange(want)
        hits.extend(
            Hit(index, int(i), float(fused[i]), float(lex[i] * scale), float(den[i]))
            for i in top
            if np.isfinite(fused[i])
        )
    hits.sort(key=lambda h: (-h.score, h.part, h.position))
    return hits[:limit]
