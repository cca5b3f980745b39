"""Background jobs of the mail channel: process received email (with retries), poll mailboxes."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.mail.models import InboundEmail, InboundStatus

# Pause before retry n (seconds): 1 min, 5 min, 25 min; then the email is quarantined.
RETRY_BASE_DELAY = 60
RETRY_FACTOR = 5
# Email left unprocessed this long (a worker died, a scheduled retry was lost) is picked up again.
STUCK_AFTER = timedelta(minutes=30)
SWEEP_BATCH = 200
# Emails processed together when a burst waits (see ``rapport.mail.actions.process_batch``).
BATCH_SIZE = 100


@db_task()
def process_inbound_task(inbound_id: int) -> None:
    """Process stored email ``inbound_id``; on failure try again later, a few times.

    When more email waits behind it (a burst), up to ``BATCH_SIZE`` are processed together
    in one batch; their own tasks then find them done.
    """
    from rapport.mail.actions import process_batch, process_inbound

    waiting = list(
        InboundEmail.objects.filter(status=InboundStatus.RECEIVED, pk__gte=inbound_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    if len(waiting) > 1 and waiting[0] == inbound_id:
        done = [outcome.inbound for outcome in process_batch(waiting)]
    elif InboundEmail.objects.filter(pk=inbound_id).exists():
        done = [process_inbound(inbound_id=inbound_id)]
    else:
        return
    for inbound in done:
        if inbound.status == InboundStatus.FAILED:
            delay = RETRY_BASE_DELAY * RETRY_FACTOR ** max(inbound.attempts - 1, 0)
            process_inbound_task.schedule((inbound.pk,), delay=delay)


def stuck_inbound():
    """Return email still waiting long after it arrived or last failed."""
    cutoff = timezone.now() - STUCK_AFTER
    return InboundEmail.objects.filter(
        Q(status=InboundStatus.RECEIVED, received_at__lt=cutoff)
        | Q(status=InboundStatus.FAILED, processed_at__lt=cutoff)
    )


@db_periodic_task(crontab(minute="*/10"))
def process_stuck_inbound_task() -> None:
    """Process email that waits too long (nothing received is left behind)."""
    from rapport.mail.actions import process_inbound

    for inbound_id in (
        stuck_inbound().order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    ):
        process_inbound(inbound_id=inbound_id)


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes_task() -> None:
    """Fetch new mail from every active IMAP mailbox (once a minute)."""
    from rapport.mail.imap import poll_all

    poll_all()
