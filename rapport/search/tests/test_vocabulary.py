"""Compound words and typos, against an index's vocabulary (the "articles" index opts in)."""

import pytest

from rapport.kb import actions as kb_actions
from rapport.kb.search import filters_for
from rapport.search.queries import search
from rapport.search.text import Vocabulary, expand_groups, query_groups

PUBLIC = filters_for(status="published", visibility="public")


def test_a_known_word_also_finds_the_compounds_that_end_with_it():
    vocabulary = Vocabulary(["rucksendeetikett", "etikett", "drucker"])
    (group,) = expand_groups(query_groups("Etikett"), vocabulary)
    assert "rucksendeetikett" in group


def test_an_unknown_compound_splits_into_known_parts():
    vocabulary = Vocabulary(["bankomat", "kart", "zahlung"])
    (group,) = expand_groups(query_groups("Bankomatkarte"), vocabulary)
    assert "bankomat kart" in group


def test_an_unknown_word_is_corrected_to_a_close_known_one():
    vocabulary = Vocabulary(["newslett", "newsletter", "abbestell"])
    (group,) = expand_groups(query_groups("newsleter"), vocabulary)
    assert "newslett" in group or "newsletter" in group


def test_short_and_far_words_are_not_corrected():
    vocabulary = Vocabulary(["konto", "karte"])
    assert expand_groups(query_groups("kino"), vocabulary) == query_groups("kino")
    assert expand_groups(query_groups("zebra"), vocabulary) == query_groups("zebra")


@pytest.fixture
def articles(db):
    for slug, title, body in [
        ("return", "Rücksendung", "Drucken Sie das Rücksendeetikett aus."),
        ("newsletter", "Newsletter abbestellen", "Jeder Newsletter hat einen Abmeldelink."),
        ("label", "Etikett", "Ein Etikett für Ihre Kartenzahlung und Bankomat."),
    ]:
        kb_actions.save_translation(
            actor=None, slug=slug, language="de", title=title, body=body, publish=True
        )


def found(query, **options):
    from rapport.kb.models import ArticleTranslation

    hits = search("articles", query, filters=PUBLIC, **options)
    ids = [h.id for h in hits]
    slugs = dict(ArticleTranslation.objects.filter(pk__in=ids).values_list("pk", "article__slug"))
    return [slugs[i] for i in ids]


@pytest.mark.django_db
def test_etikett_finds_ruecksendeetikett_and_back(articles):
    assert "return" in found("Etikett")
    assert "return" in found("Rücksendeetikett")
    assert "return" in found("Ruecksendeetikett")


@pytest.mark.django_db
def test_a_typo_finds_the_article(articles):
    assert found("newsleter abbestelen") == ["newsletter"]


@pytest.mark.django_db
def test_match_any_finds_documents_with_some_of_the_words(articles):
    assert found("Newsletter Zebra") == []
    assert found("Newsletter Zebra", match="any") == ["newsletter"]


@pytest.mark.django_db
def test_a_new_article_joins_the_vocabulary_at_once(articles):
    assert found("Gutscheincode") == []
    kb_actions.save_translation(
        actor=None, slug="codes", language="de", title="Gutscheincode", body="x", publish=True
    )
    assert found("Gutscheincode") == ["codes"]
    assert "codes" in found("Gutscheincod")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ['"', "*", "NEAR(a b)", "-", ":", "()", "a OR", "' & | !", "😀", "\x00", "x" * 10_000]
)
def test_fts_syntax_and_odd_queries_never_fail(articles, query):
    assert isinstance(found(query), list)
    assert isinstance(found(query, match="any"), list)
