"""The demo help centre: imported by `rapport demo` into an empty knowledge base, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from rapport.demo.helpcentre import HELPCENTRE_DIR, load_demo_helpcentre
from rapport.kb import queries
from rapport.kb.importer import CREATED, import_folder
from rapport.kb.markdown import markdown_text
from rapport.kb.models import Article, ArticleStatus, ArticleTranslation, Category

pytestmark = pytest.mark.django_db


def test_the_demo_help_centre_has_ten_articles_in_german_and_english_in_five_categories():
    report = load_demo_helpcentre()
    assert report.count(CREATED) == 20 and not report.errors
    assert not report.missing_translations
    assert Article.objects.count() == 10
    assert Category.objects.count() == 5
    assert set(ArticleTranslation.objects.values_list("language", flat=True)) == {"de", "en"}
    assert set(ArticleTranslation.objects.values_list("status", flat=True)) == {
        ArticleStatus.PUBLISHED
    }
    for translation in ArticleTranslation.objects.all():
        words = len(markdown_text(translation.body).split())
        assert 100 <= words <= 260, (translation, words)


def test_the_demo_help_centre_is_found_with_typos_and_across_languages():
    load_demo_helpcentre()
    hits = queries.search_articles("Rueckerstattung", language="de")
    assert hits and hits[0].translation.article.slug == "when-is-my-refund-paid"
    hits = queries.search_articles("password", language="de")
    assert hits[0].translation.article.slug == "reset-your-password"
    assert hits[0].translation.language == "de"


def test_it_is_loaded_only_into_an_empty_knowledge_base():
    import_folder(HELPCENTRE_DIR / ".." / "helpcentre")
    assert load_demo_helpcentre() is None
    assert Article.objects.count() == 10


def test_rapport_demo_if_empty_loads_the_help_centre_even_when_customers_exist(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--customers", "3", "--conversations", "0", "--seed", "1", stdout=out)
    assert "Demo help centre: 20 article versions imported" in out.getvalue()
    ArticleTranslation.objects.all().delete()
    Article.objects.all().delete()
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "demo data skipped" in out.getvalue()
    assert Article.objects.count() == 10
