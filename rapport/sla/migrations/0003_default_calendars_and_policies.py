"""Default calendars and SLA policies from common practice (all editable in the admin).

- "Office hours (Berlin)": Monday to Friday 08:00-18:00 Europe/Berlin, with the nationwide
  German public holidays 2025-2040 (Easter-dependent ones computed).
- "Around the clock": 24/7, for chat.
- Policies by position: phone (answered immediately: a call logged by an agent is the first
  response), chat (2 minutes, 24/7), urgent, high, VIP, and the standard policy (email and
  everything else: first response within 24 business hours).
"""

from datetime import time

from django.db import migrations

from rapport.sla.holidays import german_public_holidays

HOLIDAY_YEARS = range(2025, 2041)
OFFICE = "Office hours (Berlin)"
AROUND_THE_CLOCK = "Around the clock"

POLICIES = [
    # name, position, calendar, use team calendar, conditions, first response, resolution,
    # warning minutes, notify lead, raise priority
    ("Phone", 10, OFFICE, True, {"channels": ["phone"]}, 0, 1800, 30, True, False),
    ("Chat", 20, AROUND_THE_CLOCK, False, {"channels": ["chat"]}, 2, 240, 1, True, False),
    ("Urgent", 30, OFFICE, True, {"priorities": ["urgent"]}, 60, 480, 15, True, False),
    ("High priority", 40, OFFICE, True, {"priorities": ["high"]}, 240, 960, 30, True, False),
    ("VIP customers", 50, OFFICE, True, {"customer_condition": "vip"}, 240, 1200, 30, True, False),
    ("Standard", 100, OFFICE, True, {}, 1440, 1800, 60, True, True),
]


def create_defaults(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    BusinessHours = apps.get_model("sla", "BusinessHours")
    Holiday = apps.get_model("sla", "Holiday")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    if SlaPolicy.objects.exists():
        return  # configured already
    office, _created = BusinessCalendar.objects.get_or_create(
        name=OFFICE, defaults={"time_zone": "Europe/Berlin"}
    )
    if not office.hours.exists():
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=office, weekday=day, opens_at=time(8), closes_at=time(18))
            for day in range(5)
        )
    Holiday.objects.bulk_create(
        [
            Holiday(calendar=office, date=day, name=name)
            for year in HOLIDAY_YEARS
            for day, name in german_public_holidays(year)
        ],
        ignore_conflicts=True,
    )
    clock, _created = BusinessCalendar.objects.get_or_create(
        name=AROUND_THE_CLOCK, defaults={"time_zone": "Europe/Berlin", "always_open": True}
    )
    calendars = {OFFICE: office, AROUND_THE_CLOCK: clock}
    for (
        name,
        position,
        calendar,
        team_hours,
        conditions,
        first,
        resolution,
        warn,
        lead,
        raise_,
    ) in POLICIES:
        SlaPolicy.objects.create(
            name=name,
            position=position,
            calendar=calendars[calendar],
            use_team_calendar=team_hours,
            first_response_minutes=first,
            resolution_minutes=resolution,
            warning_minutes=warn,
            escalate_notify_lead=lead,
            escalate_raise_priority=raise_,
            **conditions,
        )


def remove_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    SlaPolicy.objects.filter(name__in=[p[0] for p in POLICIES]).delete()
    BusinessCalendar.objects.filter(
        name__in=[OFFICE, AROUND_THE_CLOCK], policies__isnull=True, teams__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_calendars_hours_holidays_policy_conditions_clock")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
