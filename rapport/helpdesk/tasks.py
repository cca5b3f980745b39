"""Background jobs of the helpdesk: each takes ids and calls an action."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.helpdesk.delivery import DeliveryError, deliver_message

# Attempts to send one message, and the pause before each retry (exponential backoff).
DELIVERY_ATTEMPTS = 6
DELIVERY_BASE_DELAY = 30


@db_task()
def deliver_message_task(message_id: int, attempt: int = 1) -> None:
    """Send message ``message_id``; on a temporary failure try again later, then give up."""
    try:
        deliver_message(message_id, final=attempt >= DELIVERY_ATTEMPTS)
    except DeliveryError:
        deliver_message_task.schedule(
            (message_id, attempt + 1), delay=DELIVERY_BASE_DELAY * 2 ** (attempt - 1)
        )


@db_task(retries=3, retry_delay=60)
def notify_mentions_task(message_id: int) -> None:
    """Email the colleagues an internal note mentions."""
    from rapport.helpdesk.notifications import notify_mentions

    notify_mentions(message_id=message_id)


# Attempts to follow up a received message (route, SLA, acknowledge) before giving up.
FOLLOW_UP_ATTEMPTS = 4
FOLLOW_UP_BASE_DELAY = 60


@db_task()
def follow_up_received_task(args: list[list], attempt: int = 1) -> None:
    """Follow up messages received in a batch; those that fail are tried again later."""
    import logging

    from rapport.helpdesk.actions.intake import follow_up_received

    failed = follow_up_received(args)
    if not failed:
        return
    if attempt >= FOLLOW_UP_ATTEMPTS:
        logging.getLogger(__name__).error(
            "gave up following up %d received messages: %s", len(failed), failed
        )
        return
    follow_up_received_task.schedule(
        (failed, attempt + 1), delay=FOLLOW_UP_BASE_DELAY * 4 ** (attempt - 1)
    )


@db_periodic_task(crontab(minute="*/10"))
def follow_up_missed_task() -> None:
    """Run the follow-up of batch-received email whose job was lost (nothing is left behind)."""
    from rapport.helpdesk.actions.intake import follow_up_received, missed_follow_ups

    args = missed_follow_ups()
    if args:
        follow_up_received(args)
