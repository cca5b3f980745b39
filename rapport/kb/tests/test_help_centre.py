"""The public help centre: languages, categories, search, articles, votes, and bad input."""

import pytest
from django.test import Client

from rapport.kb import actions
from rapport.kb.models import ArticleFeedback, EventKind, SelfServiceEvent, Visibility

pytestmark = pytest.mark.django_db


def write(slug, language, title, body, **kwargs):
    kwargs.setdefault("publish", True)
    return actions.save_translation(
        actor=None, slug=slug, language=language, title=title, body=body, **kwargs
    ).translation


@pytest.fixture
def help_centre(db):
    returns = actions.ensure_category(
        slug="returns-refunds", names={"de": "Rückgabe & Erstattung", "en": "Returns & refunds"}
    )
    shipping = actions.ensure_category(
        slug="shipping", names={"de": "Versand", "en": "Shipping"}, position=1
    )
    write(
        "return-policy",
        "de",
        "Wie funktioniert die Rückgabe?",
        "## Rückgabe\n\nSie können Artikel innerhalb von **30 Tagen** zurückgeben. "
        "Drucken Sie das Rücksendeetikett im Kundenkonto aus.",
        keywords=["Rückgabe", "Widerruf"],
        category=returns,
    )
    write(
        "return-policy",
        "en",
        "How do returns work?",
        "## Returns\n\nYou can return items within **30 days**. Print the return label "
        "in your account.",
        keywords=["return", "withdrawal"],
        category=returns,
    )
    write(
        "refund-timing",
        "de",
        "Wann bekomme ich mein Geld zurück?",
        "Wie funktioniert die Erstattung nach Rückgabe oder Widerruf? "
        "Die Rückerstattung dauert 3–5 Werktage.",
        category=returns,
    )
    write(
        "gift-cards",
        "en",
        "Returning gift cards",
        "Gift cards cannot be returned once redeemed.",
        category=returns,
    )
    write(
        "delivery-time",
        "de",
        "Wie lange dauert der Versand?",
        "Der Versand dauert 1–3 Werktage.",
        category=shipping,
    )
    write(
        "internal-returns",
        "de",
        "Rückgabe intern: Kulanzregeln",
        "Nur für Mitarbeiter.",
        category=returns,
        visibility=Visibility.INTERNAL,
    )
    write(
        "draft-returns",
        "de",
        "Rückgabe Entwurf",
        "Noch nicht fertig.",
        category=returns,
        publish=False,
    )
    return {"returns": returns, "shipping": shipping}


def events(kind):
    return list(SelfServiceEvent.objects.filter(kind=kind).order_by("id"))


# --- Language ----------------------------------------------------------------------------------


def test_start_page_follows_the_browser_language_among_those_with_articles(client, help_centre):
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="fr-FR,de;q=0.8,en;q=0.5")
    assert response.status_code == 302 and response["Location"] == "/help/de/"


def test_start_page_falls_back_to_english_for_a_browser_language_without_articles(
    client, help_centre
):
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response["Location"] == "/help/en/"
    assert client.get("/help/")["Location"] == "/help/en/"


def test_start_page_takes_the_portal_customers_language_first(client, cast, help_centre):
    cast.customer.language = "de"
    cast.customer.save()
    client.force_login(cast.portal_user)
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Location"] == "/help/de/"


def test_start_page_lists_categories_in_the_url_language_with_links_to_switch(client, help_centre):
    page = client.get("/help/de/").content.decode()
    assert "Rückgabe &amp; Erstattung" in page and "Versand" in page
    assert 'href="/help/en/"' in page
    assert '<html lang="de">' in page
    assert "Hilfe" in page or "Help centre" in page
    english = client.get("/help/en/").content.decode()
    assert "Returns &amp; refunds" in english and '<html lang="en">' in english


@pytest.mark.parametrize(
    "path",
    [
        "/help/xx/",
        "/help/klingon/",
        "/help/DE-at%00/",
        "/help/%F0%9F%98%80/",
        "/help/zz/search/?q=return",
        "/help/xx/return-policy/",
        "/help/xx/category/shipping/",
    ],
)
def test_unknown_language_in_the_url_is_not_found(client, help_centre, path):
    assert client.get(path).status_code == 404


