"""The engines: weighted fields, filters, newest-first, and safety (both SQLite and PostgreSQL)."""

import pytest

from rapport.search import backends
from rapport.search.actions import _row
from rapport.search.indexes import Document
from rapport.search.queries import search

pytestmark = pytest.mark.django_db


def put(*documents: Document) -> None:
    backends.replace("articles", [_row(d) for d in documents])


def ids(query: str, **kwargs) -> list[int]:
    return [hit.id for hit in search("articles", query, **kwargs)]


def test_filters_are_required_but_never_ranked_or_matched_as_words():
    put(
        Document(1, "de", "Rückgabe", "", "", ("statuspublished", "langde")),
        Document(2, "de", "Rückgabe", "", "", ("statusdraft", "langde")),
        Document(3, "en", "Returns", "Rückgabe", "", ("statuspublished", "langen")),
    )
    assert sorted(ids("Rückgabe", filters=["statuspublished"])) == [1, 3]
    assert ids("Rückgabe", filters=["statuspublished", "langen"]) == [3]
    assert ids("statuspublished") == []
    assert ids("zzstatuspublished") == []


def test_title_outranks_keywords_outranks_body():
    put(
        Document(1, "en", "Other", "", "warranty warranty warranty", ()),
        Document(2, "en", "Other", "warranty", "", ()),
        Document(3, "en", "Warranty", "", "", ()),
    )
    assert ids("warranty") == [3, 2, 1]
    assert ids("warranty", order="id") == [3, 2, 1]


def test_replacing_a_document_forgets_its_old_text():
    put(Document(1, "en", "Old title", "", "", ()))
    put(Document(1, "en", "New title", "", "", ()))
    assert ids("old") == []
    assert ids("new") == [1]
    assert backends.count("articles") == 1


def test_a_filter_on_an_index_without_filters_is_refused():
    with pytest.raises(ValueError):
        search("conversations", "x", filters=["statuspublished"])
