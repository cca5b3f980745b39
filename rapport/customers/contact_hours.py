"""When a customer may be written to: a sensible hour of their local day.

Automatic messages that are not answers (surveys, reminders, campaigns) wait for the
customer's daytime: by default 9:00 to 19:00, Monday to Saturday, in the customer's time
zone (the site's when the customer's is unknown).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULT_HOURS = (9, 19)
DEFAULT_DAYS = frozenset(range(6))  # Monday (0) to Saturday (5)


def customer_zone(customer) -> ZoneInfo:
    return customer.tzinfo or ZoneInfo(settings.TIME_ZONE)


def next_contact_time(
    customer,
    after: datetime,
    *,
    hours: tuple[int, int] = DEFAULT_HOURS,
    days: frozenset[int] = DEFAULT_DAYS,
) -> datetime:
    """Return the first moment at or after ``after`` within the customer's contact hours
    (local ``hours[0]``:00 to ``hours[1]``:00 on ``days``), as an aware datetime."""
    start, end = hours
    if not 0 <= start < end <= 24 or not days:
        raise ValueError("contact hours need 0 <= start < end <= 24 and at least one day")
    zone = customer_zone(customer)
    local = after.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        opens = datetime.combine(day, time(start), tzinfo=zone)
        closes = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            if end == 24
            else datetime.combine(day, time(end), tzinfo=zone)
        )
        if local < closes:
            return max(local, opens).astimezone(after.tzinfo or zone)
    raise AssertionError("unreachable: every week has a contact day")
