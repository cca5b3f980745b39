"""Solving or closing a conversation ends its live chat at once, with the survey for a visitor
still there, whichever way the status changes (status action, reply-and-solve, API)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.actions import create_api_token
from rapport.chat import actions as chat_actions
from rapport.chat.models import ChatSession, SessionStatus
from rapport.feedback.models import SurveyChannel, SurveyInvitation
from rapport.helpdesk.actions import (
    change_status,
    merge_conversations,
    open_conversation,
    send_reply,
)
from rapport.helpdesk.models import Status


@pytest.fixture
def chat(cast):
    """A chat Anna started and is still in."""
    return chat_actions.start_chat(
        name="Anna Schmidt", email="anna@example.org", question="Where is my order?"
    ).session


@pytest.mark.django_db
def test_solving_a_chat_conversation_ends_the_chat_and_asks_the_visitor_in_it(
    cast, chat, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=chat.conversation, actor=cast.agent, status=Status.SOLVED)
    chat.refresh_from_db()
    assert chat.status == SessionStatus.ENDED
    assert SurveyInvitation.objects.get().channel == SurveyChannel.CHAT


@pytest.mark.django_db
def test_closing_a_chat_conversation_ends_the_chat(cast, chat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=chat.conversation, actor=cast.agent, status=Status.CLOSED)
    assert ChatSession.objects.get().status == SessionStatus.ENDED


@pytest.mark.django_db
def test_a_reply_that_solves_ends_the_chat(cast, chat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_reply(
            conversation=chat.conversation,
            author=cast.agent,
            body_text="Your parcel left today.",
            status=Status.SOLVED,
        )
    assert ChatSession.objects.get().status == SessionStatus.ENDED
    assert SurveyInvitation.objects.get().channel == SurveyChannel.CHAT


@pytest.mark.django_db
def test_a_solve_through_the_api_ends_the_chat(
    cast, chat, client, django_capture_on_commit_callbacks
):
    token = create_api_token(user=cast.admin, name="t")[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/conversations/{chat.conversation_id}",
            {"status": Status.SOLVED},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 200, response.content
    assert ChatSession.objects.get().status == SessionStatus.ENDED


@pytest.mark.django_db
def test_a_status_change_that_does_not_solve_leaves_the_chat_going(
    cast, chat, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=chat.conversation, actor=cast.agent, status=Status.PENDING)
    assert ChatSession.objects.get().status == SessionStatus.ACTIVE
    assert not SurveyInvitation.objects.exists()


@pytest.mark.django_db
def test_a_visitor_who_left_is_not_asked_in_the_chat_when_it_is_solved(
    cast, chat, django_capture_on_commit_callbacks
):
    ChatSession.objects.update(last_seen_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=chat.conversation, actor=cast.agent, status=Status.SOLVED)
    assert ChatSession.objects.get().status == SessionStatus.ENDED
    assert not SurveyInvitation.objects.exists()


@pytest.mark.django_db
def test_a_solve_stands_when_the_chat_cannot_be_ended(
    cast, chat, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("chat unreachable")

    monkeypatch.setattr(chat_actions, "close_solved_chat", broken)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=chat.conversation, actor=cast.agent, status=Status.SOLVED)
    chat.conversation.refresh_from_db()
    assert chat.conversation.status == Status.SOLVED


@pytest.mark.django_db
def test_merging_a_chat_conversation_away_leaves_its_chat_to_the_target(
    cast, chat, django_capture_on_commit_callbacks
):
    target = open_conversation(
        customer=chat.conversation.customer, channel="email", actor=cast.agent, subject="Order"
    )
    with django_capture_on_commit_callbacks(execute=True):
        merge_conversations(source=chat.conversation, target=target, actor=cast.agent)
    assert ChatSession.objects.get().status == SessionStatus.ACTIVE
