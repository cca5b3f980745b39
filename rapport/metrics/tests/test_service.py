"""Service KPIs: volume, backlog, first contact resolution, times and SLA attainment."""

import pytest

from rapport.helpdesk.actions import change_status, open_conversation, send_reply
from rapport.helpdesk.models import Channel, Conversation, Status
from rapport.metrics.queries import drill_records, report
from rapport.metrics.tests.conftest import OCTOBER, at
from rapport.sla.models import SlaClock

NOW = at(11, 15)


def figures(**kwargs):
    return report(OCTOBER, now=NOW, **kwargs).total.figures


def test_inquiry_volume_counts_conversations_created_in_the_period(conversation):
    conversation(created_at=at(10, 1, 0))
    conversation(created_at=at(10, 31, 21))
    conversation(created_at=at(9, 30, 21, 59))  # 23:59 in Berlin: still September
    conversation(created_at=at(10, 31, 23))  # 01:00 on 1 November in Berlin
    assert figures()["inquiry_volume"].value == 2


def test_merged_duplicates_are_not_counted(conversation):
    target = conversation()
    conversation(merged_into=target, status=Status.CLOSED, closed_at=at(10, 6))
    assert figures()["inquiry_volume"].value == 1


def test_backlog_counts_conversations_not_done_at_the_end_of_the_period(conversation, solved):
    conversation(created_at=at(9, 1))  # still open
    solved(at(10, 20), created_at=at(9, 2))  # done before the end
    solved(at(11, 2), created_at=at(10, 2))  # done only after the end
    conversation(created_at=at(11, 3))  # created after the end
    backlog = figures()["backlog"]
    assert backlog.value == 2
    assert backlog.n == 2


def test_first_contact_resolution_needs_one_reply_and_no_reopening(solved, conversation):
    solved(at(10, 6), agent_reply_count=1)
    solved(at(10, 6), agent_reply_count=2)
    solved(at(10, 6), agent_reply_count=1, reopen_count=1)
    solved(at(10, 6), agent_reply_count=1, status=Status.CLOSED, closed_at=at(10, 7))
    solved(at(9, 6), agent_reply_count=1)  # solved in the previous period
    conversation(agent_reply_count=1)  # not solved
    fcr = figures()["first_contact_resolution"]
    assert fcr.value == 50.0
    assert (fcr.numerator, fcr.denominator) == (2, 4)
    assert fcr.previous == 100.0


def test_first_contact_resolution_through_the_real_actions(cast):
    conversation = open_conversation(
        customer=cast.customer, subject="Invoice", channel=Channel.EMAIL, created_at=at(10, 5)
    )
    send_reply(conversation=conversation, author=cast.agent, body_text="Done.")
    change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    Conversation.objects.filter(pk=conversation.pk).update(solved_at=at(10, 6))
    assert figures()["first_contact_resolution"].value == 100.0


def test_first_response_time_mean_and_median_in_calendar_hours(conversation):
    for hours in (1, 2, 6):
        conversation(created_at=at(10, 5, 0), first_response_at=at(10, 5, hours))
    found = figures()
    assert found["first_response_time_calendar_mean"].value == pytest.approx(3.0)
    assert found["first_response_time_calendar_median"].value == pytest.approx(2.0)
    assert found["first_response_time_calendar_mean"].n == 3


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(conversation):
    for hours in (1, 2, 4, 10):
        conversation(created_at=at(10, 5, 0), first_response_at=at(10, 5, hours))
    assert figures()["first_response_time_calendar_median"].value == pytest.approx(3.0)


def test_business_times_come_from_the_recorded_business_seconds(solved):
    solved(at(10, 6), first_response_at=at(10, 5, 13), first_response_business_seconds=1800)
    solved(at(10, 6), first_response_at=at(10, 5, 14), first_response_business_seconds=5400)
    solved(at(10, 6), first_response_at=at(10, 5, 15))  # no business time recorded
    found = figures()
    assert found["first_response_time_business_mean"].value == pytest.approx(1.0)
    assert found["first_response_time_business_mean"].n == 2
    assert found["first_response_time_business_median"].value == pytest.approx(1.0)
    assert found["first_response_time_calendar_mean"].n == 3


def test_resolution_and_handling_times_count_conversations_solved_in_the_period(solved):
    solved(
        at(10, 6, 12),
        created_at=at(10, 5, 12),
        resolution_business_seconds=3600,
        handling_seconds=600,
    )
    solved(
        at(10, 8, 12),
        created_at=at(10, 5, 12),
        resolution_business_seconds=7200,
        handling_seconds=1200,
    )
    solved(at(10, 9, 12), created_at=at(10, 5, 12))  # handling time not recorded
    found = figures()
    assert found["resolution_time_calendar_mean"].value == pytest.approx((24 + 72 + 96) / 3)
    assert found["resolution_time_calendar_median"].value == pytest.approx(72.0)
    assert found["resolution_time_business_mean"].value == pytest.approx(1.5)
    assert found["handling_time_mean"].value == pytest.approx(15.0)
    assert found["handling_time_median"].value == pytest.approx(15.0)
    assert found["handling_time_mean"].n == 2


