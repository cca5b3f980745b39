"""The SLA panel of the conversation page and the read-only "Service levels" page."""

from datetime import timedelta

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from rapport.helpdesk.models import Conversation, Status
from rapport.sla.queries import relative_text


def render_panel(conversation, user):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(
        "sla/_panel.html", {"conversation": conversation, "user": user}, request=request
    )


def test_panel_shows_policy_due_time_and_time_left(cast, make_policy, open_at):
    make_policy(name="Office standard")
    conversation = open_at(timezone.now())
    html = render_panel(conversation, cast.agent)
    assert "Office standard" in html
    assert "First response" in html and "Resolution" in html
    assert "in " in html  # "in 1 h 59 min" or similar, depending on the office hours


def test_panel_shows_a_paused_clock(cast, make_policy, open_at):
    make_policy()
    conversation = open_at(timezone.now())
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Status.PENDING, sla_paused_at=timezone.now(), sla_due_at=None
    )
    conversation.refresh_from_db()
    assert "Paused" in render_panel(conversation, cast.agent)


def test_panel_offers_the_delay_notice_when_the_promise_will_be_missed(cast, make_policy, open_at):
    make_policy()
    conversation = open_at(timezone.now() - timedelta(days=3))
    Conversation.objects.filter(pk=conversation.pk).update(
        estimated_resolution_at=timezone.now() - timedelta(hours=1)
    )
    conversation.refresh_from_db()
    html = render_panel(conversation, cast.agent)
    assert "will miss its promised time" in html
    assert reverse("sla:delay_notice", args=[conversation.pk]) in html


def test_panel_offers_no_delay_notice_to_a_portal_customer(cast, make_policy, open_at):
    make_policy()
    conversation = open_at(timezone.now() - timedelta(days=3))
    html = render_panel(conversation, cast.portal_user)
    assert reverse("sla:delay_notice", args=[conversation.pk]) not in html


def test_conversation_page_includes_the_panel(client, cast, make_policy, open_at):
    make_policy(name="Office standard")
    conversation = open_at(timezone.now())
    client.force_login(cast.agent)
    response = client.get(reverse("helpdesk:conversation", args=[conversation.pk]))
    assert response.status_code == 200
    assert b'id="sla-panel"' in response.content
    assert b"Office standard" in response.content


def test_relative_time_reads_naturally():
    now = timezone.now()
    assert relative_text(now + timedelta(hours=3, minutes=20), now) == "in 3 h 20 min"
    assert relative_text(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative_text(now + timedelta(days=2, hours=1), now) == "in 2 d 1 h"


def test_managers_see_the_service_levels_page(client, cast, make_policy):
    make_policy(name="Standard support")
    client.force_login(cast.manager)
    response = client.get(reverse("sla:service_levels"))
    assert response.status_code == 200
    assert b"Standard support" in response.content
    assert b"Test office" in response.content


def test_the_service_levels_page_names_a_loyalty_tier_condition(client, cast, make_policy):
    make_policy(name="Gold members", min_loyalty_rank=2)
    client.force_login(cast.manager)
    content = client.get(reverse("sla:service_levels")).content.decode()
    assert "loyalty tier rank 2 and above" in content


def test_agents_cannot_open_the_service_levels_page(client, cast):
    client.force_login(cast.agent)
    assert client.get(reverse("sla:service_levels")).status_code == 403


def test_admin_can_edit_policies_and_calendars(client, cast, make_policy, office):
    policy = make_policy()
    client.force_login(cast.admin)
    assert client.get(reverse("admin:sla_slapolicy_change", args=[policy.pk])).status_code == 200
    assert (
        client.get(reverse("admin:sla_businesscalendar_change", args=[office.pk])).status_code
        == 200
    )


def test_panel_stops_prompting_once_the_customer_was_told(cast, make_policy, open_at):
    from rapport.sla.actions import send_delay_notice

    make_policy()
    conversation = open_at(timezone.now() - timedelta(days=3))
    Conversation.objects.filter(pk=conversation.pk).update(
        estimated_resolution_at=timezone.now() - timedelta(hours=1)
    )
    conversation.refresh_from_db()
    send_delay_notice(conversation=conversation, actor=cast.agent, reason="Supplier delay")
    html = render_panel(conversation, cast.agent)
    assert "will miss its promised time" not in html
    assert "Last delay notice sent" in html


def test_service_levels_page_counts_open_and_overdue_conversations(
    client, cast, make_policy, open_at
):
    make_policy(name="Standard support", first_response_minutes=60, resolution_minutes=90)
    open_at(timezone.now() - timedelta(days=10))  # long overdue
    open_at(timezone.now())
    client.force_login(cast.manager)
    response = client.get(reverse("sla:service_levels"))
    (policy,) = response.context["overview"].policies
    assert (policy.open_count, policy.overdue_count) == (2, 1)


def test_business_targets_are_shown_in_hours_not_days():
    from rapport.sla.templatetags.sla import business_duration

    assert business_duration(1800) == "30 h"
    assert business_duration(90) == "1 h 30 min"
    assert business_duration(2) == "2 min"
