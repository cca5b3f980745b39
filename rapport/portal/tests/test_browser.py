"""End to end in headless Chromium: a customer signs in by email link and sees the whole thread."""

import re
from pathlib import Path

import pytest

from rapport.helpdesk import actions
from rapport.helpdesk.models import Channel, Direction, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def test_customer_signs_in_by_link_sees_every_channel_but_no_notes_and_replies(
    live_server, chromium, cast, mailoutbox
):
    conversation = actions.receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        subject="Parcel never arrived",
        body_text="My parcel has not arrived yet.",
        sender_address="anna@example.org",
    ).message.conversation
    actions.send_reply(conversation=conversation, author=cast.agent, body_text="We are on it.")
    actions.receive_message(
        customer=cast.customer,
        channel=Channel.CHAT,
        conversation=conversation,
        body_text="Any news from the carrier?",
    )
    actions.log_call(
        customer=cast.customer,
        agent=cast.agent,
        direction="outbound",
        duration_seconds=180,
        conversation=conversation,
        notes="Carrier confirmed delivery tomorrow",
    )
    actions.add_internal_note(
        conversation=conversation, author=cast.agent, body_text="Customer is upset, be gentle"
    )
    mailoutbox.clear()

    context = chromium.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/portal/login/")
        page.locator("input[name=link-email]").fill("anna@example.org")
        page.get_by_role("button", name="Send me a sign-in link").click()
        page.wait_for_url(f"{live_server.url}/portal/login/sent/")
        (mail,) = mailoutbox
        link = re.search(r"https?://\S+/portal/login/link/\S+/", mail.body).group(0)
        page.goto(live_server.url + link[link.index("/portal/") :])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name=conversation.number).click()

        thread = page.locator(".portal-thread")
        thread.get_by_text("My parcel has not arrived yet.").wait_for()
        thread.get_by_text("We are on it.").wait_for()
        thread.get_by_text("Any news from the carrier?").wait_for()
        thread.get_by_text("We called you.").wait_for()
        assert "be gentle" not in page.content()
        assert "Carrier confirmed" not in page.content()  # the agent's call notes are internal

        page.locator("textarea[name=text]").fill("Thank you, I will be at home.")
        page.get_by_role("button", name="Send reply").click()
        page.locator(".portal-thread").get_by_text("Thank you, I will be at home.").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "portal-conversation.png"), full_page=True)
    finally:
        context.close()
    reply = Message.objects.get(body_text="Thank you, I will be at home.")
    assert reply.conversation == conversation
    assert (reply.channel, reply.direction) == (Channel.PORTAL, Direction.INBOUND)
