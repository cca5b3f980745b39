"""Stored passage embeddings: each text embedded once per model, kept in the database.

E5 embeds about 25 article passages a second, so a help centre of 45 articles in two
languages (about 700 passages) takes half a minute: too long for the first question after
a restart. Vectors are kept in ``ChunkVector`` under the digest of their text (and in this
process's memory), so only new or changed passages are ever embedded, by the worker
(``embed_missing``) or, when few, by the request that first needs them.
"""

import hashlib
import threading

from rapport.assistant import embeddings
from rapport.assistant.models import ChunkVector

LOOKUP_CHUNK = 500
WRITE_BATCH = 64
# Entries kept in memory per model (a 384-dimension vector takes 1.5 kB).
MEMORY_LIMIT = 200_000

_memory: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lookup(model: str, texts: list[str], *, compute: int = 0):
    """Return the ``(len(texts), dim)`` vectors of ``texts``, or None when some are missing.

    Missing vectors are computed and stored when there are at most ``compute`` of them.
    """
    import numpy as np

    if not texts:
        return None
    keys = [digest(t) for t in texts]
    found = {k: _memory[(model, k)] for k in set(keys) if (model, k) in _memory}
    wanted = sorted(set(keys) - set(found))
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        rows = ChunkVector.objects.filter(
            model=model, digest__in=wanted[start : start + LOOKUP_CHUNK]
        ).values_list("digest", "vector")
        for key, vector in rows:
            found[key] = bytes(vector)
    missing = [k for k in dict.fromkeys(keys) if k not in found]
    if missing:
        if len(missing) > compute:
            _remember(model, found)
            return None
        text_of = dict(zip(keys, texts, strict=True))
        found.update(_compute(model, [text_of[k] for k in missing]))
    _remember(model, found)
    return np.vstack([np.frombuffer(found[k], dtype=np.float32) for k in keys])


def embed_missing(model: str, texts: list[str]) -> int:
    """Compute and store the vectors of ``texts`` not stored yet, in batches; return how many."""
    done = 0
    pending = list(dict.fromkeys(texts))
    for start in range(0, len(pending), WRITE_BATCH):
        batch = pending[start : start + WRITE_BATCH]
        stored = set(
            ChunkVector.objects.filter(
                model=model, digest__in=[digest(t) for t in batch]
            ).values_list("digest", flat=True)
        )
        todo = [t for t in batch if digest(t) not in stored]
        if todo:
            _remember(model, _compute(model, todo))
            done += len(todo)
    return done


def _compute(model: str, texts: list[str]) -> dict[str, bytes]:
    """Embed ``texts`` with ``model`` and store them; return digest -> vector bytes."""
    vectors = embeddings.encode(texts, model)
    if vectors is None:
        raise RuntimeError(f"embedding model {model!r} is not available")
    computed = {digest(t): v.tobytes() for t, v in zip(texts, vectors, strict=True)}
    ChunkVector.objects.bulk_create(
        [ChunkVector(model=model, digest=k, vector=v) for k, v in computed.items()],
        ignore_conflicts=True,
    )
    return computed


def _remember(model: str, found: dict[str, bytes]) -> None:
    with _lock:
        if len(_memory) + len(found) > MEMORY_LIMIT:
            _memory.clear()
        for key, vector in found.items():
            _memory[(model, key)] = vector


def forget() -> None:
    """Drop the vectors kept in memory (tests)."""
    _memory.clear()