def test_portal_customer_sees_the_help_centre_in_the_portal_layout(client, cast, help_centre):
    client.force_login(cast.portal_user)
    page = client.get("/help/en/").content.decode()
    assert "My requests" in page and "Sign out" in page
    assert 'href="/assistant/portal/"' in page


# --- Categories and articles -----------------------------------------------------------------


def test_category_page_lists_public_articles_marking_those_in_another_language(client, help_centre):
    page = client.get("/help/de/category/returns-refunds/").content.decode()
    assert "Wie funktioniert die Rückgabe?" in page
    assert "Wann bekomme ich mein Geld zurück?" in page
    assert "Returning gift cards" in page and 'lang="en"' in page
    assert "Kulanzregeln" not in page and "Entwurf" not in page
    assert client.get("/help/de/category/nope/").status_code == 404


def test_article_page_renders_markdown_and_counts_a_view(client, help_centre):
    response = client.get("/help/de/return-policy/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>30 Tagen</strong>" in page and "<h2>Rückgabe</h2>" in page
    assert 'href="/help/en/return-policy/"' in page
    (view,) = events(EventKind.VIEW)
    assert view.translation.language == "de" and view.translation.article.slug == "return-policy"


def test_article_without_translation_is_shown_in_another_language_with_a_notice(
    client, help_centre
):
    page = client.get("/help/de/gift-cards/").content.decode()
    assert "Returning gift cards" in page
    assert 'class="help-fallback"' in page and "Englisch" in page
    assert '<article class="card help-article" lang="en">' in page


def test_article_shows_related_articles(client, help_centre):
    page = client.get("/help/de/return-policy/").content.decode()
    assert 'href="/help/de/refund-timing/"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/help/de/internal-returns/",
        "/help/de/draft-returns/",
        "/help/de/no-such/",
        "/help/de/return%00policy/",
        "/help/de/" + "a" * 300 + "/",
        "/help/de/%F0%9F%98%80/",
        "/help/de/category/ret%00urns/",
        "/help/de/category/%22%2A%28/",
    ],
)
def test_internal_draft_and_missing_articles_are_not_found(client, help_centre, path):
    assert client.get(path).status_code == 404
    assert not events(EventKind.VIEW)


def test_article_markdown_cannot_inject_script(client, help_centre):
    write("evil", "en", "Evil", "<script>alert(1)</script>\n\n[x](javascript:alert(1))")
    page = client.get("/help/en/evil/").content.decode()
    assert "<script>alert" not in page and "javascript:alert" not in page


def test_start_and_category_pages_read_a_fixed_number_of_queries(
    client, help_centre, django_assert_max_num_queries
):
    for n in range(25):
        write(f"more-{n}", "de", f"Rückgabe Nummer {n}", "Text", category=help_centre["returns"])
        write(f"more-{n}", "en", f"Return number {n}", "Text", category=help_centre["returns"])
    with django_assert_max_num_queries(8):
        assert client.get("/help/de/").status_code == 200
    with django_assert_max_num_queries(8):
        page = client.get("/help/de/category/returns-refunds/").content.decode()
    assert page.count('href="/help/de/more-') == 25


# --- Search ----------------------------------------------------------------------------------


def test_search_shows_highlighted_snippets_and_counts_the_search(client, help_centre):
    page = client.get("/help/de/search/", {"q": "Rueckgabe"}).content.decode()
    assert "Wie funktioniert die Rückgabe?" in page
    assert "<mark>Rückgabe</mark>" in page
    assert "Kulanzregeln" not in page and "Entwurf" not in page
    (search,) = events(EventKind.SEARCH)
    assert (search.query, search.language, search.source) == ("Rueckgabe", "de", "help_centre")
    assert not events(EventKind.SEARCH_EMPTY)


def test_search_without_result_offers_contact_and_counts_a_content_gap(client, help_centre):
    page = client.get("/help/en/search/", {"q": "teleporter"}).content.decode()
    assert 'href="/portal/contact/"' in page
    assert "teleporter" in page
    assert [e.query for e in events(EventKind.SEARCH_EMPTY)] == ["teleporter"]
    assert len(events(EventKind.SEARCH)) == 1


