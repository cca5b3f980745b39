"""The assistant in the chat widget, end to end: a question, an answer that did not help, a
person, and an agent who sees the whole exchange."""

from pathlib import Path

import pytest

from rapport.assistant.tests.test_sessions import REFUND_QUESTION, articles  # noqa: F401
from rapport.chat.models import AgentPresence, ChatSession
from rapport.chat.tests.conftest import _fresh_channel_layer, asgi_server  # noqa: F401
from rapport.chat.views import conversation_url
from rapport.conftest import PASSWORD
from rapport.factories import UserFactory
from rapport.helpdesk.models import Direction

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("articles"),
]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def wait_for(condition, page, timeout_ms=10_000):
    for _attempt in range(timeout_ms // 100):
        if condition():
            return True
        page.wait_for_timeout(100)
    return condition()


def test_a_visitor_asks_the_assistant_then_a_person_who_sees_the_whole_exchange(
    asgi_server,  # noqa: F811
    chromium,
):
    url = asgi_server.url
    UserFactory(username="alex", first_name="Alex", last_name="Agent", role="agent")
    agent_context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    visitor_context = chromium.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
    agent = agent_context.new_page()
    visitor = visitor_context.new_page()
    for page in (agent, visitor):
        page.set_default_timeout(15_000)

    # An agent is online (their chat console is open).
    agent.goto(f"{url}/login/")
    agent.get_by_label("Username").fill("alex")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Log in").click()
    agent.wait_for_load_state()
    agent.goto(f"{url}/chat/console/")
    assert wait_for(lambda: AgentPresence.objects.filter(user__username="alex").exists(), agent)

    # The visitor asks the assistant and gets the passage with a link to the article.
    visitor.goto(f"{url}/chat/demo/?lang=en")
    visitor.get_by_role("button", name="Chat with us").click()
    visitor.get_by_role("textbox", name="Your name").fill("Greta Lind")
    visitor.get_by_role("textbox", name="Your question").fill(REFUND_QUESTION)
    visitor.get_by_role("button", name="Ask the assistant").click()
    answers = visitor.get_by_role("log", name="Assistant")
    answers.get_by_text("3 to 5 working days", exact=False).wait_for()
    link = answers.get_by_role("link", name="Read the article: How long does a refund take?")
    assert link.get_attribute("href") == f"{url}/help/en/refund-timing/"

    # It did not help: the visitor talks to a person, and the live chat carries the exchange.
    answers.get_by_role("button", name="No").click()
    answers.get_by_text("Sorry about that.", exact=False).wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    visitor.screenshot(path=str(ARTIFACTS / "assistant-widget.png"))
    answers.get_by_role("button", name="Talk to a person").click()
    chat_log = visitor.get_by_role("log", name="Chat with our support")
    chat_log.get_by_text(REFUND_QUESTION, exact=True).wait_for()
    chat_log.get_by_text("3 to 5 working days", exact=False).wait_for()
    session = ChatSession.objects.get()
    conversation = session.conversation
    assert session.visitor_name == "Greta Lind"

    # The agent opens the conversation: the question, the answer with its explanation.
    agent.goto(f"{url}{conversation_url(conversation.pk)}")
    thread = agent.locator(".msg")
    thread.filter(has_text=REFUND_QUESTION).first.wait_for()
    answer = thread.filter(has_text="3 to 5 working days").first
    answer.get_by_text("Assistant: why this answer").click()
    answer.get_by_text("refund-timing", exact=False).first.wait_for()
    agent.screenshot(path=str(ARTIFACTS / "assistant-handover-agent.png"), full_page=True)

    # The agent answers in the chat and the visitor reads it.
    agent.wait_for_selector("[data-chat-console][data-connected=true]")
    console = agent.locator("[data-chat-console]")
    console.get_by_label("Chat reply").fill("Your refund is on its way.")
    console.get_by_role("button", name="Send").click()
    chat_log.get_by_text("Your refund is on its way.").wait_for()
    directions = list(
        conversation.messages.order_by("created_at", "id").values_list("direction", flat=True)
    )
    assert directions[:2] == [Direction.INBOUND, Direction.OUTBOUND]
    agent_context.close()
    visitor_context.close()
