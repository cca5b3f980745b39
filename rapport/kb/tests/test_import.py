"""`rapport kb import`: a folder of Markdown files with front matter, one folder per language."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rapport.kb import queries
from rapport.kb.importer import CREATED, ERROR, UNCHANGED, UPDATED, import_folder
from rapport.kb.models import (
    Article,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Category,
    CategoryName,
)

pytestmark = pytest.mark.django_db

HELPCENTER = Path(__file__).resolve().parents[4] / "shared" / "data" / "helpcenter"
BROKEN = Path(__file__).resolve().parent / "data" / "broken"


@pytest.fixture
def broken(tmp_path):
    """The broken examples, plus a binary file and a Latin-1 file written for the test."""
    folder = tmp_path / "helpcentre"
    shutil.copytree(BROKEN, folder)
    (folder / "de" / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "de" / "latin-1.md").write_bytes(
        "---\nslug: latin\ntitle: Rückgabe\ncategory: orders\nlanguage: de\n---\nÄrger\n".encode(
            "latin-1"
        )
    )
    return folder


def by_path(report):
    return {f.path: f for f in report.files}


@pytest.mark.skipif(not HELPCENTER.exists(), reason="the shared help-centre data is not here")
def test_the_shared_help_centre_imports_all_ninety_files_published_and_searchable():
    report = import_folder(HELPCENTER)
    assert report.count(CREATED) == 90 and not report.errors
    assert Article.objects.count() == 45
    assert ArticleTranslation.objects.filter(status=ArticleStatus.PUBLISHED).count() == 90
    assert not report.missing_translations
    assert Category.objects.count() == 10
    assert CategoryName.objects.get(category__slug="returns-refunds", language="de").name == (
        "Rückgabe und Erstattung"
    )
    hits = queries.search_articles("Rueckerstattung Dauer", language="de")
    assert "refund-timing" in [h.translation.article.slug for h in hits[:3]]


@pytest.mark.skipif(not HELPCENTER.exists(), reason="the shared help-centre data is not here")
def test_reimporting_the_same_folder_changes_nothing_and_never_duplicates():
    import_folder(HELPCENTER)
    versions = ArticleVersion.objects.count()
    again = import_folder(HELPCENTER)
    assert again.count(UNCHANGED) == 90
    assert ArticleVersion.objects.count() == versions
    assert ArticleTranslation.objects.count() == 90


def test_a_changed_file_updates_its_language_version_with_a_new_version(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(BROKEN / "en", folder / "en")
    import_folder(folder)
    page = folder / "en" / "good-article.md"
    page.write_text(page.read_text().replace("is fine", "is still fine"), encoding="utf-8")
    report = import_folder(folder)
    assert by_path(report)["en/good-article.md"].status == UPDATED
    assert by_path(report)["en/only-english.md"].status == UNCHANGED
    translation = ArticleTranslation.objects.get(article__slug="good-article", language="en")
    assert translation.version == 2 and "still fine" in translation.body
    assert Article.objects.filter(slug="good-article").count() == 1


def test_moving_an_article_to_another_category_counts_as_an_update(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(BROKEN / "en", folder / "en")
    import_folder(folder)
    page = folder / "en" / "good-article.md"
    page.write_text(page.read_text().replace("category: orders", "category: payment"))
    report = import_folder(folder)
    assert by_path(report)["en/good-article.md"].status == UPDATED
    assert Article.objects.get(slug="good-article").category.slug == "payment"


def test_broken_files_are_reported_with_their_reason_and_the_rest_is_imported(broken):
    report = import_folder(broken)
    files = by_path(report)
    assert files["de/good-article.md"].status == CREATED
    assert files["en/good-article.md"].status == CREATED
    assert files["en/only-english.md"].status == CREATED
    reasons = {path: f.reason for path, f in files.items() if f.status == ERROR}
    assert "not valid YAML" in reasons["de/broken-front-matter.md"]
    assert "must start with a line '---'" in reasons["de/no-front-matter.md"]
    assert (
        "Missing field" in reasons["de/missing-title.md"]
        and "title" in (reasons["de/missing-title.md"])
    )
    assert "does not match its folder" in reasons["de/wrong-folder.md"]
    assert "Duplicate slug good-article" in reasons["de/zz-duplicate.md"]
    assert "good-article.md" in reasons["de/zz-duplicate.md"]
    assert "Unknown language code: klingon" in reasons["de/unknown-language.md"]
    assert "binary" in reasons["de/binary.md"]
    assert "not UTF-8" in reasons["de/latin-1.md"]
    assert "not a known language code" in reasons["xx/in-unknown-folder.md"]
    assert set(Article.objects.values_list("slug", flat=True)) == {"good-article", "only-english"}
    # The first file with the slug won; the duplicate did not overwrite it.
    assert ArticleTranslation.objects.get(article__slug="good-article", language="de").title == (
        "Ein gutes Beispiel"
    )


def test_articles_missing_a_translation_are_listed_at_the_end(broken):
    report = import_folder(broken)
    missing = {m.slug: (m.present, m.missing) for m in report.missing_translations}
    assert missing == {"only-english": (["en"], ["de"])}


def test_an_unknown_category_gets_a_name_from_its_slug(broken):
    import_folder(broken)
    names = dict(
        CategoryName.objects.filter(category__slug="gift-wrapping").values_list("language", "name")
    )
    assert names == {"de": "Gift wrapping", "en": "Gift wrapping"}


def test_a_dry_run_reports_but_saves_nothing(broken):
    report = import_folder(broken, dry_run=True)
    assert report.count(CREATED) == 3
    assert not Article.objects.exists() and not Category.objects.exists()


def test_draft_import_keeps_new_versions_as_drafts_and_existing_states_unchanged(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(BROKEN / "en", folder / "en")
    import_folder(folder, publish=False)
    assert set(ArticleTranslation.objects.values_list("status", flat=True)) == {"draft"}
    import_folder(folder)
    import_folder(folder, publish=False)
    assert set(ArticleTranslation.objects.values_list("status", flat=True)) == {"published"}


def test_the_command_prints_each_file_the_missing_translations_and_a_summary(broken):
    out = StringIO()
    call_command("kb", "import", str(broken), stdout=out)
    text = out.getvalue()
    assert "created    de/good-article.md" in text
    assert "error      de/wrong-folder.md: The file's language (en)" in text
    assert "only-english: in en; missing de" in text
    assert "3 created, 0 updated, 0 unchanged, 9 errors" in text


def test_the_command_accepts_draft_dry_run_and_verbosity_after_the_subcommand(broken):
    out = StringIO()
    call_command("kb", "import", str(broken), "--draft", "--dry-run", "-v0", stdout=out)
    text = out.getvalue()
    assert "created    " not in text and "error      de/binary.md" in text
    assert "(dry run: nothing was saved)" in text
    assert not Article.objects.exists()


def test_the_command_fails_only_when_nothing_could_be_read(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("kb", "import", str(tmp_path / "missing"), stdout=StringIO())
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "bad.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(CommandError, match="No article could be read"):
        call_command("kb", "import", str(tmp_path), stdout=StringIO())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError, match="No article could be read"):
        call_command("kb", "import", str(empty), stdout=StringIO())


def test_a_file_with_an_invalid_slug_or_a_title_only_of_spaces_is_refused(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "bad-slug.md").write_text(
        "---\nslug: Not A Slug\ntitle: T\ncategory: orders\nlanguage: en\n---\nText\n"
    )
    (tmp_path / "en" / "spaces.md").write_text(
        "---\nslug: spaces\ntitle: '   '\ncategory: orders\nlanguage: en\n---\nText\n"
    )
    (tmp_path / "en" / "list.md").write_text("---\n- just\n- a list\n---\nText\n")
    report = import_folder(tmp_path)
    reasons = {f.path: f.reason for f in report.errors}
    assert "lower-case letters" in reasons["en/bad-slug.md"]
    assert "Missing field" in reasons["en/spaces.md"]
    assert "expected fields" in reasons["en/list.md"]
    assert not report.read_any
