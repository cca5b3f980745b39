"""End to end in headless Chromium: a visitor searches the help centre, reads and rates an
article; a customer writing to us is helped by a suggested article instead."""

from pathlib import Path

import pytest
from django.core.cache import cache

from rapport.helpdesk.models import Conversation
from rapport.kb import actions
from rapport.kb.models import ArticleFeedback, EventKind, SelfServiceEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def help_centre(db):
    cache.clear()
    returns = actions.ensure_category(
        slug="returns-refunds", names={"de": "Rückgabe & Erstattung", "en": "Returns & refunds"}
    )
    shipping = actions.ensure_category(slug="shipping", names={"de": "Versand", "en": "Shipping"})
    for slug, language, title, body, category in [
        (
            "return-policy",
            "de",
            "Wie funktioniert die Rückgabe?",
            "Sie können Artikel innerhalb von **30 Tagen** zurückgeben. Die Rückgabe ist "
            "kostenlos: Drucken Sie das Etikett im Kundenkonto aus.",
            returns,
        ),
        (
            "return-policy",
            "en",
            "How do returns work?",
            "You can return items within **30 days**. Returns are free.",
            returns,
        ),
        (
            "delivery-time",
            "de",
            "Wie lange dauert der Versand?",
            "Der Versand dauert 1–3 Werktage.",
            shipping,
        ),
    ]:
        actions.save_translation(
            actor=None,
            slug=slug,
            language=language,
            title=title,
            body=body,
            category=category,
            publish=True,
        )


def test_visitor_searches_without_umlaut_reads_an_article_and_votes_helpful(
    live_server, chromium, help_centre
):
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/help/de/")
        page.get_by_role("link", name="Versand").wait_for()

        search = page.locator("#help-q")
        search.fill("Versand")
        search.press("Enter")
        page.wait_for_url("**/help/de/search/?q=Versand")
        page.get_by_role("link", name="Wie lange dauert der Versand?").wait_for()

        search = page.locator("#help-q")
        search.fill("Rueckgabe")
        search.press("Enter")
        page.wait_for_url("**/help/de/search/?q=Rueckgabe")
        assert page.locator(".help-snippet mark").first.inner_text() == "Rückgabe"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "help-search.png"), full_page=True)

        page.get_by_role("link", name="Wie funktioniert die Rückgabe?").click()
        page.wait_for_url("**/help/de/return-policy/")
        assert page.locator("article strong").inner_text() == "30 Tagen"

        page.locator("#feedback button[value=yes]").click()
        page.locator(".help-feedback-done").wait_for()
        page.screenshot(path=str(ARTIFACTS / "help-article.png"), full_page=True)
    finally:
        context.close()
    vote = ArticleFeedback.objects.get()
    assert vote.helpful and vote.translation.language == "de"
    kinds = list(SelfServiceEvent.objects.values_list("kind", flat=True))
    assert kinds.count(EventKind.SEARCH) == 2 and EventKind.VIEW in kinds


def test_customer_writing_to_us_is_answered_by_a_suggested_article(
    live_server, chromium, help_centre
):
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/portal/contact/")
        page.locator("#id_subject").fill("Rückgabe")
        page.locator("#id_text").press_sequentially("Wie funktioniert die Rückgabe?")
        suggestion = page.locator(".help-suggestion a", has_text="Wie funktioniert die Rückgabe?")
        suggestion.wait_for()
        assert suggestion.get_attribute("target") == "_blank"
        page.locator(".help-suggestion button").first.click()
        page.locator(".help-deflected").wait_for()
        assert page.locator("form textarea#id_text").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "help-deflected.png"), full_page=True)
    finally:
        context.close()
    assert SelfServiceEvent.objects.filter(kind=EventKind.DEFLECTED).count() == 1
    assert SelfServiceEvent.objects.filter(kind=EventKind.SUGGESTED).exists()
    assert not Conversation.objects.exists()
