"""Loyalty jobs: each calls an action; the daily sweeps expire points, recalculate tiers and
remind members of expiring points, and a frequent sweep sends the emails in contact hours."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.loyalty.actions import expire_points
from rapport.loyalty.notifications import (
    queue_expiry_reminders,
    recalculate_recent_tiers,
    send_due_notices,
)


# Early in the night (UTC), before the reminders and the tier run.
@db_periodic_task(crontab(minute="10", hour="1"))
def daily_expire_points() -> None:
    expire_points()


@db_periodic_task(crontab(minute="30", hour="1"))
def daily_recalculate_tiers() -> None:
    recalculate_recent_tiers()


@db_periodic_task(crontab(minute="50", hour="1"))
def daily_expiry_reminders() -> None:
    queue_expiry_reminders()


# The notices wait for each customer's contact hours; this sends the due ones.
@db_periodic_task(crontab(minute="*/15"))
def periodic_loyalty_notices() -> None:
    send_due_notices()
