"""Keeping the search indexes current: index, remove, rebuild."""

from collections.abc import Callable, Iterable

from django.db import transaction

from rapport.search import backends
from rapport.search.indexes import Document, get_index
from rapport.search.text import document_text

REBUILD_BATCH = 2000


def _row(document: Document) -> backends.Row:
    language = document.language or ""
    return backends.Row(
        id=document.id,
        language=language[:16],
        title=document_text(document.title, language),
        keywords=document_text(document.keywords, language),
        body=document_text(document.body, language),
        filters=" ".join(backends.filter_token(key) for key in document.filters),
    )


def index_objects(name: str, ids: Iterable[int]) -> None:
    """Bring the documents of objects ``ids`` in index ``name`` up to date (or remove them)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return
    documents = get_index(name).load_documents(ids)
    found = {d.id for d in documents}
    with transaction.atomic():
        backends.delete(name, [i for i in ids if i not in found])
        backends.replace(name, [_row(d) for d in documents])


def remove_objects(name: str, ids: Iterable[int]) -> None:
    backends.delete(name, sorted({int(i) for i in ids}))


def rebuild(
    name: str, *, ids: Iterable[int] | None = None, progress: Callable[[int], None] | None = None
) -> int:
    """Index every object of index ``name`` anew (or only ``ids``, ascending, in batches);
    return how many documents were written.
    """
    index = get_index(name)
    if ids is None:
        backends.clear(name)
        ids = index.iter_ids()
    batch: list[int] = []
    done = 0
    for object_id in ids:
        batch.append(object_id)
        if len(batch) >= REBUILD_BATCH:
            done += _index_batch(index, batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        done += _index_batch(index, batch)
    backends.optimize(name)
    if progress:
        progress(done)
    return done


def _index_batch(index, ids: list[int]) -> int:
    documents = index.load_documents(ids)
    with transaction.atomic():
        backends.replace(index.name, [_row(d) for d in documents])
    return len(documents)
