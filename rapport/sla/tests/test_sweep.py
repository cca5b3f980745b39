"""Warnings before a due time, breaches after it, and escalation: each exactly once."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from rapport.helpdesk.models import Conversation, ConversationEvent, EventKind
from rapport.sla.actions import check_conversation, sweep_sla, update_sla
from rapport.sla.models import SlaClock
from rapport.sla.tests.conftest import berlin

CREATED = berlin(2026, 11, 23, 9, 0)  # Monday


def sla_events(conversation, kind="warning"):
    return ConversationEvent.objects.filter(
        conversation=conversation, kind=EventKind.SLA, data__type=kind
    )


def escalations(conversation):
    return ConversationEvent.objects.filter(conversation=conversation, kind=EventKind.ESCALATED)


@pytest.fixture
def lead(cast):
    cast.manager.email = "lead@example.com"
    cast.manager.language = "de"
    cast.manager.time_zone = "Europe/Berlin"
    cast.manager.save()
    cast.team_a.lead = cast.manager
    cast.team_a.save()
    return cast.manager


@pytest.fixture
def conversation(cast, make_policy, open_at, around_the_clock):
    make_policy(
        calendar=around_the_clock,
        first_response_minutes=60,
        resolution_minutes=600,
        warning_minutes=15,
        escalate_notify_lead=True,
        escalate_raise_priority=True,
    )
    return open_at(CREATED, team=cast.team_a)


def test_warning_is_recorded_once_before_the_due_time(conversation):
    sweep_sla(now=CREATED + timedelta(minutes=50))
    sweep_sla(now=CREATED + timedelta(minutes=52))
    (warning,) = sla_events(conversation, "warning")
    assert warning.data["target"] == "first_response"
    assert warning.data["minutes_left"] == 10
    assert not sla_events(conversation, "breach").exists()


def test_nothing_happens_long_before_the_due_time(conversation):
    assert sweep_sla(now=CREATED + timedelta(minutes=10)) == 0
    assert not ConversationEvent.objects.filter(kind=EventKind.SLA).exists()


def test_breach_is_recorded_once_with_its_due_time(conversation):
    sweep_sla(now=CREATED + timedelta(minutes=61))
    sweep_sla(now=CREATED + timedelta(minutes=62))
    (breach,) = sla_events(conversation, "breach")
    assert breach.data["target"] == "first_response"
    conversation.refresh_from_db()
    assert conversation.sla_breached_at == CREATED + timedelta(minutes=60)


def test_two_workers_checking_the_same_conversation_breach_it_once(conversation):
    now = CREATED + timedelta(minutes=61)
    check_conversation(conversation_id=conversation.pk, now=now)
    check_conversation(conversation_id=conversation.pk, now=now)
    assert sla_events(conversation, "breach").count() == 1
    assert escalations(conversation).filter(data__action="raised_priority").count() == 1


def test_warning_then_breach_then_escalation_each_once(
    conversation, lead, django_capture_on_commit_callbacks
):
    for minutes in (50, 55, 61, 62, 63):
        with django_capture_on_commit_callbacks(execute=True):
            sweep_sla(now=CREATED + timedelta(minutes=minutes))
    assert sla_events(conversation, "warning").count() == 1
    assert sla_events(conversation, "breach").count() == 1
    actions = sorted(escalations(conversation).values_list("data__action", flat=True))
    assert actions == ["notified_lead", "raised_priority"]
    conversation.refresh_from_db()
    assert conversation.priority == "high"
    (alert,) = mail.outbox
    assert alert.to == ["lead@example.com"]
    assert conversation.number in alert.subject
    assert "Montag, 23. November 2026" in alert.body  # the lead's language


def test_breach_can_move_the_conversation_to_another_team_and_agent(
    cast, make_policy, open_at, around_the_clock
):
    make_policy(
        calendar=around_the_clock,
        first_response_minutes=60,
        escalate_to_team=cast.team_b,
        escalate_to_user=cast.other_agent,
    )
    conversation = open_at(CREATED, team=cast.team_a)
    sweep_sla(now=CREATED + timedelta(hours=2))
    conversation.refresh_from_db()
    assert conversation.team == cast.team_b
    assert conversation.assignee == cast.other_agent
    assert escalations(conversation).count() == 2


def test_a_met_target_is_neither_warned_about_nor_breached(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(
        first_response_at=CREATED + timedelta(minutes=5)
    )
    conversation.refresh_from_db()
    update_sla(conversation=conversation, now=CREATED + timedelta(minutes=5))
    sweep_sla(now=CREATED + timedelta(minutes=61))
    assert not ConversationEvent.objects.filter(kind=EventKind.SLA).exists()


def test_response_after_the_due_time_between_two_sweeps_is_still_a_breach(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(
        first_response_at=CREATED + timedelta(minutes=61)
    )
    conversation.refresh_from_db()
    update_sla(conversation=conversation, now=CREATED + timedelta(minutes=61))
    assert sla_events(conversation, "breach").count() == 1
    assert not escalations(conversation).exists()  # answered already: nobody to alert


def test_sweep_only_visits_clocks_that_have_something_due(conversation):
    clock = SlaClock.objects.get(conversation=conversation)
    assert clock.next_check_at == CREATED + timedelta(minutes=45)  # the warning
    sweep_sla(now=CREATED + timedelta(minutes=46))
    clock.refresh_from_db()
    assert clock.next_check_at == CREATED + timedelta(minutes=60)  # the breach


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_sweeps_on_two_workers_breach_once(cast, conversation):
    now = CREATED + timedelta(minutes=61)
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            sweep_sla(now=now)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sla_events(conversation, "warning").count() == 0
    assert sla_events(conversation, "breach").count() == 1
    assert escalations(conversation).filter(data__action="raised_priority").count() == 1
