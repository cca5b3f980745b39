"""The core conversation actions: one thread across channels, events for every change."""

import pytest

from rapport.helpdesk import actions
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    ConversationEvent,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.helpdesk.queries import get_conversation, visible_conversations
from rapport.timeline.models import TimelineEvent


def receive(cast, text="My order has not arrived.", **kwargs):
    kwargs.setdefault("customer", cast.customer)
    kwargs.setdefault("channel", Channel.EMAIL)
    kwargs.setdefault("subject", "Where is my order?")
    return actions.receive_message(body_text=text, **kwargs)


def test_first_inbound_message_opens_a_new_conversation_with_an_event(cast):
    result = receive(cast)
    conversation = result.message.conversation
    assert result.created and result.conversation_created
    assert conversation.status == Status.NEW
    assert conversation.subject == "Where is my order?"
    assert conversation.number.endswith(f"-{conversation.pk}")
    assert conversation.customer_message_count == 1
    assert ConversationEvent.objects.filter(
        conversation=conversation, kind=EventKind.CREATED
    ).exists()


def test_every_message_appears_in_the_customers_timeline(cast):
    result = receive(cast)
    event = TimelineEvent.objects.get(
        source_type="helpdesk.message", source_id=str(result.message.pk)
    )
    assert event.customer == cast.customer
    assert "Where is my order?" in event.display_title


def test_same_external_id_twice_gives_one_message(cast):
    first = receive(cast, external_id="<abc@example.org>")
    second = receive(cast, external_id="<abc@example.org>")
    assert not second.created
    assert second.message.pk == first.message.pk
    assert Message.objects.exclude(kind=MessageKind.SYSTEM).count() == 1  # the SLA acknowledges


def test_conversation_moves_across_channels_and_stays_one_thread(cast):
    conversation = receive(cast).message.conversation
    actions.receive_message(
        customer=cast.customer,
        channel=Channel.CHAT,
        body_text="Any news?",
        conversation=conversation,
    )
    actions.log_call(
        customer=cast.customer,
        agent=cast.agent,
        direction="inbound",
        duration_seconds=240,
        notes="Explained the delay",
        conversation=conversation,
    )
    conversation.refresh_from_db()
    channels = list(
        conversation.messages.exclude(kind=MessageKind.SYSTEM)
        .order_by("created_at", "id")
        .values_list("channel", flat=True)
    )
    assert channels == [Channel.EMAIL, Channel.CHAT, Channel.PHONE]
    assert conversation.handling_seconds == 240
    switches = ConversationEvent.objects.filter(conversation=conversation, kind=EventKind.CHANNEL)
    assert [(e.data["from"], e.data["to"]) for e in switches] == [
        ("email", "chat"),
        ("chat", "phone"),
    ]


def test_customer_reply_reopens_solved_conversation(cast):
    conversation = receive(cast).message.conversation
    actions.change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    result = receive(cast, text="Still not here.", conversation=conversation)
    conversation.refresh_from_db()
    assert result.reopened
    assert conversation.status == Status.OPEN
    assert conversation.reopen_count == 1
    assert conversation.solved_at is None and conversation.closed_at is None


def test_auto_reply_never_reopens_or_counts(cast):
    conversation = receive(cast).message.conversation
    actions.change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    receive(cast, text="I am out of office", conversation=conversation, kind=MessageKind.AUTO_REPLY)
    conversation.refresh_from_db()
    assert conversation.status == Status.SOLVED
    assert conversation.customer_message_count == 1


def test_agent_reply_sets_first_response_and_opens_new_conversation(cast):
    conversation = receive(cast).message.conversation
    reply = actions.send_reply(
        conversation=conversation, author=cast.agent, body_text="On its way."
    )
    conversation.refresh_from_db()
    assert reply.direction == Direction.OUTBOUND
    assert conversation.status == Status.OPEN
    assert conversation.first_response_at == reply.created_at
    assert conversation.agent_reply_count == 1


def test_empty_reply_is_refused(cast):
    from django.core.exceptions import ValidationError

    conversation = receive(cast).message.conversation
    with pytest.raises(ValidationError):
        actions.send_reply(conversation=conversation, author=cast.agent, body_text="   ")
    assert conversation.messages.exclude(kind=MessageKind.SYSTEM).count() == 1