def test_search_escapes_the_query_in_the_page(client, help_centre):
    page = client.get("/help/en/search/", {"q": "<img src=x onerror=alert(1)>"}).content.decode()
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "a",
        "x" * 10_000,
        "Rückgabe " * 2_000,
        "😀🎉🙈",
        "\x00\x01binary\x00",
        '"Rückgabe',
        "Rück*",
        "Rückgabe NEAR Versand",
        "-Rückgabe",
        "title:Rückgabe",
        "(Rückgabe OR (Versand",
        "AND OR NOT",
        "'; DROP TABLE kb_article; --",
    ],
)
def test_bad_queries_give_a_page_never_an_error(client, help_centre, query):
    response = client.get("/help/de/search/", {"q": query})
    assert response.status_code == 200
    assert "\x00" not in response.content.decode()


def test_empty_query_is_not_counted_and_asks_for_a_word(client, help_centre):
    page = client.get("/help/de/search/", {"q": "  "}).content.decode()
    assert not SelfServiceEvent.objects.exists()
    assert 'name="q"' in page


def test_long_query_is_shortened_before_searching_and_counting(client, help_centre):
    client.get("/help/de/search/", {"q": "Rückgabe " * 2_000})
    (search,) = events(EventKind.SEARCH)
    assert len(search.query) <= 200


# --- Votes -----------------------------------------------------------------------------------


def test_helpful_vote_with_comment_is_recorded_once_per_browser_session(client, help_centre):
    url = "/help/de/return-policy/feedback/"
    response = client.post(url, {"helpful": "no", "comment": "Wo finde ich das Etikett?"})
    assert response.status_code == 302
    assert response["Location"] == "/help/de/return-policy/#feedback"
    again = client.post(url, {"helpful": "yes"})
    assert again.status_code == 302
    (vote,) = ArticleFeedback.objects.all()
    assert not vote.helpful and vote.comment == "Wo finde ich das Etikett?"
    assert vote.translation.language == "de"
    assert len(events(EventKind.NOT_HELPFUL)) == 1 and not events(EventKind.HELPFUL)
    page = client.get("/help/de/return-policy/").content.decode()
    assert 'name="helpful"' not in page

    other_browser = Client()
    other_browser.post(url, {"helpful": "yes"})
    assert ArticleFeedback.objects.count() == 2


def test_vote_through_htmx_answers_with_a_thank_you_fragment(client, help_centre):
    response = client.post(
        "/help/en/return-policy/feedback/", {"helpful": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "Thank you for your feedback." in body
    assert events(EventKind.HELPFUL)[0].translation.language == "en"


def test_vote_on_a_fallback_article_counts_for_the_version_shown(client, help_centre):
    client.post("/help/de/gift-cards/feedback/", {"helpful": "yes"})
    assert ArticleFeedback.objects.get().translation.language == "en"


@pytest.mark.parametrize("slug", ["draft-returns", "internal-returns", "no-such"])
def test_vote_on_a_draft_internal_or_missing_article_is_not_found(client, help_centre, slug):
    response = client.post(f"/help/de/{slug}/feedback/", {"helpful": "yes"})
    assert response.status_code == 404
    assert not ArticleFeedback.objects.exists()


@pytest.mark.parametrize(
    "data", [{}, {"helpful": "maybe"}, {"helpful": "yes", "comment": "x" * 2001}]
)
def test_invalid_vote_is_refused_with_a_message(client, help_centre, data):
    response = client.post("/help/en/return-policy/feedback/", data)
    assert response.status_code == 400
    assert not ArticleFeedback.objects.exists()


def test_vote_comment_with_binary_data_is_refused_and_control_characters_dropped(
    client, help_centre
):
    url = "/help/en/return-policy/feedback/"
    assert client.post(url, {"helpful": "no", "comment": "bad\x00 label"}).status_code == 400
    assert not ArticleFeedback.objects.exists()
    client.post(url, {"helpful": "no", "comment": "bad\x07 label"})
    assert ArticleFeedback.objects.get().comment == "bad label"


def test_vote_on_a_binary_slug_is_not_found(client, help_centre):
    response = client.post("/help/en/return%00policy/feedback/", {"helpful": "yes"})
    assert response.status_code == 404


def test_vote_without_csrf_token_is_forbidden(help_centre):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/help/en/return-policy/feedback/", {"helpful": "yes"})
    assert response.status_code == 403
    assert not ArticleFeedback.objects.exists()


def test_vote_must_be_posted(client, help_centre):
    assert client.get("/help/en/return-policy/feedback/").status_code == 405
