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


def test_documents_with_every_word_in_title_or_keywords_come_first():
    put(
        # Both words many times in a short text: the best BM25 score of the three.
        Document(1, "en", "Cards", "", "gift card gift card gift card", ()),
        Document(2, "en", "Gift card", "", "", ()),
        Document(3, "en", "Gift", "card", "", ()),
        Document(4, "en", "Vouchers", "", "a gift for a friend", ()),
    )
    hits = ids("gift card")
    assert hits[2] == 1 and sorted(hits[:2]) == [2, 3]
    assert ids("gift card", match="any")[:2] == hits[:2]
    assert ids("gift card", match="any")[2:] == [1, 4]
    # The second tier alone is asked for when the first holds too few.
    assert ids("gift card", limit=1) == [hits[0]]


def test_a_rare_filter_finds_its_documents_behind_many_others():
    # Far more documents than the unfiltered first look reads rank above the one wanted.
    put(
        *(Document(i, "en", "Warranty", "", "", ("statuspublished",)) for i in range(1, 61)),
        Document(61, "en", "Other", "", "warranty", ("statusdraft",)),
        Document(62, "en", "Other", "", "warranty", ("statuspublished",)),
    )
    assert ids("warranty", filters=["statusdraft"], limit=5) == [61]
    assert ids("warranty", filters=["statuspublished"], limit=3) == [60, 59, 58]
    assert len(ids("warranty", filters=["statuspublished"], limit=100)) == 61
