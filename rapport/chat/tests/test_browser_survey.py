"""Two browsers: the agent solves the chat's conversation, the visitor rates it in the widget."""

import pytest

from rapport.chat.models import AgentPresence, ChatSession, SessionStatus
from rapport.chat.tests.test_browser import ARTIFACTS, wait_for
from rapport.chat.views import conversation_url
from rapport.conftest import PASSWORD
from rapport.factories import UserFactory
from rapport.feedback.models import SurveyChannel, SurveyInvitation, SurveyResponse
from rapport.helpdesk.models import ConversationEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_visitor_rates_a_solved_chat_in_the_widget_and_the_answer_is_stored(
    asgi_server, chromium
):
    url = asgi_server.url
    UserFactory(username="alex", first_name="Alex", last_name="Agent", role="agent")
    agent_context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    visitor_context = chromium.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
    agent = agent_context.new_page()
    visitor = visitor_context.new_page()
    for page in (agent, visitor):
        page.set_default_timeout(15_000)

    agent.goto(f"{url}/login/")
    agent.get_by_label("Username").fill("alex")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Log in").click()
    agent.wait_for_load_state()
    agent.goto(f"{url}/chat/console/")
    assert wait_for(lambda: AgentPresence.objects.filter(user__username="alex").exists(), agent)

    visitor.goto(f"{url}/chat/demo/?lang=en")
    visitor.get_by_role("button", name="Chat with us").click()
    visitor.get_by_role("textbox", name="Your name").fill("Greta Lind")
    visitor.get_by_role("textbox", name="Email (optional)").fill("greta@example.org")
    visitor.get_by_role("textbox", name="Your question").fill("Is the green tea in stock?")
    visitor.get_by_role("button", name="Start chat").click()
    visitor.get_by_role("log").get_by_text("Is the green tea in stock?").wait_for()
    conversation = ChatSession.objects.get().conversation

    # The agent solves the conversation on its page; the console there ends the chat.
    agent.goto(f"{url}{conversation_url(conversation.pk)}")
    agent.wait_for_selector("[data-chat-console][data-connected=true]")
    agent.locator("#solve-form button").click()
    agent.wait_for_load_state()

    # The widget asks, in the chat, with a button per score.
    question = visitor.get_by_text("How satisfied are you with how we handled your request?")
    question.wait_for()
    scores = visitor.get_by_role("group", name="How satisfied are you")
    assert scores.get_by_role("button").count() == 5
    scores.get_by_role("button", name="5 of 5: Very satisfied").click()
    visitor.get_by_role("status").filter(has_text="Thank you for your answer.").wait_for()
    assert wait_for(lambda: SurveyResponse.objects.exists(), visitor)

    # By keyboard, another score changes the answer (never a second one).
    four = scores.get_by_role("button", name="4 of 5: Satisfied")
    four.focus()
    four.press("Enter")
    visitor.get_by_text("Thank you: your answer has been changed.").wait_for()
    assert four.get_attribute("aria-pressed") == "true"

    visitor.get_by_role("textbox", name="What is the main reason for your rating?").fill(
        "Quick answer, thank you"
    )
    visitor.get_by_role("button", name="Send comment").click()
    visitor.get_by_text("Thank you for your comment.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    visitor.screenshot(path=str(ARTIFACTS / "chat-survey-visitor.png"))

    response = SurveyResponse.objects.get()
    assert (response.score, response.changes, response.channel) == (4, 1, SurveyChannel.CHAT)
    assert response.comment == "Quick answer, thank you"
    assert response.conversation == conversation
    assert SurveyInvitation.objects.get().channel == SurveyChannel.CHAT
    assert ChatSession.objects.get().status == SessionStatus.ENDED
    assert ConversationEvent.objects.filter(conversation=conversation, kind="survey").exists()
    agent_context.close()
    visitor_context.close()
