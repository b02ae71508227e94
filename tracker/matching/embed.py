"""Sentence vectors from wordllama's bundled weights: offline, CPU, ~25,000 sentences/s.

wordllama's wheel ships the 256-dim "l2_supercat" weights and its tokenizer
config; they are loaded from the installed package's folder with downloads
disabled (its default lookup of the bundled tokenizer misses and would try
the network). Vectors are L2-normalised and stored as float16 bytes (512
bytes a row).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TrackerError
from .text import unquoted

if TYPE_CHECKING:
    import numpy as np

MODEL = "wordllama-l2-supercat-256"
DIM = 256


class ModelMissing(TrackerError):
    pass


@lru_cache(maxsize=1)
def model() -> Any:
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelMissing(
            "matching needs the wordllama package; reinstall tracker (pip install -e .)"
        ) from exc
    folder = Path(wordllama.__file__).resolve().parent
    return WordLlama.load(config="l2_supercat", dim=DIM, cache_dir=folder, disable_download=True)


def encode(texts: list[str]) -> np.ndarray:
    """One L2-normalised float32 row per text (a blank text gets a zero row).

    Quote marks are left out first (:func:`tracker.matching.text.unquoted`).
    """
    import numpy as np

    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    plain = [unquoted(t) for t in texts]
    vectors = np.asarray(model().embed(plain, norm=False, batch_size=512), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def to_bytes(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(rows: list[bytes]) -> np.ndarray:
    """Stacked float32 matrix from stored rows (each DIM float16 values)."""
    import numpy as np

    if not rows:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.frombuffer(b"".join(rows), dtype=np.float16).reshape(-1, DIM).astype(np.float32)
