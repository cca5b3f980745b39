"""Helpdesk demo data: conversations through the actions and in bulk, consistent and usable."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rapport.accounts.models import Team
from rapport.demo.actions import create_demo_staff, load_demo_data, load_helpdesk_data
from rapport.demo.helpdesk_texts import CONVERSATIONS, HELPDESK_TEAMS
from rapport.helpdesk.models import (
    Conversation,
    ConversationEvent,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
)
from rapport.helpdesk.queries import visible_conversations


@pytest.fixture
def customers(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    create_demo_staff()
    load_demo_data(customers=60, seed=11, events_per_customer=0)


@pytest.fixture
def bulk(customers):
    return load_helpdesk_data(conversations=150, messages_per_conversation=6, seed=5, bulk=True)


@pytest.fixture
def replayed(customers, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        stats = load_helpdesk_data(conversations=5, messages_per_conversation=4, seed=5, bulk=False)
    return stats


def _counted_replies(conversation) -> tuple[int, int, list]:
    """Return agent replies, customer messages and response times as the actions count them."""
    replies = inbound = 0
    responses = []
    for msg in conversation.messages.order_by("created_at", "id"):
        call = msg.data.get("call")
        if msg.direction == Direction.INBOUND and msg.kind in (MessageKind.NORMAL, "call"):
            inbound += 1
        if call:
            if msg.author_id and call["outcome"] not in ("missed", "no_answer"):
                replies += 1
                responses.append(msg.created_at)
        elif msg.direction == Direction.OUTBOUND and msg.kind == MessageKind.NORMAL:
            replies += 1
            responses.append(msg.created_at)
    return replies, inbound, responses


def test_bulk_load_writes_the_requested_conversations_and_their_messages(bulk):
    assert bulk.conversations == Conversation.objects.count() == 150
    assert bulk.messages == Message.objects.count()
    assert 150 * 4 < bulk.messages < 150 * 8
    assert ConversationEvent.objects.filter(kind="created").count() == 150


def test_bulk_conversations_spread_over_channels_statuses_and_the_last_90_days(bulk):
    assert len(set(Conversation.objects.values_list("channel", flat=True))) >= 5
    assert {"new", "open", "pending", "solved", "closed"} <= set(
        Conversation.objects.values_list("status", flat=True)
    )
    now = timezone.now()
    oldest = Conversation.objects.order_by("created_at").first().created_at
    assert now - timedelta(days=91) < oldest < now - timedelta(days=20)
    assert not Message.objects.filter(created_at__gt=now).exists()


def test_bulk_metrics_fields_agree_with_the_messages(bulk):
    for conversation in Conversation.objects.prefetch_related("messages"):
        replies, inbound, responses = _counted_replies(conversation)
        assert conversation.agent_reply_count == replies, conversation.pk
        assert conversation.customer_message_count == inbound, conversation.pk
        assert conversation.first_response_at == (responses[0] if responses else None)
        shown = [m.created_at for m in conversation.messages.all() if m.direction != "note"]
        assert conversation.last_message_at == max(shown)
        assert (conversation.solved_at is not None) == (conversation.status in ("solved", "closed"))
        assert (conversation.closed_at is not None) == (conversation.status == "closed")
        if conversation.solved_at:
            assert conversation.solved_at >= conversation.last_message_at


def test_bulk_messages_are_in_the_customers_language(bulk):
    for conversation in Conversation.objects.select_related("customer")[:60]:
        language = conversation.customer.language
        expected = language if language in CONVERSATIONS else "en"
        assert conversation.language == expected
        first = conversation.messages.order_by("created_at", "id").first()
        openings = CONVERSATIONS[expected][
            next(
                t
                for t, texts in CONVERSATIONS[expected].items()
                if conversation.subject in texts[0]
            )
        ][1]
        if first.kind == MessageKind.NORMAL:
            assert first.body_text in openings


def test_bulk_assignees_belong_to_the_conversations_team_and_can_open_them(bulk):
    assigned = Conversation.objects.filter(assignee__isnull=False).select_related("assignee")
    assert assigned.count() > 100
    for conversation in assigned:
        assert conversation.team_id in set(conversation.assignee.teams.values_list("id", flat=True))
        assert visible_conversations(conversation.assignee).filter(pk=conversation.pk).exists()
    assert set(Team.objects.values_list("name", flat=True)) >= {n for n, _d in HELPDESK_TEAMS}


def test_bulk_outbound_messages_are_marked_as_sent(bulk):
    outbound = Message.objects.filter(direction=Direction.OUTBOUND)
    assert outbound.exists()
    assert not outbound.exclude(delivery_status=DeliveryStatus.SENT).exists()


def test_a_second_bulk_load_adds_conversations_without_clashing(bulk):
    load_helpdesk_data(conversations=20, messages_per_conversation=3, seed=6, bulk=True)
    assert Conversation.objects.count() == 170
    fresh = Conversation.objects.create(customer_id=Conversation.objects.first().customer_id)
    assert fresh.pk > 170 or Conversation.objects.count() == 171


def test_the_actions_path_creates_conversations_with_historic_times(replayed):
    assert replayed.path == "actions"
    assert Conversation.objects.count() == replayed.conversations == 5
    now = timezone.now()
    for conversation in Conversation.objects.all():
        assert conversation.created_at < now - timedelta(minutes=1)
        assert conversation.messages.filter(direction=Direction.INBOUND).exists()
        times = list(conversation.messages.order_by("id").values_list("created_at", flat=True))
        assert times == sorted(times)


def test_the_actions_path_sends_nothing(replayed, mailoutbox):
    assert mailoutbox == []
    assert Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert not Message.objects.filter(
        delivery_status__in=(DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
    ).exists()


def test_the_actions_path_keeps_the_metrics_the_actions_keep(replayed):
    for conversation in Conversation.objects.all():
        replies, _inbound, responses = _counted_replies(conversation)
        assert conversation.agent_reply_count == replies
        assert conversation.first_response_at == (responses[0] if responses else None)
        if conversation.status in ("solved", "closed"):
            assert conversation.solved_at is not None


def test_the_demo_command_creates_conversations_for_new_customers(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo", customers=40, conversations=6, seed=3, verbosity=0)
    # Besides the 6, the survey step may open follow-ups of low answers.
    assert Conversation.objects.filter(survey_follow_ups__isnull=True).count() == 6


def test_the_demo_command_rejects_negative_conversation_counts(db):
    with pytest.raises(CommandError, match="--conversations"):
        call_command("demo", customers=0, conversations=-1, verbosity=0)


def test_conversations_without_customers_are_skipped(db):
    stats = load_helpdesk_data(conversations=5, seed=1)
    assert stats.conversations == 0
    assert not Conversation.objects.exists()


def test_bulk_conversations_are_in_the_search_index(bulk):
    from rapport.helpdesk.search import INDEX
    from rapport.search import backends
    from rapport.search.queries import search

    assert backends.count(INDEX) == Conversation.objects.count()
    conversation = Conversation.objects.order_by("pk").first()
    word = max(conversation.subject.split(), key=len)
    assert conversation.pk in {h.id for h in search(INDEX, word, limit=1000)}
