"""Two browsers, one chat: a visitor on the demo site and an agent in the console."""

from pathlib import Path

import pytest

from rapport.chat.models import AgentPresence, ChatSession
from rapport.chat.views import conversation_url
from rapport.conftest import PASSWORD
from rapport.factories import UserFactory
from rapport.helpdesk.models import Channel, Direction, Message
from rapport.timeline.models import TimelineEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def wait_for(condition, page, timeout_ms=10_000):
    for _attempt in range(timeout_ms // 100):
        if condition():
            return True
        page.wait_for_timeout(100)
    return condition()


def test_a_visitor_and_an_agent_chat_both_ways_with_typing_indicators(asgi_server, chromium):
    url = asgi_server.url
    UserFactory(username="alex", first_name="Alex", last_name="Agent", role="agent")
    agent_context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    visitor_context = chromium.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
    agent = agent_context.new_page()
    visitor = visitor_context.new_page()
    for page in (agent, visitor):
        page.set_default_timeout(15_000)

    # The agent logs in and opens the chat console: from then on the chat is online.
    agent.goto(f"{url}/login/")
    agent.get_by_label("Username").fill("alex")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Log in").click()
    agent.wait_for_load_state()
    agent.goto(f"{url}/chat/console/")
    assert wait_for(lambda: AgentPresence.objects.filter(user__username="alex").exists(), agent)

    # The visitor opens the shop's page, the widget, and starts a chat.
    visitor.goto(f"{url}/chat/demo/?lang=en")
    visitor.get_by_role("button", name="Chat with us").click()
    # Only the form on show counts: get_by_role skips the hidden offline form.
    visitor.get_by_role("textbox", name="Your name").fill("Greta Lind")
    visitor.get_by_role("textbox", name="Email (optional)").fill("greta@example.org")
    visitor.get_by_role("textbox", name="Your question").fill("Is the green tea in stock?")
    visitor.get_by_role("button", name="Start chat").click()
    log = visitor.get_by_role("log")
    log.get_by_text("Is the green tea in stock?").wait_for()
    session = ChatSession.objects.get()
    conversation = session.conversation

    # The console list shows the chat and links to the conversation in the inbox, whose
    # page carries the chat console.
    agent.reload()
    agent.get_by_role("link", name=conversation.number).click()
    agent.wait_for_url(f"{url}{conversation_url(conversation.pk)}")
    console = agent.locator("[data-chat-console]")
    console.get_by_text("Is the green tea in stock?").wait_for()
    agent.wait_for_selector("[data-chat-console][data-connected=true]")

    # Visitor -> agent, with the typing indicator first.
    message_box = visitor.get_by_role("textbox", name="Message")
    message_box.press_sequentially("Also the black one")
    agent.get_by_text("Greta Lind is typing…").wait_for()
    message_box.press("Enter")
    console.get_by_text("Also the black one").wait_for()

    # Agent -> visitor, with the typing indicator first.
    reply_box = console.get_by_label("Chat reply")
    reply_box.press_sequentially("Yes, both are")
    visitor.get_by_text("Alex is typing…").wait_for()
    reply_box.press_sequentially(" in stock.")
    console.get_by_role("button", name="Send").click()
    log.get_by_text("Yes, both are in stock.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    visitor.screenshot(path=str(ARTIFACTS / "chat-visitor.png"))
    agent.screenshot(path=str(ARTIFACTS / "chat-agent-console.png"), full_page=True)

    # Both messages are stored in the conversation and in the customer's timeline.
    inbound = Message.objects.get(body_text="Also the black one")
    reply = Message.objects.get(body_text="Yes, both are in stock.")
    assert inbound.conversation == conversation and inbound.direction == Direction.INBOUND
    assert reply.conversation == conversation and reply.direction == Direction.OUTBOUND
    assert {inbound.channel, reply.channel} == {Channel.CHAT}
    assert reply.author.username == "alex"
    for message in (inbound, reply):
        assert TimelineEvent.objects.filter(
            customer=session.customer, dedupe_key=f"helpdesk.message:{message.pk}"
        ).exists()
    agent_context.close()
    visitor_context.close()
