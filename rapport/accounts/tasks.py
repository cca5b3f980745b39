"""Background jobs of the accounts app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.accounts.actions import purge_idempotency_keys


@db_periodic_task(crontab(minute="17"))
def periodic_purge_idempotency_keys() -> None:
    purge_idempotency_keys()