def test_sla_attainment_is_the_share_of_conversations_whose_due_targets_were_met(conversation):
    # Met: answered before the due time.
    conversation(first_response_due_at=at(10, 5, 14), first_response_at=at(10, 5, 13))
    # Missed: answered after the due time.
    conversation(first_response_due_at=at(10, 5, 14), first_response_at=at(10, 5, 15))
    # Missed: never answered, due time passed.
    conversation(first_response_due_at=at(10, 5, 14))
    # Met first response, missed resolution (still open, due in the period).
    conversation(
        first_response_due_at=at(10, 5, 14),
        first_response_at=at(10, 5, 13),
        resolution_due_at=at(10, 7),
    )
    # Due after the period: not counted.
    conversation(first_response_due_at=at(11, 5), first_response_at=at(10, 30))
    sla = figures()["sla_attainment"]
    assert (sla.numerator, sla.denominator) == (1, 4)
    assert sla.value == 25.0


def test_a_recorded_breach_counts_as_missed(conversation):
    late = conversation(first_response_due_at=at(10, 5, 14), first_response_at=at(10, 5, 13))
    SlaClock.objects.create(conversation=late, first_response_breached_at=at(10, 5, 14))
    assert figures()["sla_attainment"].value == 0.0


def test_targets_not_yet_due_are_left_out(conversation):
    conversation(first_response_due_at=at(10, 20))
    sla = report(OCTOBER, now=at(10, 10)).total.figures["sla_attainment"]
    assert sla.n == 0
    assert sla.value is None


def test_empty_period_gives_none_for_rates_and_times_and_zero_for_counts(db):
    found = figures()
    assert found["inquiry_volume"].value == 0
    assert found["first_contact_resolution"].value is None
    assert found["first_contact_resolution"].n == 0
    assert found["resolution_time_calendar_median"].value is None
    assert found["sla_attainment"].value is None


def test_slices_by_team_and_agent(cast, solved):
    solved(at(10, 6), team=cast.team_a, assignee=cast.agent, agent_reply_count=1)
    solved(at(10, 6), team=cast.team_b, assignee=cast.other_agent, agent_reply_count=3)
    solved(at(10, 6), agent_reply_count=1)
    by_team = {g.value: g for g in report(OCTOBER, by="team", now=NOW).groups}
    assert by_team[cast.team_a.pk].label == "First level"
    assert by_team[cast.team_a.pk].figures["first_contact_resolution"].value == 100.0
    assert by_team[cast.team_b.pk].figures["first_contact_resolution"].value == 0.0
    assert by_team[None].figures["first_contact_resolution"].n == 1
    by_agent = {g.value: g for g in report(OCTOBER, by="agent", now=NOW).groups}
    assert by_agent[cast.other_agent.pk].figures["first_contact_resolution"].n == 1


def test_medians_are_computed_per_slice(conversation):
    for channel, hours in (("email", 1), ("email", 3), ("chat", 5)):
        conversation(channel=channel, created_at=at(10, 5, 0), first_response_at=at(10, 5, hours))
    groups = {g.value: g for g in report(OCTOBER, by="channel", now=NOW).groups}
    assert groups["email"].figures["first_response_time_calendar_median"].value == 2.0
    assert groups["chat"].figures["first_response_time_calendar_median"].value == 5.0


def test_a_slice_by_country_follows_the_customer(cast, conversation):
    cast.other_customer.country = "AT"
    cast.other_customer.save()
    conversation()
    conversation(customer=cast.other_customer)
    found = figures(filters={"country": "AT"})
    assert found["inquiry_volume"].value == 1


def test_drill_down_is_scoped_by_who_asks(cast, conversation):
    mine = conversation(team=cast.team_a)
    conversation(team=cast.team_b)
    drill = figures()["inquiry_volume"].drill
    assert drill["source"] == "conversations"
    assert list(drill_records(cast.agent, drill)) == [mine]
    assert drill_records(cast.manager, drill).count() == 2
    assert drill_records(cast.portal_user, drill).count() == 0


def test_a_slice_drill_down_carries_the_slice(cast, conversation):
    conversation(team=cast.team_a)
    conversation(team=cast.team_b)
    groups = {g.value: g for g in report(OCTOBER, by="team", now=NOW).groups}
    drill = groups[cast.team_b.pk].figures["inquiry_volume"].drill
    assert drill["filters"] == {"team": cast.team_b.pk}
    assert drill_records(cast.manager, drill).get().team == cast.team_b


def test_a_report_for_an_agent_counts_only_what_they_may_see(cast, conversation):
    conversation(team=cast.team_a)
    conversation(team=cast.team_b)
    found = report(OCTOBER, user=cast.agent, now=NOW).total.figures
    assert found["inquiry_volume"].value == 1
