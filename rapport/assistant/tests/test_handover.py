"""Handing the exchange over to a person: one conversation holding all of it, never twice."""

import pytest
from django.core.exceptions import ValidationError

from rapport.assistant import actions
from rapport.assistant.models import AssistantSession, SessionChannel, SessionStatus
from rapport.assistant.tests.test_sessions import NONSENSE, REFUND_QUESTION, articles  # noqa: F401
from rapport.chat.models import ChatSession
from rapport.chat.queries import session_for_token, visitor_messages
from rapport.helpdesk.actions import receive_message
from rapport.helpdesk.models import (
    OPEN_STATUSES,
    Channel,
    Conversation,
    Direction,
    Message,
    MessageKind,
)
from rapport.kb.models import EventKind, SelfServiceEvent

# Every test has the small help centre of test_sessions.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("articles")]


def exchange(channel=SessionChannel.CHAT, **kwargs) -> AssistantSession:
    kwargs.setdefault("language", "en")
    session = actions.start_session(channel=channel, **kwargs).session
    first = actions.ask_question(session=session, question=REFUND_QUESTION).reply
    actions.rate_answer(session=session, turn_id=first.pk, helpful=False)
    actions.ask_question(session=session, question=NONSENSE)
    return session


def thread(conversation: Conversation) -> list[Message]:
    """Return the conversation's messages without the helpdesk's acknowledgements."""
    return [
        m
        for m in conversation.messages.order_by("created_at", "id")
        if m.kind != MessageKind.SYSTEM or "assistant" in m.data
    ]


def test_a_chat_hand_over_starts_the_live_chat_with_the_whole_exchange():
    session = exchange()
    result = actions.hand_over(
        session=session, mode="chat", name="Greta Lind", email="greta@example.org"
    )
    conversation = result.conversation
    messages = thread(conversation)
    assert [(m.direction, m.kind) for m in messages] == [
        (Direction.INBOUND, MessageKind.NORMAL),
        (Direction.OUTBOUND, MessageKind.SYSTEM),
        (Direction.INBOUND, MessageKind.NORMAL),
        (Direction.OUTBOUND, MessageKind.SYSTEM),
    ]
    assert messages[0].body_text == REFUND_QUESTION and messages[2].body_text == NONSENSE
    assert {m.channel for m in messages} == {Channel.CHAT}
    answer = messages[1].data["assistant"]
    assert answer["article"]["slug"] == "refund-timing" and answer["helpful"] is False
    assert "3 to 5 working days" in messages[1].body_text
    assert "/help/en/refund-timing/" in messages[1].body_text
    assert messages[3].data["assistant"]["handoff"] is True
    assert conversation.status in OPEN_STATUSES
    assert conversation.customer.display_name == "Greta Lind"

    # The visitor's live chat holds the same exchange, and the agent answers there.
    chat = session_for_token(result.chat_token)
    assert chat is not None and chat.conversation == conversation
    assert [m.pk for m in visitor_messages(chat)] == [m.pk for m in messages]

    session.refresh_from_db()
    assert session.status == SessionStatus.HANDED_OVER and session.conversation == conversation
    event = SelfServiceEvent.objects.get(kind=EventKind.HANDOVER)
    assert event.data["conversation"] == conversation.pk and event.source == "chat"


def test_an_email_hand_over_needs_an_address_and_creates_the_customer():
    session = exchange()
    with pytest.raises(ValidationError) as info:
        actions.hand_over(session=session, mode="email")
    assert "email" in info.value.message_dict
    assert not Conversation.objects.exists()

    result = actions.hand_over(
        session=session, mode="email", name="Greta Lind", email="Greta@Example.org"
    )
    conversation = result.conversation
    assert conversation.customer.contact_points.filter(value="greta@example.org").exists()
    assert len(thread(conversation)) == 4
    assert not ChatSession.objects.exists() and result.chat_token == ""


def test_a_known_customers_open_conversation_is_continued(cast):
    earlier = receive_message(
        customer=cast.customer, channel=Channel.EMAIL, body_text="My parcel", subject="Parcel"
    ).message.conversation
    session = exchange(email="anna@example.org")
    assert session.customer == cast.customer
    result = actions.hand_over(session=session, mode="email", message="Please call me back.")
    assert result.conversation == earlier
    texts = [m.body_text for m in thread(earlier)]
    assert texts[0] == "My parcel" and texts[1] == REFUND_QUESTION
    assert texts[-1] == "Please call me back."
    assert Conversation.objects.count() == 1


def test_a_portal_hand_over_uses_the_signed_in_customer_and_the_portal_channel(cast):
    session = exchange(channel=SessionChannel.PORTAL, customer=cast.customer)
    result = actions.hand_over(session=session, mode="portal")
    assert result.conversation.customer == cast.customer
    assert {m.channel for m in thread(result.conversation)} == {Channel.PORTAL}
    assert SelfServiceEvent.objects.get(kind=EventKind.HANDOVER).source == "portal"


def test_an_anonymous_portal_hand_over_is_answered_by_email():
    session = exchange(channel=SessionChannel.PORTAL)
    with pytest.raises(ValidationError):
        actions.hand_over(session=session, mode="portal")
    result = actions.hand_over(session=session, mode="portal", email="new@example.org")
    assert {m.channel for m in thread(result.conversation)} == {Channel.WEB}


def test_handing_over_twice_gives_the_same_one_conversation():
    session = exchange()
    first = actions.hand_over(session=session, mode="chat", email="greta@example.org")
    again = actions.hand_over(session=session, mode="chat", email="greta@example.org")
    assert again.conversation == first.conversation and not again.created
    assert again.chat_token == ""
    assert Conversation.objects.count() == 1 and ChatSession.objects.count() == 1
    assert len(thread(first.conversation)) == 4
    assert SelfServiceEvent.objects.filter(kind=EventKind.HANDOVER).count() == 1


def test_after_the_hand_over_the_assistant_answers_no_more():
    session = exchange()
    actions.hand_over(session=session, mode="chat")
    session.refresh_from_db()
    with pytest.raises(actions.AssistantError) as info:
        actions.ask_question(session=session, question=REFUND_QUESTION)
    assert info.value.code == "handed_over"


def test_a_hand_over_without_a_question_needs_a_message():
    session = actions.start_session(channel=SessionChannel.CHAT, language="en").session
    with pytest.raises(ValidationError) as info:
        actions.hand_over(session=session, mode="chat")
    assert "message" in info.value.message_dict
    result = actions.hand_over(session=session, mode="chat", message="I need help with my bill")
    assert [m.body_text for m in thread(result.conversation)] == ["I need help with my bill"]


def test_an_unknown_mode_is_refused():
    session = exchange()
    with pytest.raises(actions.AssistantError):
        actions.hand_over(session=session, mode="carrier pigeon")
    assert not Conversation.objects.exists()
