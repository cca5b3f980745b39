"""Searching: the one entry point every app uses (``search``)."""

import threading
import time

from rapport.search import backends
from rapport.search.backends import Hit
from rapport.search.indexes import get_index
from rapport.search.text import Vocabulary, expand_groups, query_groups

__all__ = ["Hit", "search", "vocabulary"]

# Indexes whose queries are widened by their vocabulary (compound words, typo correction):
# small, curated texts where a miss costs more than the lookup. Conversations are not.
VOCABULARY_INDEXES = {"articles"}
# Another process may have changed an index: its vocabulary is read anew after this long.
VOCABULARY_SECONDS = 300.0
_vocabularies: dict[tuple[str, str], tuple[float, int, Vocabulary]] = {}
_lock = threading.Lock()


def vocabulary(name: str) -> Vocabulary:
    """Return the terms of index ``name``, cached until it changes here (or a while passes)."""
    from django.db import connection

    key = (name, str(connection.settings_dict.get("NAME")))
    now = time.monotonic()
    cached = _vocabularies.get(key)
    generation = backends.generation(name)
    if cached and cached[1] == generation and cached[0] > now:
        return cached[2]
    terms = Vocabulary(backends.vocabulary(name))
    with _lock:
        _vocabularies[key] = (now + VOCABULARY_SECONDS, generation, terms)
    return terms


def forget_vocabularies() -> None:
    _vocabularies.clear()


def search(
    name: str,
    query: str,
    *,
    limit: int = 20,
    order: str = "rank",
    filters: list[str] | None = None,
    match: str = "all",
) -> list[Hit]:
    """Return the documents of index ``name`` that contain every word of ``query``.

    Words match in any form the stemmers know ("Rückgaben" finds "Rueckgabe"), German or
    English. ``order="rank"``: best first (title, then keywords, then body weigh most);
    ``order="id"``: newest (highest id) first, which stays fast for very common words.
    ``filters``: keys every document must carry (``Document.filters``, for indexes with
    filters), such as a status or a language. ``match="any"``: documents with any of the
    words, ranked (for long questions rather than search boxes).

    In the indexes of ``VOCABULARY_INDEXES`` a word also finds the compounds that end with
    it ("Etikett" finds "Rücksendeetikett"), an unknown compound its known parts, and an
    unknown word the known words within a typing error or two ("Newsleter").
    """
    get_index(name)
    if order not in ("rank", "id"):
        raise ValueError(f"unknown order {order!r}")
    if match not in ("all", "any"):
        raise ValueError(f"unknown match {match!r}")
    groups = query_groups(query)
    if groups and name in VOCABULARY_INDEXES:
        groups = expand_groups(groups, vocabulary(name))
    return backends.search(name, groups, limit=limit, order=order, filters=filters, match=match)
