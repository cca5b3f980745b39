"""Background jobs of the SLA: the warning/breach sweep and the follow-ups (each calls an action)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.sla.actions import send_follow_ups, sweep_sla


@db_periodic_task(crontab(minute="*"))
def periodic_sla_sweep() -> None:
    """Warn before due times and record breaches (with escalation), every minute."""
    sweep_sla()


@db_periodic_task(crontab(minute="*/10"))
def periodic_follow_ups() -> None:
    """Ask customers whether a solved request is really solved, once per solve."""
    send_follow_ups()
