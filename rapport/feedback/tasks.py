"""Survey sweeps: invite after solved conversations, send what is due, expire old links."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.feedback.actions import (
    expire_invitations,
    invite_solved_conversations,
    send_due_invitations,
)


@db_periodic_task(crontab(minute="*/5"))
def periodic_surveys() -> None:
    invite_solved_conversations()
    send_due_invitations()
    expire_invitations()
