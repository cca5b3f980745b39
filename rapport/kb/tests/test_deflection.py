"""Deflection: articles suggested while a customer writes to us, and "This answered my question"."""

import pytest
from django.core.cache import cache
from django.test import Client

from rapport.helpdesk.models import Conversation
from rapport.kb import actions
from rapport.kb.models import EventKind, SelfServiceEvent, Visibility

pytestmark = pytest.mark.django_db

SUGGEST = "/help/suggestions/"
DEFLECTED = "/help/deflected/"


def write(slug, language, title, body, **kwargs):
    kwargs.setdefault("publish", True)
    return actions.save_translation(
        actor=None, slug=slug, language=language, title=title, body=body, **kwargs
    ).translation


@pytest.fixture
def articles(db):
    cache.clear()  # the contact form's rate limits
    return {
        "de": write(
            "return-policy",
            "de",
            "Wie funktioniert die Rückgabe?",
            "Sie können Artikel innerhalb von 30 Tagen zurückgeben.",
        ),
        "en": write(
            "return-policy",
            "en",
            "How do returns work?",
            "You can return items within 30 days.",
        ),
        "internal": write(
            "return-internal",
            "de",
            "Wie funktioniert die Rückgabe intern?",
            "Kulanz.",
            visibility=Visibility.INTERNAL,
        ),
        "draft": write(
            "return-draft", "de", "Wie funktioniert die Rückgabe im Entwurf?", "-", publish=False
        ),
    }


def suggest(client, text, subject="Rückgabe", source="contact_form", **headers):
    return client.get(
        SUGGEST,
        {"subject": subject, "text": text, "source": source},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="de",
        **headers,
    )


def events(kind):
    return list(SelfServiceEvent.objects.filter(kind=kind).order_by("id"))


def test_contact_form_and_new_request_page_ask_for_suggestions_while_typing(client, cast):
    contact = client.get("/portal/contact/").content.decode()
    assert 'hx-get="/help/suggestions/"' in contact and '"source": "contact_form"' in contact
    assert 'id="deflect"' in contact
    client.force_login(cast.portal_user)
    portal = client.get("/portal/new/").content.decode()
    assert 'hx-get="/help/suggestions/"' in portal and '"source": "portal"' in portal


def test_matching_articles_are_suggested_and_counted_once(client, articles):
    response = suggest(client, "Wie funktioniert die Rückgabe?")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Wie funktioniert die Rückgabe?" in body
    assert 'href="/help/de/return-policy/"' in body and 'target="_blank"' in body
    assert "This answered my question" in body or "Frage beantwortet" in body
    assert "intern" not in body and "Entwurf" not in body
    suggest(client, "Wie funktioniert die Rückgabe?")
    (event,) = events(EventKind.SUGGESTED)
    assert event.source == "contact_form" and event.language == "de"
    assert event.data["articles"][0] == "return-policy"
    assert "Rückgabe" in event.query


def test_nothing_is_suggested_before_three_words_or_fifteen_characters(client, articles):
    response = suggest(client, "", subject="Rückgabe")
    assert response.status_code == 200
    assert "return-policy" not in response.content.decode()
    assert not SelfServiceEvent.objects.exists()


def test_unknown_form_is_refused(client, articles):
    assert suggest(client, "Wie funktioniert die Rückgabe?", source="chat").status_code == 400
    assert client.get(SUGGEST).status_code == 400


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "😀 " * 50,
        "\x00\x00 binary \x01 data here",
        '"NEAR" * - : ( ) Rückgabe) AND (',
        "Rückgabe " * 3_000,
    ],
)
def test_bad_text_gives_a_fragment_never_an_error(client, articles, text):
    response = suggest(client, text)
    assert response.status_code == 200
    for event in events(EventKind.SUGGESTED):
        assert len(event.query) <= 500 and "\x00" not in event.query


