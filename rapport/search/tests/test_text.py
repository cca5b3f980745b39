"""Normalisation: the same term for every spelling a customer or agent might type."""

from rapport.search.text import document_text, fold, query_groups, terms


def matches(query: str, text: str, language: str = "") -> bool:
    indexed = set(document_text(text, language).split())
    return all(set(group) & indexed for group in query_groups(query))


def test_umlauts_and_their_spelt_out_forms_meet():
    assert matches("Rueckgabe", "Ihre Rückgabe ist eingegangen", "de")
    assert matches("Rückgabe", "Die Rueckgabe wurde erfasst", "de")
    assert matches("Strasse", "Straße 5", "de")


def test_german_and_english_inflections_meet():
    assert matches("Rückgaben", "Ihre Rückgabe", "de")
    assert matches("Bestellung", "zu meinen Bestellungen", "de")
    assert matches("returned", "How returns work", "en")
    assert matches("shipping", "We ship within two days", "en")


def test_a_document_of_unknown_language_is_found_in_either():
    assert matches("Lieferungen", "Lieferung verspätet")
    assert matches("deliveries", "delivery is late")


def test_accents_do_not_hide_words():
    assert fold("Café") == "cafe"
    assert matches("cafe", "Un café, s'il vous plaît")


def test_every_word_must_match():
    assert not matches("Rückgabe Rechnung", "Ihre Rückgabe", "de")


def test_punctuation_and_query_syntax_are_just_separators():
    assert query_groups('"Rechnung" OR -foo* NEAR(a b) col:x ') == query_groups(
        "Rechnung OR foo NEAR a b col x"
    )
    assert query_groups("***") == []
    assert terms("snake_case", "en") == ["snake", "case"]


def test_overlong_words_are_left_out():
    assert terms("x" * 41) == []
