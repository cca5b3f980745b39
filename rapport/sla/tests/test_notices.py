"""Delay notices an agent sends, and the follow-up after solving."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.helpdesk import actions as helpdesk
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    ConversationEvent,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.sla.actions import send_delay_notice, send_follow_ups


@pytest.fixture
def conversation(cast, make_policy):
    make_policy()
    cast.customer.language = "en"
    cast.customer.save()
    received = helpdesk.receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        subject="Broken kettle",
        body_text="My kettle stopped working after two days.",
        sender_address="anna@example.org",
    )
    helpdesk.set_team(conversation=received.message.conversation, actor=None, team=cast.team_a)
    conversation = received.message.conversation
    conversation.refresh_from_db()
    return conversation


def notices(conversation, kind="delay_notice"):
    return Message.objects.filter(
        conversation=conversation, kind=MessageKind.SYSTEM, data__sla=kind
    )


# --- Delay notice -------------------------------------------------------------------------


def test_delay_notice_tells_the_customer_the_agents_reason(cast, conversation):
    estimate = timezone.now() + timedelta(days=2)
    send_delay_notice(
        conversation=conversation,
        actor=cast.agent,
        reason="The spare part arrives from our supplier on Thursday.",
        new_estimate=estimate,
    )
    (notice,) = notices(conversation)
    assert "The spare part arrives from our supplier on Thursday." in notice.body_text
    assert conversation.number in notice.body_text
    assert notice.body_text.startswith("Dear Ms Schmidt,") or notice.body_text.startswith(
        "Dear Anna Schmidt,"
    )
    conversation.refresh_from_db()
    assert conversation.estimated_resolution_at == estimate
    event = ConversationEvent.objects.get(
        conversation=conversation, kind=EventKind.NOTIFIED, data__type="delay_notice"
    )
    assert event.actor == cast.agent and event.message == notice


def test_delay_notice_without_a_reason_is_refused_and_sends_nothing(cast, conversation):
    with pytest.raises(ValidationError) as error:
        send_delay_notice(conversation=conversation, actor=cast.agent, reason="   ")
    assert "reason" in error.value.message_dict
    assert not notices(conversation).exists()


def test_delay_notice_with_a_past_estimate_is_refused(cast, conversation):
    with pytest.raises(ValidationError) as error:
        send_delay_notice(
            conversation=conversation,
            actor=cast.agent,
            reason="Supplier delay",
            new_estimate=timezone.now() - timedelta(hours=1),
        )
    assert "new_estimate" in error.value.message_dict
    assert not notices(conversation).exists()


def test_agent_sends_a_delay_notice_from_the_conversation_page(client, cast, conversation):
    client.force_login(cast.agent)
    response = client.post(
        reverse("sla:delay_notice", args=[conversation.pk]),
        {"reason": "Our warehouse is closed for inventory."},
    )
    assert response.status_code == 302
    assert response.url == reverse("helpdesk:conversation", args=[conversation.pk])
    assert notices(conversation).count() == 1


def test_delay_notice_form_errors_come_back_in_the_panel(client, cast, conversation):
    client.force_login(cast.agent)
    response = client.post(
        reverse("sla:delay_notice", args=[conversation.pk]),
        {"reason": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b'id="sla-panel"' in response.content
    assert b"errors" in response.content
    assert not notices(conversation).exists()


def test_portal_customer_cannot_send_a_delay_notice(client, cast, conversation):
    client.force_login(cast.portal_user)
    response = client.post(
        reverse("sla:delay_notice", args=[conversation.pk]), {"reason": "I am in a hurry"}
    )
    assert response.status_code == 403
    assert not notices(conversation).exists()


def test_agent_of_another_team_cannot_send_a_delay_notice(client, cast, conversation):
    client.force_login(cast.other_agent)
    response = client.post(
        reverse("sla:delay_notice", args=[conversation.pk]), {"reason": "Supplier delay"}
    )
    assert response.status_code == 404
    assert not notices(conversation).exists()


# --- Follow-up ----------------------------------------------------------------------------


def solve(cast, conversation):
    helpdesk.change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    conversation.refresh_from_db()
    return conversation


def test_follow_up_is_sent_once_48_hours_after_solving(cast, conversation):
    solve(cast, conversation)
    later = timezone.now() + timedelta(hours=49)
    assert send_follow_ups(now=later) == 1
    assert send_follow_ups(now=later + timedelta(minutes=10)) == 0
    (follow_up,) = notices(conversation, "follow_up")
    assert "reply" in follow_up.body_text and conversation.number in follow_up.body_text
    assert ConversationEvent.objects.filter(
        conversation=conversation, kind=EventKind.NOTIFIED, data__type="follow_up"
    ).exists()


def test_follow_up_waits_until_48_hours_have_passed(cast, conversation):
    solve(cast, conversation)
    assert send_follow_ups(now=timezone.now() + timedelta(hours=47)) == 0


def test_follow_up_is_sent_again_after_the_next_solve(cast, conversation):
    solve(cast, conversation)
    send_follow_ups(now=timezone.now() + timedelta(hours=49))
    helpdesk.receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        body_text="No, it is still broken.",
        conversation=conversation,
    )
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN  # the reply reopened it
    solve(cast, conversation)
    assert send_follow_ups(now=timezone.now() + timedelta(hours=49)) == 1
    assert notices(conversation, "follow_up").count() == 2


def test_closed_conversation_gets_no_follow_up(cast, conversation):
    helpdesk.change_status(conversation=conversation, actor=cast.agent, status=Status.CLOSED)
    assert send_follow_ups(now=timezone.now() + timedelta(hours=49)) == 0


def test_merged_conversation_gets_no_follow_up(cast, conversation):
    target = helpdesk.open_conversation(
        customer=cast.customer, subject="Other", channel=Channel.EMAIL
    )
    solve(cast, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(merged_into=target)
    assert send_follow_ups(now=timezone.now() + timedelta(hours=49)) == 0


def test_customer_without_a_reachable_channel_gets_no_follow_up(cast, conversation):
    cast.customer.contact_points.all().delete()
    solve(cast, conversation)
    assert send_follow_ups(now=timezone.now() + timedelta(hours=49)) == 0
    assert not notices(conversation, "follow_up").exists()


def test_follow_up_can_be_switched_off(cast, conversation, settings):
    settings.SLA_FOLLOW_UP_HOURS = 0
    solve(cast, conversation)
    assert send_follow_ups(now=timezone.now() + timedelta(days=3)) == 0
