"""Searching: the one entry point every app uses (``search``)."""

from rapport.search import backends
from rapport.search.backends import Hit
from rapport.search.indexes import get_index
from rapport.search.text import query_groups

__all__ = ["Hit", "search"]


def search(
    name: str,
    query: str,
    *,
    limit: int = 20,
    order: str = "rank",
    filters: list[str] | None = None,
) -> list[Hit]:
    """Return the documents of index ``name`` that contain every word of ``query``.

    Words match in any form the stemmers know ("Rückgaben" finds "Rueckgabe"), German or
    English. ``order="rank"``: best first (title, then keywords, then body weigh most);
    ``order="id"``: newest (highest id) first, which stays fast for very common words.
    ``filters``: keys every document must carry (``Document.filters``, for indexes with
    filters), such as a status or a language.
    """
    get_index(name)
    if order not in ("rank", "id"):
        raise ValueError(f"unknown order {order!r}")
    return backends.search(name, query_groups(query), limit=limit, order=order, filters=filters)
