"""Fixtures of the SLA tests: a Berlin office calendar, a 24/7 calendar and a policy maker."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from rapport.helpdesk import actions as helpdesk
from rapport.helpdesk.models import Channel
from rapport.sla.actions import update_sla
from rapport.sla.models import BusinessCalendar, BusinessHours, Holiday, SlaPolicy

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _fresh_state(db):
    """Start every test without the default policies and with an empty throughput cache."""
    SlaPolicy.objects.all().delete()
    cache.clear()


@pytest.fixture
def office(db):
    """Monday to Friday 08:00-18:00 Europe/Berlin, closed on Easter 2026 and Christmas Eve."""
    calendar = BusinessCalendar.objects.create(name="Test office", time_zone="Europe/Berlin")
    for day in range(5):
        BusinessHours.objects.create(
            calendar=calendar, weekday=day, opens_at=time(8), closes_at=time(18)
        )
    Holiday.objects.create(calendar=calendar, date=date(2026, 4, 3), name="Karfreitag")
    Holiday.objects.create(calendar=calendar, date=date(2026, 4, 6), name="Ostermontag")
    Holiday.objects.create(
        calendar=calendar,
        date=date(2000, 12, 24),
        name="Heiligabend",
        recurs_yearly=True,
    )
    calendar.refresh_from_db()
    return calendar


@pytest.fixture
def around_the_clock(db):
    return BusinessCalendar.objects.create(
        name="Test 24/7", time_zone="Europe/Berlin", always_open=True
    )


@pytest.fixture
def make_policy(office):
    def make(**fields):
        fields.setdefault("name", "Standard")
        fields.setdefault("calendar", office)
        fields.setdefault("first_response_minutes", 120)
        fields.setdefault("resolution_minutes", 600)
        fields.setdefault("escalate_notify_lead", False)
        tags = fields.pop("customer_tags", [])
        teams = fields.pop("teams", [])
        policy = SlaPolicy.objects.create(**fields)
        policy.customer_tags.set(tags)
        policy.teams.set(teams)
        return policy

    return make


@pytest.fixture
def open_at(cast):
    """Open a conversation created at a given moment and start its SLA clock."""

    def open_(created_at, *, channel=Channel.EMAIL, customer=None, **fields):
        conversation = helpdesk.open_conversation(
            customer=customer or cast.customer,
            subject="Where is my order?",
            channel=channel,
            created_at=created_at,
            **fields,
        )
        update_sla(conversation=conversation, now=created_at)
        conversation.refresh_from_db()
        return conversation

    return open_
