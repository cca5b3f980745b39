"""Sending outbound messages through their channel's sender.

A sender is a function ``send(message) -> str | None`` named in ``settings.HELPDESK_SENDERS``
by channel (the pluggable sender interface: a social network's adapter is one more entry).
It returns the id the channel gave the message (an email's ``Message-ID``) and raises
``DeliveryError`` when sending failed; ``permanent=True`` means retrying cannot help.

Mail and social replies go through the task queue and are retried with backoff; chat and
portal replies are delivered in the web process right after the commit, because the
person is waiting on the other end of a socket.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from rapport.helpdesk.models import DeliveryStatus, Message

logger = logging.getLogger(__name__)

# Channels whose sender runs in the web process, right after the commit.
IMMEDIATE_CHANNELS = frozenset({"chat", "portal"})


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def sender_for(channel: str):
    """Return the sender function for ``channel``, or None when the channel sends nothing."""
    path = settings.HELPDESK_SENDERS.get(channel)
    return import_string(path) if path else None


def dispatch_message(message: Message) -> None:
    """Arrange for ``message`` to be sent once the current transaction commits."""
    if message.channel in IMMEDIATE_CHANNELS:
        transaction.on_commit(lambda: deliver_message(message.pk, final=True))
    else:
        from rapport.helpdesk.tasks import deliver_message_task

        transaction.on_commit(lambda: deliver_message_task(message.pk))


def deliver_message(message_id: int, *, final: bool = False) -> bool:
    """Send one queued message and record the outcome; return True when it was sent.

    Raises ``DeliveryError`` for a temporary failure unless ``final`` (the task layer
    retries it); a permanent failure, or a temporary one on the last try, marks the
    message as failed so agents see it.
    """
    claimed = Message.objects.filter(pk=message_id, delivery_status=DeliveryStatus.QUEUED)
    message = claimed.select_related("conversation__customer", "author").first()
    if message is None:
        return False  # already sent, or failed for good
    sender = sender_for(message.channel)
    if sender is None:
        _mark(message, DeliveryStatus.FAILED, error=f"no sender for channel {message.channel}")
        return False
    try:
        external_id = sender(message)
    except DeliveryError as exc:
        if exc.permanent or final:
            _mark(message, DeliveryStatus.FAILED, error=exc.reason)
            return False
        Message.objects.filter(pk=message.pk).update(delivery_error=exc.reason)
        raise
    _mark(message, DeliveryStatus.SENT, external_id=external_id or "")
    return True


def _mark(message: Message, status: str, *, error: str = "", external_id: str = "") -> None:
    fields = {"delivery_status": status, "delivery_error": error}
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = timezone.now()
        if external_id and not message.external_id:
            fields["external_id"] = external_id[:255]
    else:
        logger.warning("message %s not delivered: %s", message.pk, error)
    Message.objects.filter(pk=message.pk).update(**fields)
