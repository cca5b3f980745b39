"""Who may use the knowledge base's staff pages: staff read, agents draft, managers publish."""

import pytest
from django.urls import reverse

from rapport.kb import actions
from rapport.kb.models import Article, ArticleStatus, ArticleTranslation

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(db):
    return actions.save_translation(
        actor=None,
        slug="refund-timing",
        language="de",
        title="Erstattung",
        body="3 Tage",
        publish=True,
    ).translation


def pages(slug="refund-timing"):
    return [
        reverse("kb:list"),
        reverse("kb:article", args=[slug]),
        reverse("kb:history", args=[slug, "de"]),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, article):
    for url in [*pages(), reverse("kb:create"), reverse("kb:edit", args=["refund-timing", "de"])]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    response = client.post(reverse("kb:preview"), {"body": "x"})
    assert response.status_code == 302


def test_portal_customers_are_refused_everywhere(client, cast, article):
    client.force_login(cast.portal_user)
    for url in [*pages(), reverse("kb:create"), reverse("kb:edit", args=["refund-timing", "de"])]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("kb:preview"), {"body": "x"}).status_code == 403
    assert client.post(reverse("kb:delete", args=["refund-timing"])).status_code == 403
    assert client.get(reverse("kb:agent_search"), {"q": "Erstattung"}).status_code == 403
    assert Article.objects.exists()


def test_marketers_read_but_do_not_write(client, cast, article):
    client.force_login(cast.marketer)
    for url in pages():
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("kb:create")).status_code == 403
    url = reverse("kb:edit", args=["refund-timing", "de"])
    assert client.post(url, {"title": "x", "body": "y"}).status_code == 403
    assert client.post(reverse("kb:publish", args=["refund-timing", "de"])).status_code == 403


def test_an_agent_may_not_publish_or_unpublish(agent_client, article):
    url = reverse("kb:publish", args=["refund-timing", "de"])
    assert agent_client.post(url, {"publish": "0"}).status_code == 403
    article.refresh_from_db()
    assert article.is_published


def test_an_agent_may_not_publish_through_the_editor(agent_client):
    response = agent_client.post(
        reverse("kb:create"),
        {
            "slug": "sneaky",
            "language": "de",
            "visibility": "public",
            "title": "Titel",
            "body": "Text",
            "save": "publish",
        },
    )
    assert response.status_code == 403
    assert not ArticleTranslation.objects.filter(status=ArticleStatus.PUBLISHED).exists()


def test_an_agent_may_not_change_a_published_version(agent_client, article):
    url = reverse("kb:edit", args=["refund-timing", "de"])
    assert agent_client.get(url).status_code == 403
    assert agent_client.post(url, {"title": "Anders", "body": "x"}).status_code == 403
    restore = reverse("kb:restore", args=["refund-timing", "de", 1])
    assert agent_client.post(restore).status_code == 403
    settings_url = reverse("kb:settings", args=["refund-timing"])
    assert agent_client.post(settings_url, {"visibility": "internal"}).status_code == 403
    article.refresh_from_db()
    assert article.title == "Erstattung" and article.version == 1


def test_an_agent_may_not_delete_an_article(agent_client, article):
    assert agent_client.post(reverse("kb:delete", args=["refund-timing"])).status_code == 403
    assert Article.objects.exists()


def test_the_article_page_offers_publishing_only_to_publishers(client, cast, article):
    client.force_login(cast.agent)
    text = client.get(reverse("kb:article", args=["refund-timing"])).content.decode()
    assert "Unpublish" not in text and "Delete article" not in text
    client.force_login(cast.manager)
    text = client.get(reverse("kb:article", args=["refund-timing"])).content.decode()
    assert "Unpublish" in text and "Delete article" in text


def test_writing_pages_refuse_the_wrong_http_method(agent_client, article):
    assert agent_client.get(reverse("kb:delete", args=["refund-timing"])).status_code == 405
    assert agent_client.get(reverse("kb:publish", args=["refund-timing", "de"])).status_code == 405
