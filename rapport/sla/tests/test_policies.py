"""Choosing the SLA policy: the first active one by position whose conditions all hold."""

import importlib
from datetime import date

from django.apps import apps as django_apps
from django.utils import timezone

from rapport.customers.models import Tag
from rapport.helpdesk.models import Channel, Conversation
from rapport.sla.actions import choose_policy
from rapport.sla.models import BusinessCalendar, Holiday, SlaPolicy


def conversation_for(cast, **fields):
    fields.setdefault("customer", cast.customer)
    fields.setdefault("channel", Channel.EMAIL)
    return Conversation(subject="Help", created_at=timezone.now(), **fields)


def test_first_matching_policy_by_position_applies(cast, make_policy):
    make_policy(name="Later", position=20)
    make_policy(name="Earlier", position=10)
    assert choose_policy(conversation_for(cast)).name == "Earlier"


def test_inactive_policy_is_skipped(cast, make_policy):
    make_policy(name="Off", position=1, is_active=False)
    make_policy(name="On", position=2)
    assert choose_policy(conversation_for(cast)).name == "On"


def test_channel_condition_matches_only_its_channels(cast, make_policy):
    make_policy(name="Chat", position=1, channels=[Channel.CHAT])
    make_policy(name="Rest", position=2)
    assert choose_policy(conversation_for(cast, channel=Channel.CHAT)).name == "Chat"
    assert choose_policy(conversation_for(cast, channel=Channel.EMAIL)).name == "Rest"


def test_priority_condition_matches_only_its_priorities(cast, make_policy):
    make_policy(name="Urgent", position=1, priorities=["urgent", "high"])
    make_policy(name="Rest", position=2)
    assert choose_policy(conversation_for(cast, priority="high")).name == "Urgent"
    assert choose_policy(conversation_for(cast, priority="low")).name == "Rest"


def test_vip_condition_matches_only_vip_customers(cast, make_policy):
    make_policy(name="VIP", position=1, customer_condition="vip")
    make_policy(name="Rest", position=2)
    assert choose_policy(conversation_for(cast)).name == "Rest"
    cast.customer.is_vip = True
    cast.customer.save()
    assert choose_policy(conversation_for(cast)).name == "VIP"


def test_customer_tag_condition_matches_customers_with_any_of_the_tags(cast, make_policy):
    gold = Tag.objects.create(name="gold")
    make_policy(name="Gold", position=1, customer_tags=[gold])
    make_policy(name="Rest", position=2)
    assert choose_policy(conversation_for(cast)).name == "Rest"
    cast.customer.tags.add(gold)
    assert choose_policy(conversation_for(cast)).name == "Gold"


def test_team_condition_matches_only_its_teams(cast, make_policy):
    make_policy(name="Billing", position=1, teams=[cast.team_b])
    make_policy(name="Rest", position=2)
    assert choose_policy(conversation_for(cast, team=cast.team_b)).name == "Billing"
    assert choose_policy(conversation_for(cast, team=cast.team_a)).name == "Rest"


def test_no_policy_matches_when_none_is_active(cast, make_policy):
    make_policy(is_active=False)
    assert choose_policy(conversation_for(cast)) is None


def test_default_policies_follow_common_practice(db):
    defaults = importlib.import_module("rapport.sla.migrations.0003_default_calendars_and_policies")
    defaults.create_defaults(django_apps, None)  # what the data migration did at install
    policies = {p.name: p for p in SlaPolicy.objects.select_related("calendar")}
    assert policies["Standard"].first_response_minutes == 24 * 60
    assert policies["Chat"].first_response_minutes == 2
    assert policies["Chat"].calendar.always_open
    assert policies["Phone"].first_response_minutes == 0
    assert (
        policies["Urgent"].first_response_minutes
        < policies["High priority"].first_response_minutes
        < policies["Standard"].first_response_minutes
    )
    office = BusinessCalendar.objects.get(name="Office hours (Berlin)")
    assert office.time_zone == "Europe/Berlin"
    assert sorted(office.hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert Holiday.objects.filter(calendar=office, date=date(2027, 3, 26)).exists()  # Good Friday
    assert Holiday.objects.filter(calendar=office, date=date(2030, 6, 10)).exists()  # Whit Monday
