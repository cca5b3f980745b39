"""Agents' knowledge-base tools on the conversation page: search and insert, draft an article."""

import pytest
from django.urls import reverse

from rapport.helpdesk.tests.helpers import conversation_for
from rapport.kb import actions
from rapport.kb.models import Article, ArticleStatus, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(db):
    actions.save_translation(
        actor=None,
        slug="refund-timing",
        language="de",
        title="Wann bekomme ich mein Geld?",
        body="Die **Erstattung** dauert 3–5 Werktage.",
        publish=True,
    )
    actions.save_translation(
        actor=None,
        slug="refund-timing",
        language="en",
        title="When do I get my money back?",
        body="The **refund** takes 3-5 working days.",
        publish=True,
    )
    actions.save_translation(
        actor=None,
        slug="refund-exceptions",
        language="en",
        title="Refund exceptions (staff)",
        body="Refund goodwill up to 20 EUR.",
        publish=True,
        visibility=Visibility.INTERNAL,
    )


def search(client, conversation, q):
    return client.get(reverse("kb:agent_search"), {"q": q, "conversation": conversation.pk})


def test_the_conversation_page_has_the_panel_and_the_draft_button(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    text = agent_client.get(reverse("helpdesk:conversation", args=[conversation.pk])).content
    text = text.decode()
    assert 'id="kb-agent-panel"' in text
    assert reverse("kb:agent_search") in text
    assert reverse("kb:from_conversation", args=[conversation.pk]) in text
    assert "Create an article from this conversation" in text


def test_search_shows_articles_in_the_conversations_language_with_link_and_text(
    agent_client, cast, articles
):
    conversation = conversation_for(cast.customer, team=cast.team_a, language="de")
    response = search(agent_client, conversation, "refund")
    assert response.status_code == 200
    results = response.context["results"]
    shown = {(r["hit"].translation.article.slug, r["hit"].translation.language) for r in results}
    assert ("refund-timing", "de") in shown  # found in English, shown in German
    first = next(r for r in results if r["hit"].translation.article.slug == "refund-timing")
    assert first["link"] == "http://127.0.0.1:8000/help/de/refund-timing/" or first[
        "link"
    ].endswith("/help/de/refund-timing/")
    assert first["text"] == "Die Erstattung dauert 3–5 Werktage."
    text = response.content.decode()
    assert "Insert link" in text and "Insert text" in text


def test_internal_articles_offer_their_text_but_no_public_link(agent_client, cast, articles):
    conversation = conversation_for(cast.customer, team=cast.team_a, language="en")
    results = search(agent_client, conversation, "goodwill").context["results"]
    assert len(results) == 1 and results[0]["internal"] and results[0]["link"] == ""


@pytest.mark.parametrize("q", ["", "x", "🙂", '"NEAR(*)" -:', "a" * 10_000, "\x00"])
def test_odd_queries_answer_without_error(agent_client, cast, articles, q):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    assert search(agent_client, conversation, q).status_code == 200


def test_search_needs_a_conversation_the_agent_may_see(agent_client, cast, articles):
    other = conversation_for(cast.other_customer, team=cast.team_b)
    assert search(agent_client, other, "refund").status_code == 404
    response = agent_client.get(reverse("kb:agent_search"), {"q": "x", "conversation": "abc"})
    assert response.status_code == 404


def test_marketers_and_customers_may_not_use_the_agent_search(client, cast, articles):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    for user in (cast.marketer, cast.portal_user):
        client.force_login(user)
        assert search(client, conversation, "refund").status_code == 403


def test_an_agent_drafts_an_article_from_a_conversation_and_lands_in_the_editor(agent_client, cast):
    conversation = conversation_for(
        cast.customer,
        team=cast.team_a,
        subject="Gutschein lässt sich nicht einlösen",
        text="Mein Gutscheincode wird abgelehnt.",
        language="de",
    )
    response = agent_client.post(reverse("kb:from_conversation", args=[conversation.pk]))
    article = Article.objects.get()
    assert article.source_conversation == conversation
    translation = article.translations.get()
    assert translation.status == ArticleStatus.DRAFT and translation.language == "de"
    assert "Mein Gutscheincode wird abgelehnt." in translation.body
    assert response.status_code == 302
    assert response.url == reverse("kb:edit", args=[article.slug, "de"])
    assert agent_client.get(response.url).status_code == 200


def test_drafting_from_a_conversation_the_agent_may_not_see_is_refused(agent_client, cast):
    other = conversation_for(cast.other_customer, team=cast.team_b)
    response = agent_client.post(reverse("kb:from_conversation", args=[other.pk]))
    assert response.status_code == 404
    assert agent_client.get(reverse("kb:from_conversation", args=[other.pk])).status_code == 405
    assert not Article.objects.exists()
