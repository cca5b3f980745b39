"""End to end in headless Chromium: open the inbox, open a conversation by keyboard, reply."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from rapport.conftest import PASSWORD
from rapport.helpdesk.models import Direction, Message
from rapport.helpdesk.tests.helpers import conversation_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def test_agent_opens_a_conversation_with_the_keyboard_and_replies(live_server, chromium, cast):
    conversation = conversation_for(
        cast.customer, team=cast.team_a, subject="Parcel never arrived", text="Where is it?"
    )
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/?next=/helpdesk/%3Fview%3Dall")
        page.get_by_label("Username").fill("agent")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("tr.inbox-row")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "helpdesk-inbox.png"))

        page.keyboard.press("?")
        page.get_by_role("dialog").get_by_text("Next / previous conversation").wait_for()
        page.keyboard.press("Escape")
        page.keyboard.press("j")
        page.locator("tr.inbox-row.is-current").wait_for()
        page.keyboard.press("o")
        page.wait_for_url(f"{live_server.url}/helpdesk/{conversation.pk}/")

        page.keyboard.press("r")
        reply = page.locator("#reply-form textarea[name=body]")
        assert reply.evaluate("el => el === document.activeElement")
        reply.fill("It is on its way, tracking number 123.")
        page.get_by_role("button", name="Send reply").click()
        page.locator(".thread-list .msg.dir-outbound", has_text="tracking number 123").wait_for()
        page.screenshot(path=str(ARTIFACTS / "helpdesk-conversation.png"), full_page=True)
    finally:
        context.close()
    sent = Message.objects.get(conversation=conversation, body_text__contains="tracking number 123")
    assert sent.direction == Direction.OUTBOUND and sent.author == cast.agent


def test_agent_mentions_a_colleague_chosen_from_the_suggestions(live_server, chromium, cast):
    conversation = conversation_for(
        cast.customer, team=cast.team_a, subject="Refund", text="Please refund me."
    )
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/?next=/helpdesk/{conversation.pk}/")
        page.get_by_label("Username").fill("agent")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/helpdesk/{conversation.pk}/")
        page.keyboard.press("n")
        note = page.locator("#note-form textarea[name=body]")
        note.click()
        note.press_sequentially("Could @oth")
        # Each keystroke asks the server again; earlier answers may briefly list the
        # colleague lower down, so wait until the final answer has selected them.
        option = page.get_by_role("option", name="(@other_agent)")
        expect(option).to_have_attribute("aria-selected", "true")
        note.press("Enter")
        note.press_sequentially("check the payment?")
        assert note.input_value() == "Could @other_agent check the payment?"
        page.get_by_role("button", name="Add note").click()
        page.locator(".thread-list .msg", has_text="check the payment").wait_for()
    finally:
        context.close()
    saved = Message.objects.get(conversation=conversation, direction=Direction.NOTE)
    assert saved.data["mentions"] == [cast.other_agent.pk]
