"""Matching: "checked before" — find earlier claims and published fact-checks like a text.

What this package owns (#12):

    text      pure: clean a query (tweet attributions, links, hashtags), tokenize
              and stem for BM25, the words two texts share
    embed     sentence vectors from wordllama's bundled 256-dim weights (installed
              from PyPI, loaded from the package folder, never downloaded), as
              float16 bytes for a table column
    index     pure: the hybrid index, BM25 (bm25s) fused with cosine similarity
              of the vectors; weights tuned on CLEF-2020 train only
    feeds     pure: read ClaimReview JSON-LD / JSON Lines / CSV / TSV into
              reference records, every problem with its line number
    store     the database side, read only: builds the indexes from the
              reference library and the reviewed claims, keeps them per process
              until the record changes, and answers ``match`` queries

Writes (importing references, refreshing stored vectors and best matches,
reusing a match's sources) are use cases in :mod:`tracker.services.references`.
numpy, bm25s and wordllama are imported inside the functions that need them,
so ``tracker --help`` stays fast.
"""

from __future__ import annotations

__all__ = ["embed", "feeds", "index", "store", "text"]