def test_this_answered_my_question_counts_a_deflection_and_creates_no_conversation(
    client, articles
):
    suggest(client, "Wie funktioniert die Rückgabe?")
    data = {
        "translation": articles["de"].pk,
        "source": "contact_form",
        "q": "Rückgabe Wie funktioniert die Rückgabe?",
    }
    response = client.post(DEFLECTED, data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<div id="deflect"' in body and "<html" not in body
    assert 'href="/portal/contact/"' in body
    client.post(DEFLECTED, data, HTTP_HX_REQUEST="true")  # a double click
    (event,) = events(EventKind.DEFLECTED)
    assert event.translation == articles["de"]
    assert event.query == "Rückgabe Wie funktioniert die Rückgabe?"
    assert event.source == "contact_form"
    assert not Conversation.objects.exists()


def test_deflection_without_script_shows_a_thank_you_page(client, articles):
    response = client.post(
        DEFLECTED, {"translation": articles["en"].pk, "source": "portal", "q": "returns"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and 'href="/portal/new/"' in body
    assert events(EventKind.DEFLECTED)[0].source == "portal"


def test_portal_customers_deflection_is_counted_for_them(client, cast, articles):
    client.force_login(cast.portal_user)
    suggest(client, "Wie funktioniert die Rückgabe?", source="portal")
    client.post(
        DEFLECTED,
        {"translation": articles["de"].pk, "source": "portal", "q": "Rückgabe"},
        HTTP_HX_REQUEST="true",
    )
    assert events(EventKind.SUGGESTED)[0].customer == cast.customer
    assert events(EventKind.DEFLECTED)[0].customer == cast.customer


@pytest.mark.parametrize("which", ["internal", "draft"])
def test_deflection_with_an_internal_or_draft_article_is_not_found(client, articles, which):
    response = client.post(
        DEFLECTED, {"translation": articles[which].pk, "source": "portal", "q": "x"}
    )
    assert response.status_code == 404
    assert not SelfServiceEvent.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"translation": "abc", "source": "portal"},
        {"translation": "", "source": "portal"},
        {"translation": "999999", "source": "portal"},
        {"translation": "1\x00", "source": "portal"},
        {"translation": "9" * 30, "source": "portal"},
        {"translation": "-1", "source": "portal"},
    ],
)
def test_deflection_with_a_bad_article_id_is_not_found(client, articles, data):
    assert client.post(DEFLECTED, data).status_code == 404


def test_deflection_from_an_unknown_form_is_refused(client, articles):
    response = client.post(DEFLECTED, {"translation": articles["de"].pk, "source": "chat"})
    assert response.status_code == 400


def test_deflection_without_csrf_token_is_forbidden(articles):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(DEFLECTED, {"translation": articles["de"].pk, "source": "portal"})
    assert response.status_code == 403
    assert not SelfServiceEvent.objects.exists()


def test_deflection_must_be_posted(client, articles):
    assert client.get(DEFLECTED).status_code == 405


def test_submitting_the_contact_form_anyway_still_creates_the_conversation(client, articles):
    suggest(client, "Wie funktioniert die Rückgabe?")
    response = client.post(
        "/portal/contact/",
        {
            "name": "Clara Vogel",
            "email": "clara@example.net",
            "subject": "Rückgabe",
            "text": "Wie funktioniert die Rückgabe?",
            "consent": "on",
            "website": "",
        },
    )
    assert response.status_code == 302
    assert Conversation.objects.count() == 1
    assert not events(EventKind.DEFLECTED)


def test_submitting_a_new_portal_request_anyway_still_creates_the_conversation(
    client, cast, articles
):
    client.force_login(cast.portal_user)
    suggest(client, "Wie funktioniert die Rückgabe?", source="portal")
    response = client.post(
        "/portal/new/", {"subject": "Rückgabe", "text": "Wie funktioniert die Rückgabe?"}
    )
    assert response.status_code == 302
    assert Conversation.objects.get().customer == cast.customer
