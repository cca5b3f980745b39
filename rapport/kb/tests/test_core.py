"""The core of the knowledge base: versions, publication, search by audience and language."""

import pytest
from django.core.exceptions import ValidationError

from rapport.kb import actions, queries
from rapport.kb.models import ArticleStatus, ArticleVersion, Visibility

pytestmark = pytest.mark.django_db


def write(
    slug="refund-timing",
    language="de",
    title="Wann bekomme ich mein Geld zurück?",
    body="Die Rückerstattung dauert 3–5 Werktage.",
    **kwargs,
):
    kwargs.setdefault("publish", True)
    return actions.save_translation(
        actor=None, slug=slug, language=language, title=title, body=body, **kwargs
    )


def test_every_change_is_a_version_and_an_unchanged_save_is_not():
    first = write(publish=False)
    assert first.created and first.translation.status == ArticleStatus.DRAFT
    again = write(publish=False)
    assert not again.changed
    published = write(body="Die Rückerstattung dauert 1–5 Werktage.")
    assert published.translation.version == 2
    assert published.translation.published_at is not None
    assert list(ArticleVersion.objects.values_list("number", flat=True)) == [2, 1]
    restored = actions.restore_version(version=ArticleVersion.objects.get(number=1), actor=None)
    assert restored.version == 3 and "3–5" in restored.body
    assert restored.status == ArticleStatus.PUBLISHED


def test_readers_find_published_public_versions_in_their_language_or_marked_fallback():
    write()
    write(
        language="en", title="When do I get my money back?", body="Refunds take 3-5 working days."
    )
    write(slug="internal-only", title="Erstattung intern", visibility=Visibility.INTERNAL)
    write(slug="draft", title="Erstattung Entwurf", publish=False)
    write(
        slug="english-only", language="en", title="Refund for gift cards", body="Gift card refunds."
    )

    hits = queries.search_articles("Rueckerstattung", language="de")
    assert [(h.translation.article.slug, h.fallback) for h in hits] == [("refund-timing", False)]
    assert "<mark>Rückerstattung</mark>" in hits[0].snippet
    english = queries.search_articles("refund", language="de")
    assert {(h.translation.article.slug, h.translation.language, h.fallback) for h in english} == {
        ("refund-timing", "de", False),
        ("english-only", "en", True),
    }
    staff = queries.search_articles("Erstattung", language="de", audience=queries.STAFF)
    assert {h.translation.article.slug for h in staff} >= {"internal-only", "draft"}


@pytest.mark.parametrize(
    "field, value",
    [("slug", "Not A Slug"), ("language", "klingon"), ("title", "  "), ("body", "x\x00y")],
)
def test_bad_input_is_refused_and_nothing_is_saved(field, value):
    values = {"slug": "ok", "language": "de", "title": "Titel", "body": "Text"}
    values[field] = value
    with pytest.raises(ValidationError):
        actions.save_translation(actor=None, **values)
    assert not queries.staff_translations().exists()


def test_slugs_that_are_help_centre_paths_are_refused():
    with pytest.raises(ValidationError) as caught:
        write(slug="search")
    assert caught.value.error_dict["slug"][0].code == "reserved_slug"
