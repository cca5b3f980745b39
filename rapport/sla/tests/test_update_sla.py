"""The SLA clock of a conversation: due times in business time, pausing, meeting targets."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from rapport.helpdesk import actions as helpdesk
from rapport.helpdesk.models import Conversation, ConversationEvent, EventKind, Status
from rapport.sla.actions import update_sla
from rapport.sla.models import BusinessCalendar, BusinessHours, TeamCalendar
from rapport.sla.tests.conftest import berlin

NEW_YORK = ZoneInfo("America/New_York")


def set_status(conversation, status, at):
    """Record a status change at a chosen moment, as change_status would."""
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=EventKind.STATUS,
        data={"from": conversation.status, "to": status},
        created_at=at,
    )
    Conversation.objects.filter(pk=conversation.pk).update(status=status)
    conversation.refresh_from_db()
    update_sla(conversation=conversation, now=at)
    conversation.refresh_from_db()


def test_due_times_carry_over_the_weekend(make_policy, open_at):
    make_policy(first_response_minutes=120, resolution_minutes=600)
    conversation = open_at(berlin(2026, 11, 20, 17, 0))  # Friday
    assert conversation.first_response_due_at == berlin(2026, 11, 23, 9, 0)
    # One hour on Friday, nine on Monday.
    assert conversation.resolution_due_at == berlin(2026, 11, 23, 17, 0)
    assert conversation.sla_due_at == conversation.first_response_due_at


def test_due_time_skips_a_holiday(make_policy, open_at):
    make_policy(first_response_minutes=120)
    conversation = open_at(berlin(2026, 4, 2, 17, 0))  # Thursday before Good Friday
    assert conversation.first_response_due_at == berlin(2026, 4, 7, 9, 0)


def test_due_time_skips_a_yearly_holiday(make_policy, open_at):
    make_policy(first_response_minutes=120)
    conversation = open_at(berlin(2026, 12, 23, 17, 0))  # Wednesday before Christmas Eve
    assert conversation.first_response_due_at == berlin(2026, 12, 25, 9, 0)


def test_due_time_across_the_march_dst_switch(make_policy, open_at):
    make_policy(first_response_minutes=120)
    conversation = open_at(berlin(2026, 3, 27, 17, 0))
    assert conversation.first_response_due_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_due_time_across_the_october_dst_switch(make_policy, open_at):
    make_policy(first_response_minutes=120)
    conversation = open_at(berlin(2026, 10, 23, 17, 0))
    assert conversation.first_response_due_at == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_team_calendar_in_another_time_zone_sets_the_hours(cast, make_policy, open_at):
    new_york = BusinessCalendar.objects.create(name="New York", time_zone="America/New_York")
    for day in range(5):
        BusinessHours.objects.create(
            calendar=new_york, weekday=day, opens_at=time(9), closes_at=time(17)
        )
    TeamCalendar.objects.create(team=cast.team_a, calendar=new_york)
    make_policy(first_response_minutes=120)
    conversation = open_at(datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK), team=cast.team_a)
    assert conversation.first_response_due_at == datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)


def test_policy_can_keep_its_own_calendar_over_the_teams(cast, make_policy, open_at):
    new_york = BusinessCalendar.objects.create(name="New York", time_zone="America/New_York")
    TeamCalendar.objects.create(team=cast.team_a, calendar=new_york)
    make_policy(first_response_minutes=120, use_team_calendar=False)
    conversation = open_at(berlin(2026, 11, 20, 17, 0), team=cast.team_a)
    assert conversation.first_response_due_at == berlin(2026, 11, 23, 9, 0)


def test_clock_stops_while_pending_and_due_times_move_on_resume(make_policy, open_at):
    make_policy(first_response_minutes=600, resolution_minutes=600)
    conversation = open_at(berlin(2026, 11, 23, 9, 0))  # Monday
    assert conversation.resolution_due_at == berlin(2026, 11, 24, 9, 0)

    set_status(conversation, Status.PENDING, berlin(2026, 11, 23, 10, 0))
    assert conversation.sla_paused_at == berlin(2026, 11, 23, 10, 0)
    assert conversation.sla_due_at is None

    set_status(conversation, Status.OPEN, berlin(2026, 11, 24, 10, 0))
    # Ten business hours stood still (Monday 10-18, Tuesday 8-10): nine hours remain.
    assert conversation.resolution_due_at == berlin(2026, 11, 25, 9, 0)
    assert conversation.sla_paused_at is None
    assert conversation.sla_due_at == berlin(2026, 11, 25, 9, 0)


def test_pending_through_real_actions_pauses_and_resumes(cast, make_policy, open_at):
    make_policy(first_response_minutes=600, resolution_minutes=6000)
    conversation = open_at(timezone.now() - timedelta(hours=1))
    helpdesk.change_status(conversation=conversation, actor=cast.agent, status=Status.PENDING)
    conversation.refresh_from_db()
    assert conversation.sla_paused_at is not None and conversation.sla_due_at is None
    helpdesk.receive_message(
        customer=cast.customer, channel="email", body_text="Here it is.", conversation=conversation
    )
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.sla_paused_at is None and conversation.sla_due_at is not None


def test_same_events_give_the_same_due_times(make_policy, open_at):
    make_policy(first_response_minutes=600, resolution_minutes=600)
    conversation = open_at(berlin(2026, 11, 23, 9, 0))
    set_status(conversation, Status.PENDING, berlin(2026, 11, 23, 10, 0))
    set_status(conversation, Status.OPEN, berlin(2026, 11, 24, 10, 0))
    before = conversation.resolution_due_at
    Conversation.objects.filter(pk=conversation.pk).update(resolution_due_at=None)
    conversation.refresh_from_db()
    update_sla(conversation=conversation, now=berlin(2026, 11, 30, 12, 0))
    conversation.refresh_from_db()
    assert conversation.resolution_due_at == before


def test_first_response_met_leaves_resolution_as_next_due(make_policy, open_at):
    make_policy(first_response_minutes=120, resolution_minutes=600)
    conversation = open_at(berlin(2026, 11, 23, 9, 0))
    Conversation.objects.filter(pk=conversation.pk).update(
        first_response_at=berlin(2026, 11, 23, 9, 45)
    )
    conversation.refresh_from_db()
    update_sla(conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.first_response_business_seconds == 45 * 60
    assert conversation.sla_due_at == conversation.resolution_due_at


def test_solving_meets_the_resolution_and_stores_business_seconds(make_policy, open_at):
    make_policy(first_response_minutes=120, resolution_minutes=6000)
    conversation = open_at(berlin(2026, 11, 20, 17, 0))  # Friday
    set_status(conversation, Status.SOLVED, berlin(2026, 11, 23, 9, 0))  # Monday
    Conversation.objects.filter(pk=conversation.pk).update(solved_at=berlin(2026, 11, 23, 9, 0))
    conversation.refresh_from_db()
    update_sla(conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.resolution_business_seconds == 2 * 3600
    assert conversation.sla_due_at is None


def test_raising_the_priority_chooses_the_tighter_policy(cast, make_policy, open_at):
    make_policy(name="Urgent", position=1, priorities=["urgent"], first_response_minutes=30)
    standard = make_policy(name="Standard", position=2)
    conversation = open_at(timezone.now())
    assert conversation.sla_policy == standard
    helpdesk.set_priority(conversation=conversation, actor=cast.agent, priority="urgent")
    conversation.refresh_from_db()
    assert conversation.sla_policy.name == "Urgent"


def test_answered_call_meets_the_immediate_phone_target(cast, make_policy):
    make_policy(name="Phone", channels=["phone"], first_response_minutes=0)
    received = helpdesk.log_call(
        customer=cast.customer, agent=cast.agent, direction="inbound", duration_seconds=120
    )
    conversation = Conversation.objects.get(pk=received.message.conversation_id)
    assert conversation.first_response_at is not None
    assert conversation.first_response_business_seconds == 0
    assert conversation.sla_breached_at is None
    assert conversation.sla_due_at == conversation.resolution_due_at


def test_conversation_without_a_matching_policy_has_no_clock(open_at):
    conversation = open_at(timezone.now())
    assert conversation.sla_policy is None
    assert conversation.sla_due_at is None and conversation.first_response_due_at is None


def test_updating_the_clock_stays_cheap(cast, make_policy, open_at, django_assert_max_num_queries):
    make_policy()
    conversation = open_at(timezone.now(), team=cast.team_a)
    conversation = Conversation.objects.get(pk=conversation.pk)
    with django_assert_max_num_queries(6):  # 4 reads, 2 for the savepoint
        update_sla(conversation=conversation)


def test_changed_opening_hours_apply_to_the_next_update(make_policy, open_at, office):
    make_policy(first_response_minutes=120)
    conversation = open_at(berlin(2026, 11, 20, 17, 0))  # Friday
    BusinessHours.objects.create(
        calendar=office, weekday=5, opens_at=time(10), closes_at=time(14)
    )  # now open on Saturdays
    update_sla(conversation=conversation, now=berlin(2026, 11, 20, 17, 0))
    conversation.refresh_from_db()
    assert conversation.first_response_due_at == berlin(2026, 11, 21, 11, 0)


def test_opening_hours_past_midnight_and_all_day_are_read_from_the_calendar(db):
    calendar = BusinessCalendar.objects.create(name="Night", time_zone="Europe/Berlin")
    BusinessHours.objects.create(calendar=calendar, weekday=0, opens_at=time(22), closes_at=time(6))
    BusinessHours.objects.create(calendar=calendar, weekday=1, opens_at=time(0), closes_at=time(0))
    schedule = calendar.to_schedule()
    assert schedule.weekly[0] == ((22 * 60, 30 * 60),)
    assert schedule.weekly[1] == ((0, 24 * 60),)
