"""Receiving a burst of customers' messages at once: one transaction, a few queries per batch.

``receive_inbound_batch`` stores what ``receive_message`` stores for each customer message
(conversation, message, attachments, events, timeline entry, counters, reopening) with
bulk writes, and defers the follow-up (routing, SLA clock, acknowledgement, webhooks) to a
background job after the commit. Mail intake uses it when several emails wait; a single
message still goes through ``receive_message``, where the follow-up runs at once.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.customers.models import Customer
from rapport.helpdesk.actions.common import (
    HelpdeskError,
    IncomingAttachment,
    Received,
    _after_change,
)
from rapport.helpdesk.actions.messages import (
    _first_line,
    build_conversation,
    build_message,
    inbound_changes,
    store_attachment,
    timeline_fields,
)
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    ConversationEvent,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.imports.bulk import update_objects
from rapport.timeline.actions import build_event, record_events_bulk

logger = logging.getLogger(__name__)

# Fields a customer's message may change on its conversation (see ``inbound_changes``).
CHANGED_FIELDS = (
    "last_message_at",
    "last_inbound_at",
    "customer_message_count",
    "status",
    "reopen_count",
)


@dataclass
class Incoming:
    """One customer message for ``receive_inbound_batch`` (the arguments of ``receive_message``)."""

    customer: Customer
    received_at: datetime
    conversation: Conversation | None = None
    kind: str = MessageKind.NORMAL
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    display_text: str = ""
    sender_name: str = ""
    sender_address: str = ""
    recipients: list[str] = field(default_factory=list)
    external_id: str = ""
    attachments: list[IncomingAttachment] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    thread_reason: dict[str, Any] | None = None


@dataclass
class FollowUp:
    """What the follow-up job does for one received message."""

    conversation_id: int
    message_id: int
    new: bool
    reopened: bool

    def as_args(self) -> list:
        return [self.conversation_id, self.message_id, self.new, self.reopened]


def receive_inbound_batch(items: list[Incoming], *, channel: str) -> list[Received]:
    """Store customers' messages arriving on ``channel``; one ``Received`` per item, in order.

    Items are applied in order, so two messages for one conversation count and reopen as
    they would one by one. An ``external_id`` already stored (or repeated in the batch)
    gives the first message back with ``created=False``. Everything is written in one
    transaction; the follow-up job is queued when it commits.
    """
    if channel not in Channel.values:
        raise HelpdeskError("invalid_channel", _("Unknown channel."))
    for item in items:
        item.external_id = (item.external_id or "")[:255]
    with transaction.atomic():
        results, follow_ups = _receive_batch(items, channel)
    if follow_ups:
        args = [f.as_args() for f in follow_ups]
        transaction.on_commit(lambda: _queue_follow_up(args))
    return results


def _receive_batch(items: list[Incoming], channel: str):
    ids = sorted({item.external_id for item in items if item.external_id})
    known = {
        m.external_id: m
        for m in (
            Message.objects.with_external_id(channel, ids).select_related("conversation")
            if ids
            else ()
        )
    }
    results: list[Received | None] = [None] * len(items)
    fresh: list[int] = []  # positions of items stored by this batch
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        if item.external_id in known:
            results[n] = Received(message=known[item.external_id], created=False)
        elif item.external_id and item.external_id in seen:
            continue  # a repeat within the batch: answered below with the first one
        else:
            if item.external_id:
                seen[item.external_id] = n
            fresh.append(n)

    # Conversations: the existing ones locked (in id order), the new ones created.
    locked = {
        c.pk: c
        for c in Conversation.objects.select_for_update()
        .select_related("customer")
        .filter(pk__in=sorted({items[n].conversation.pk for n in fresh if items[n].conversation}))
        .order_by("pk")
    }
    previous_channel = _previous_channels(list(locked))
    opened: dict[int, Conversation] = {}
    for n in fresh:
        item = items[n]
        if item.conversation is None:
            opened[n] = build_conversation(
                customer=item.customer,
                subject=item.subject or _first_line(item.body_text),
                channel=channel,
                created_at=item.received_at,
            )
    Conversation.objects.bulk_create(list(opened.values()))
    events = [
        ConversationEvent(
            conversation=c,
            kind=EventKind.CREATED,
            data={"channel": channel},
            created_at=c.created_at,
        )
        for c in opened.values()
    ]

    messages: dict[int, Message] = {}
    for n in fresh:
        item = items[n]
        conversation = opened.get(n) or locked[item.conversation.pk]
        messages[n] = build_message(
            conversation=conversation,
            created_at=item.received_at,
            direction=Direction.INBOUND,
            kind=item.kind,
            channel=channel,
            subject=item.subject,
            body_text=item.body_text,
            body_html=item.body_html,
            display_text=item.display_text,
            sender_name=item.sender_name,
            sender_address=item.sender_address,
            recipients=item.recipients,
            external_id=item.external_id,
            data=item.data,
        )
    Message.objects.bulk_create(list(messages.values()))
    for n in fresh:
        for attachment in items[n].attachments:
            store_attachment(messages[n], attachment)

    changed: dict[int, Conversation] = {}
    timeline = []
    follow_ups: list[FollowUp] = []
    for n in fresh:
        item, msg = items[n], messages[n]
        conversation = msg.conversation
        now = item.received_at
        if item.thread_reason:
            events.append(_event(conversation, EventKind.THREADED, item.thread_reason, msg, now))
        if n not in opened:
            before = previous_channel.get(conversation.pk)
            if before and before != channel:
                events.append(
                    _event(
                        conversation, EventKind.CHANNEL, {"from": before, "to": channel}, msg, now
                    )
                )
            previous_channel[conversation.pk] = channel
        updates, status_events, reopened = inbound_changes(conversation, kind=item.kind, now=now)
        updates["last_message_at"] = max(conversation.last_message_at, now)
        for name, value in updates.items():
            setattr(conversation, name, value)
        for kind, data in status_events:
            events.append(_event(conversation, kind, data, msg, now))
        changed[conversation.pk] = conversation
        timeline.append(build_event(**timeline_fields(msg, conversation)))
        follow_ups.append(FollowUp(conversation.pk, msg.pk, n in opened, reopened))
        results[n] = Received(
            message=msg, created=True, conversation_created=n in opened, reopened=reopened
        )
    update_objects(list(changed.values()), CHANGED_FIELDS)
    ConversationEvent.objects.bulk_create(events)
    record_events_bulk(timeline)
    for n, item in enumerate(items):
        if results[n] is None:  # a repeat of an earlier item of this batch
            first = results[seen[item.external_id]]
            results[n] = Received(message=first.message, created=False)
    return results, follow_ups


def _event(conversation, kind, data, message, at) -> ConversationEvent:
    return ConversationEvent(
        conversation=conversation, kind=kind, data=data or {}, message=message, created_at=at
    )


def _previous_channels(conversation_ids: list[int]) -> dict[int, str]:
    """Return the channel of the latest message (not a note) of each conversation."""
    if not conversation_ids:
        return {}
    latest = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(direction=Direction.NOTE)
        .order_by("-created_at", "-id")
        .values("channel")[:1]
    )
    return {
        pk: value
        for pk, value in Conversation.objects.filter(pk__in=conversation_ids)
        .annotate(previous=Subquery(latest))
        .values_list("pk", "previous")
        if value
    }


def _queue_follow_up(args: list[list]) -> None:
    from rapport.helpdesk.tasks import follow_up_received_task

    try:
        follow_up_received_task(args)
    except Exception:  # noqa: BLE001 - the messages are stored; the SLA sweep catches up
        logger.exception("queueing the follow-up of %d received messages failed", len(args))


def follow_up_received(args: list[list]) -> list[list]:
    """Route, start the SLA clock, acknowledge and announce received messages.

    Each message is followed up in its own transaction; returns those that failed, for a
    later attempt.
    """
    failed = []
    for conversation_id, message_id, new, reopened in args:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.select_related("customer").get(
                    pk=conversation_id
                )
                msg = Message.objects.get(pk=message_id)
                _after_change(conversation, msg, new=new, reopened=reopened)
        except (Conversation.DoesNotExist, Message.DoesNotExist):
            continue  # deleted since (e.g. a customer erased): nothing to follow up
        except Exception:  # noqa: BLE001 - one message's failure must not stop the others
            logger.exception("follow-up of message %s failed", message_id)
            failed.append([conversation_id, message_id, new, reopened])
    return failed


# A batch's follow-up that has not run this long after the mail arrived was lost (a worker
# died between the commit and the job); the sweep runs it. Older than a day: left alone.
FOLLOW_UP_GRACE = timedelta(minutes=10)
FOLLOW_UP_HORIZON = timedelta(days=1)


def missed_follow_ups(*, now: datetime | None = None, limit: int = 200) -> list[list]:
    """Return follow-ups of batch-received email that never ran (arguments of
    ``follow_up_received``): new email conversations without an SLA clock whose first
    message came through mail intake.
    """
    now = now or timezone.now()
    candidates = (
        Conversation.objects.filter(
            status=Status.NEW,
            channel=Channel.EMAIL,
            last_message_at__gte=now - FOLLOW_UP_HORIZON,
            last_message_at__lt=now - FOLLOW_UP_GRACE,
            sla_clock__isnull=True,
            merged_into__isnull=True,
        )
        .order_by("last_message_at")
        .values_list("pk", flat=True)[:limit]
    )
    result = []
    for conversation_id in candidates:
        first = (
            Message.objects.filter(conversation_id=conversation_id)
            .order_by("created_at", "id")
            .only("pk", "direction", "data")
            .first()
        )
        if (
            first is not None
            and first.direction == Direction.INBOUND
            and (first.data.get("email") or {}).get("inbound_id")
        ):
            result.append([conversation_id, first.pk, True, False])
    return result
