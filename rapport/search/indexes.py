"""The search indexes and where their documents come from.

An app that wants its objects found registers an index here: a name (its table is
``search_<name>``, created by a migration of this app) and the dotted path of a function
``documents(ids)`` that returns the current ``Document`` of each of those objects (leaving
out the ones that no longer exist), plus one ``all_ids()`` that lists every object for a
rebuild.
"""

from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Document:
    """One object as text to be found: its id, language and three weighted fields."""

    id: int
    language: str = ""
    title: str = ""
    keywords: str = ""
    body: str = ""
    filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchIndex:
    name: str
    documents: str  # dotted path: documents(ids: list[int]) -> list[Document]
    all_ids: str  # dotted path: all_ids() -> iterable of ids, ascending
    # Whether documents carry filter keys that a search can require (``Document.filters``).
    filters: bool = False

    def load_documents(self, ids: list[int]) -> list[Document]:
        return import_string(self.documents)(ids)

    def iter_ids(self):
        return import_string(self.all_ids)()


INDEXES = {
    index.name: index
    for index in (
        SearchIndex(
            "conversations",
            documents="rapport.helpdesk.search.conversation_documents",
            all_ids="rapport.helpdesk.search.all_conversation_ids",
        ),
        SearchIndex(
            "articles",
            documents="rapport.kb.search.article_documents",
            all_ids="rapport.kb.search.all_article_ids",
            filters=True,
        ),
    )
}


def get_index(name: str) -> SearchIndex:
    try:
        return INDEXES[name]
    except KeyError:
        raise ValueError(f"unknown search index {name!r}") from None
