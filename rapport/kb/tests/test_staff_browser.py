"""In headless Chromium: the editor's live preview, and inserting an article into a reply."""

import pytest

from rapport.conftest import PASSWORD
from rapport.helpdesk.tests.helpers import conversation_for
from rapport.kb import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, next_url):
    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}{next_url}")


def test_the_editor_previews_markdown_as_the_agent_types(live_server, chromium, cast):
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, "agent", "/kb/new/")
        page.get_by_label("Slug").fill("gift-wrapping")
        page.get_by_label("Title").fill("Can you wrap a gift?")
        page.get_by_label("Text (Markdown)").fill("## Wrapping\n\nYes, for **3 EUR**.")
        page.locator("#kb-preview h2", has_text="Wrapping").wait_for()
        assert page.locator("#kb-preview strong").inner_text() == "3 EUR"
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_url(f"{live_server.url}/kb/articles/gift-wrapping/")
    finally:
        context.close()


def test_an_agent_inserts_an_article_link_into_the_reply(live_server, chromium, cast):
    actions.save_translation(
        actor=None,
        slug="refund-timing",
        language="en",
        title="When do I get my money back?",
        body="Refunds take 3-5 working days.",
        publish=True,
    )
    conversation = conversation_for(
        cast.customer, team=cast.team_a, subject="Refund?", text="Where is my money?"
    )
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, "agent", f"/helpdesk/{conversation.pk}/")
        reply = page.locator("#reply-form textarea[name=body]")
        reply.fill("Hello, please see: ")
        page.locator("#kb-agent-panel summary").click()
        page.get_by_label("Search articles").fill("refund")
        page.get_by_role("button", name="Insert link").click()
        assert reply.input_value() == (
            "Hello, please see: When do I get my money back?: "
            "http://127.0.0.1:8000/help/en/refund-timing/"
        ) or reply.input_value().endswith("/help/en/refund-timing/")
        page.get_by_role("button", name="Insert text").click()
        assert "Refunds take 3-5 working days." in reply.input_value()
    finally:
        context.close()
