"""Survey jobs: each takes ids and calls an action; the sweeps invite, send, expire and close
the loop on low answers."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.feedback.actions import (
    close_follow_up_loops,
    expire_invitations,
    invite_after_self_service,
    invite_relationship_nps,
    invite_solved_conversations,
    note_follow_up_comment,
    open_missed_follow_ups,
    send_due_invitations,
    sync_follow_up,
)


@db_task(retries=3, retry_delay=60)
def sync_follow_up_task(response_id: int) -> None:
    """Open (or update) the follow-up of answer ``response_id``."""
    sync_follow_up(response_id=response_id)


@db_task(retries=3, retry_delay=60)
def note_follow_up_comment_task(response_id: int) -> None:
    """Add the comment of answer ``response_id`` to its follow-up."""
    note_follow_up_comment(response_id=response_id)


@db_periodic_task(crontab(minute="*/5"))
def periodic_surveys() -> None:
    invite_solved_conversations()
    invite_after_self_service()
    send_due_invitations()
    expire_invitations()
    open_missed_follow_ups()
    close_follow_up_loops()


# Once a day: invitations wait for each customer's contact hours anyway.
@db_periodic_task(crontab(minute="20", hour="2"))
def daily_relationship_nps() -> None:
    invite_relationship_nps()
