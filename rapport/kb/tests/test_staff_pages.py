"""The knowledge base's staff pages: list, article, editor with preview, history, files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rapport.kb import actions
from rapport.kb.models import (
    Article,
    ArticleAttachment,
    ArticleStatus,
    ArticleTranslation,
    Visibility,
)

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def write(slug="refund-timing", language="de", title="Wann bekomme ich mein Geld zurück?", **kw):
    kw.setdefault("publish", True)
    kw.setdefault("body", "Die **Rückerstattung** dauert 3–5 Werktage.")
    category = actions.ensure_category(
        slug="returns-refunds", names={"de": "Rückgabe", "en": "Returns"}
    )
    kw.setdefault("category", category)
    return actions.save_translation(
        actor=None, slug=slug, language=language, title=title, **kw
    ).translation


@pytest.fixture
def manager_client(client, cast):
    client.force_login(cast.manager)
    return client


def test_the_list_shows_every_article_with_its_language_versions(agent_client):
    write()
    write(language="en", title="When do I get my money back?", publish=False)
    write(slug="internal-notes", title="Interne Hinweise", visibility=Visibility.INTERNAL)
    response = agent_client.get(reverse("kb:list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Wann bekomme ich mein Geld zurück?" in text or "When do I get" in text
    assert "internal-notes" in text and "Rückgabe" in text or "Returns" in text


def test_the_list_filters_by_category_language_status_and_visibility(agent_client):
    write()
    write(slug="draft-only", title="Nur ein Entwurf", publish=False, body="Text")
    write(
        slug="internal-notes",
        title="Interne Hinweise",
        visibility=Visibility.INTERNAL,
        body="Text",
    )
    write(slug="english-only", language="en", title="English only", body="Text")

    def slugs(**params):
        response = agent_client.get(reverse("kb:list"), params)
        assert response.status_code == 200
        return {row["article"].slug for row in response.context["rows"]}

    assert slugs(status="draft") == {"draft-only"}
    assert slugs(visibility="internal") == {"internal-notes"}
    assert slugs(language="en") == {"english-only"}
    assert slugs(category="returns-refunds") == {
        "refund-timing",
        "draft-only",
        "internal-notes",
        "english-only",
    }
    assert slugs(q="Rueckerstattung") == {"refund-timing"}
    assert slugs(q="Entwurf") == {"draft-only"}  # staff find drafts


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"category": "no-such-category"},
        {"q": "x" * 10_000},
        {"q": '"*NEAR(-:)'},
        {"q": "🙂🙂"},
        {"after": "\x00"},
    ],
)
def test_bad_list_parameters_give_a_clear_answer_not_an_error(agent_client, params):
    write()
    response = agent_client.get(reverse("kb:list"), params)
    assert response.status_code in (200, 400)


def test_the_list_pages_through_many_articles_with_a_bounded_number_of_queries(
    agent_client, django_assert_max_num_queries
):
    for n in range(55):
        write(slug=f"article-{n:02d}", title=f"Artikel {n}")
    with django_assert_max_num_queries(12):
        response = agent_client.get(reverse("kb:list"))
    assert len(response.context["rows"]) == 50
    assert response.context["next_query"] == "after=article-49"
    rest = agent_client.get(reverse("kb:list") + "?after=article-49")
    assert [r["article"].slug for r in rest.context["rows"]][:5] == [
        "article-50",
        "article-51",
        "article-52",
        "article-53",
        "article-54",
    ]


def test_the_article_page_shows_each_language_version_rendered_safely(agent_client):
    write(body="Text <script>alert(1)</script> mit **fett**")
    write(language="en", title="When do I get my money back?", body="Refunds *take* days.")
    response = agent_client.get(reverse("kb:article", args=["refund-timing"]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "<strong>fett</strong>" in text and "<em>take</em>" in text
    assert "<script>alert(1)</script>" not in text
    assert "/help/de/refund-timing/" in text


def test_an_unknown_article_or_language_is_not_found(agent_client):
    write()
    assert agent_client.get(reverse("kb:article", args=["nope"])).status_code == 404
    url = reverse("kb:edit", args=["refund-timing", "klingon"])
    assert agent_client.get(url).status_code == 404
    url = reverse("kb:history", args=["refund-timing", "en"])
    assert agent_client.get(url).status_code == 404


def test_a_manager_writes_a_new_article_and_publishes_it(manager_client):
    response = manager_client.post(
        reverse("kb:create"),
        {
            "slug": "gift-wrapping",
            "language": "en",
            "visibility": "public",
            "title": "Can you wrap a gift?",
            "keywords": "gift, wrapping, present",
            "body": "Yes, for **3 EUR**.",
            "save": "publish",
        },
    )
    assert response.status_code == 302
    translation = ArticleTranslation.objects.get(article__slug="gift-wrapping")
    assert translation.status == ArticleStatus.PUBLISHED
    assert translation.keywords == ["gift", "wrapping", "present"]


def test_an_agent_writes_a_new_article_as_a_draft(agent_client, cast):
    response = agent_client.post(
        reverse("kb:create"),
        {
            "slug": "gift-wrapping",
            "language": "en",
            "visibility": "public",
            "title": "Can you wrap a gift?",
            "body": "Yes.",
            "save": "save",
        },
    )
    assert response.status_code == 302
    translation = ArticleTranslation.objects.get(article__slug="gift-wrapping")
    assert translation.status == ArticleStatus.DRAFT and translation.updated_by == cast.agent


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "   ", "This field is required."),
        ("body", "x" * (actions.MAX_BODY + 1), "at most"),
        ("slug", "Not A Slug", "lower-case letters"),
        ("slug", "refund-timing", "exists already"),
        ("language", "klingon", "valid choice"),
        ("body", "binary\x00data", "Null characters are not allowed."),
    ],
)
def test_the_editor_refuses_bad_input_and_saves_nothing(agent_client, field, value, message):
    write()
    data = {
        "slug": "new-one",
        "language": "de",
        "visibility": "public",
        "title": "Titel",
        "body": "Text",
        "save": "save",
    }
    data[field] = value
    response = agent_client.post(reverse("kb:create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Article.objects.filter(slug="new-one").exists()


def test_an_agent_edits_a_draft_and_a_new_version_is_kept(agent_client):
    draft = write(publish=False)
    url = reverse("kb:edit", args=["refund-timing", "de"])
    assert agent_client.get(url).status_code == 200
    response = agent_client.post(
        url, {"title": "Neuer Titel", "keywords": "a, b", "body": "Neu", "note": "Kürzer"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.version, draft.status) == ("Neuer Titel", 2, ArticleStatus.DRAFT)
    assert draft.versions.first().note == "Kürzer"


def test_saving_an_unchanged_text_keeps_the_version(manager_client):
    translation = write()
    url = reverse("kb:edit", args=["refund-timing", "de"])
    response = manager_client.post(
        url, {"title": translation.title, "body": translation.body, "save": "save"}, follow=True
    )
    assert "Nothing changed" in response.content.decode()
    translation.refresh_from_db()
    assert translation.version == 1 and translation.is_published


def test_the_editor_rejects_a_huge_body_on_an_existing_version(manager_client):
    write()
    url = reverse("kb:edit", args=["refund-timing", "de"])
    response = manager_client.post(url, {"title": "T", "body": "y" * (actions.MAX_BODY + 1)})
    assert response.status_code == 400
    assert ArticleTranslation.objects.get().version == 1


def test_a_translation_is_prefilled_from_the_other_language(agent_client):
    write()
    response = agent_client.get(
        reverse("kb:translate", args=["refund-timing"]), {"language": "en", "source": "de"}
    )
    assert response.status_code == 302
    assert response.url == reverse("kb:edit", args=["refund-timing", "en"]) + "?from=de"
    page = agent_client.get(response.url)
    assert page.status_code == 200
    assert page.context["form"].initial["title"] == "Wann bekomme ich mein Geld zurück?"
    assert page.context["source"].language == "de"
    saved = agent_client.post(
        response.url, {"title": "When do I get my money back?", "body": "Refunds take days."}
    )
    assert saved.status_code == 302
    english = ArticleTranslation.objects.get(language="en")
    assert english.status == ArticleStatus.DRAFT and english.article.slug == "refund-timing"


@pytest.mark.parametrize(
    "params",
    [{"language": "de", "source": "de"}, {"language": "klingon", "source": "de"}, {}],
)
def test_adding_a_translation_refuses_an_existing_or_unknown_language(agent_client, params):
    write()
    response = agent_client.get(reverse("kb:translate", args=["refund-timing"]), params)
    assert response.status_code == 302
    assert response.url == reverse("kb:article", args=["refund-timing"])
    assert ArticleTranslation.objects.count() == 1


def test_the_preview_returns_sanitised_html(agent_client):
    response = agent_client.post(
        reverse("kb:preview"), {"body": "# Title\n\n<img src=x onerror=alert(1)> **bold**"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "onerror" not in html


def test_the_preview_refuses_a_huge_text_and_a_get(agent_client):
    response = agent_client.post(reverse("kb:preview"), {"body": "z" * (actions.MAX_BODY + 1)})
    assert response.status_code == 400 and b"too long" in response.content
    assert agent_client.get(reverse("kb:preview")).status_code == 405


def test_the_preview_requires_the_csrf_token(client, cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.agent)
    assert strict.post(reverse("kb:preview"), {"body": "x"}).status_code == 403


def test_history_lists_versions_and_restores_an_earlier_one(manager_client):
    translation = write()
    write(body="Ganz anderer Text")
    response = manager_client.get(reverse("kb:history", args=["refund-timing", "de"]))
    assert [v.number for v in response.context["versions"]] == [2, 1]
    response = manager_client.post(reverse("kb:restore", args=["refund-timing", "de", 1]))
    assert response.status_code == 302
    translation.refresh_from_db()
    assert translation.version == 3 and "3–5 Werktage" in translation.body
    missing = manager_client.post(reverse("kb:restore", args=["refund-timing", "de", 99]))
    assert missing.status_code == 404


def test_a_manager_publishes_and_unpublishes_a_language_version(manager_client):
    translation = write(publish=False)
    url = reverse("kb:publish", args=["refund-timing", "de"])
    manager_client.post(url, {"publish": "1"})
    translation.refresh_from_db()
    assert translation.is_published
    manager_client.post(url, {"publish": "0"})
    translation.refresh_from_db()
    assert translation.status == ArticleStatus.DRAFT


def test_a_manager_changes_category_and_visibility(manager_client):
    write()
    other = actions.ensure_category(slug="payment", names={"en": "Payment"})
    response = manager_client.post(
        reverse("kb:settings", args=["refund-timing"]),
        {"category": other.pk, "visibility": "internal"},
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.category, article.visibility) == (other, Visibility.INTERNAL)
    bad = manager_client.post(
        reverse("kb:settings", args=["refund-timing"]), {"visibility": "everyone"}, follow=True
    )
    assert bad.status_code == 200 and Article.objects.get().visibility == Visibility.INTERNAL


def test_an_image_is_uploaded_served_and_its_markdown_offered(agent_client, client):
    write()
    upload = SimpleUploadedFile("Router Setup.png", PNG, content_type="image/png")
    response = agent_client.post(
        reverse("kb:attach", args=["refund-timing"]), {"file": upload}, follow=True
    )
    attachment = ArticleAttachment.objects.get()
    assert attachment.filename == "Router-Setup.png"
    markdown = f"![Router-Setup.png](/kb/files/{attachment.pk}/Router-Setup.png)"
    assert markdown in response.content.decode()
    served = agent_client.get(f"/kb/files/{attachment.pk}/Router-Setup.png")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    # A published public article's images are shown to help-centre readers too.
    client.logout()
    assert client.get(f"/kb/files/{attachment.pk}/Router-Setup.png").status_code == 200
    assert client.get(f"/kb/files/{attachment.pk}/other.png").status_code == 404


def test_files_of_drafts_and_internal_articles_are_not_served_to_the_public(agent_client, client):
    write(publish=False)
    upload = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    agent_client.post(reverse("kb:attach", args=["refund-timing"]), {"file": upload})
    attachment = ArticleAttachment.objects.get()
    client.logout()
    assert client.get(f"/kb/files/{attachment.pk}/a.png").status_code == 404


def test_an_upload_of_a_forbidden_type_or_no_file_is_refused_clearly(agent_client):
    write()
    upload = SimpleUploadedFile("run.exe", b"MZ\x00\x00", content_type="application/x-msdownload")
    response = agent_client.post(
        reverse("kb:attach", args=["refund-timing"]), {"file": upload}, follow=True
    )
    assert "cannot be attached" in response.content.decode()
    response = agent_client.post(reverse("kb:attach", args=["refund-timing"]), {}, follow=True)
    assert response.status_code == 200
    assert not ArticleAttachment.objects.exists()


def test_a_manager_deletes_an_article_with_its_versions(manager_client):
    write()
    write(language="en", title="When?")
    response = manager_client.post(reverse("kb:delete", args=["refund-timing"]))
    assert response.status_code == 302
    assert not Article.objects.exists() and not ArticleTranslation.objects.exists()