def test_internal_note_keeps_mentions_of_staff_only(cast):
    conversation = receive(cast).message.conversation
    note = actions.add_internal_note(
        conversation=conversation, author=cast.agent, body_text="@manager please check, cc @portal"
    )
    assert note.direction == Direction.NOTE
    assert note.data["mentions"] == [cast.manager.pk]


def test_merge_moves_messages_and_closes_the_source(cast):
    target = receive(cast).message.conversation
    source = receive(cast, subject="Order again", text="Hello?").message.conversation
    actions.merge_conversations(source=source, target=target, actor=cast.agent)
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into == target and source.status == Status.CLOSED
    assert target.messages.exclude(kind=MessageKind.SYSTEM).count() == 2
    assert ConversationEvent.objects.filter(conversation=source, kind=EventKind.MERGED).exists()


def test_merge_refuses_conversations_of_different_customers(cast):
    target = receive(cast).message.conversation
    source = receive(cast, customer=cast.other_customer).message.conversation
    with pytest.raises(actions.HelpdeskError):
        actions.merge_conversations(source=source, target=target, actor=cast.agent)


def test_split_moves_chosen_messages_into_a_new_conversation(cast):
    conversation = receive(cast).message.conversation
    wrong = receive(cast, text="Different topic", conversation=conversation).message
    new = actions.split_conversation(
        conversation=conversation, message_ids=[wrong.pk], actor=cast.agent
    )
    wrong.refresh_from_db()
    assert wrong.conversation == new
    assert conversation.messages.exclude(kind=MessageKind.SYSTEM).count() == 1
    assert ConversationEvent.objects.filter(conversation=new, kind=EventKind.SPLIT).exists()


def test_link_is_recorded_once_on_both_sides(cast):
    a = receive(cast).message.conversation
    b = receive(cast, subject="Other").message.conversation
    actions.link_conversations(source=a, target=b, actor=cast.agent)
    actions.link_conversations(source=b, target=a, actor=cast.agent)
    assert ConversationEvent.objects.filter(kind=EventKind.LINKED).count() == 2


def test_status_change_leaves_who_what_when(cast):
    conversation = receive(cast).message.conversation
    actions.change_status(conversation=conversation, actor=cast.agent, status=Status.PENDING)
    event = ConversationEvent.objects.filter(
        conversation=conversation, kind=EventKind.STATUS
    ).last()
    assert event.actor == cast.agent
    assert event.data == {"from": "new", "to": "pending"}


def test_agents_see_their_teams_and_unassigned_conversations_only(cast):
    mine = receive(cast).message.conversation
    actions.set_team(conversation=mine, actor=cast.admin, team=cast.team_a)
    theirs = receive(cast, subject="Invoice").message.conversation
    actions.set_team(conversation=theirs, actor=cast.admin, team=cast.team_b)
    assert set(visible_conversations(cast.agent)) == {mine}
    assert set(visible_conversations(cast.other_agent)) == {theirs}
    assert visible_conversations(cast.marketer).count() == 0
    with pytest.raises(Conversation.DoesNotExist):
        get_conversation(cast.agent, theirs.pk)


def test_portal_customer_sees_only_own_conversations(cast):
    own = receive(cast).message.conversation
    receive(cast, customer=cast.other_customer)
    assert list(visible_conversations(cast.portal_user)) == [own]


def test_scripts_and_tracking_pixels_are_removed_from_html(cast):
    html = '<p onclick="x()">Hi<script>alert(1)</script><img src="https://t.example/p.gif"></p>'
    message = receive(cast, body_html=html).message
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "t.example" not in message.body_html


def test_mentioned_colleagues_who_may_see_the_conversation_get_an_email(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    conversation = receive(cast).message.conversation
    actions.set_team(conversation=conversation, actor=cast.admin, team=cast.team_a)
    cast.manager.email, cast.manager.language = "manager@example.org", "de"
    cast.manager.save()
    cast.other_agent.email = "other@example.org"
    cast.other_agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_internal_note(
            conversation=conversation,
            author=cast.agent,
            body_text="@manager can we refund? @other_agent FYI",
        )
    # other_agent works in another team and cannot open this conversation: not notified.
    assert [m.to for m in mailoutbox] == [["manager@example.org"]]
    assert conversation.number in mailoutbox[0].subject
    assert "can we refund?" in mailoutbox[0].body
    assert f"/helpdesk/{conversation.pk}/" in mailoutbox[0].body
