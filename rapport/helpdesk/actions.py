"""Every change to a conversation: receive, reply, note, call, status, assignment, merge, split.

Channels (mail, chat, phone, social, web form, portal, API) all end here, so a conversation is
one thread whatever the channel, and every change leaves a ``ConversationEvent`` row.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.accounts.models import Role, User
from rapport.customers.models import Customer, Tag
from rapport.helpdesk.delivery import dispatch_message
from rapport.helpdesk.html import sanitize_html
from rapport.helpdesk.models import (
    DONE_STATUSES,
    PRIORITY_ORDER,
    Attachment,
    CallDirection,
    CallOutcome,
    Channel,
    Conversation,
    ConversationEvent,
    ConversationLink,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Status,
)
from rapport.timeline import models as timeline_models
from rapport.timeline.actions import record_event as record_timeline_event
from rapport.timeline.messages import label, message

# Timeline titles (one definition each; rendered in the reader's language).
MESSAGE_RECEIVED = gettext_noop("%(channel)s from the customer: %(subject)s")
MESSAGE_SENT = gettext_noop("%(channel)s to the customer: %(subject)s")
NOTE_ADDED = gettext_noop("Internal note on %(number)s")
CALL_LOGGED = gettext_noop("%(direction)s call, %(minutes)s min: %(outcome)s")

MAX_HANDLING_SECONDS = 4 * 3600
MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


class HelpdeskError(Exception):
    """A request the helpdesk refuses, with a stable code and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class IncomingAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str = ""
    is_inline: bool = False
    rejected_reason: str = ""
    size: int | None = None


@dataclass
class Received:
    """What ``receive_message`` did: the message, and whether it was new or a repeat."""

    message: Message
    created: bool
    conversation_created: bool = False
    reopened: bool = False
    notes: list[str] = field(default_factory=list)


def _event(conversation, kind, *, actor=None, data=None, message=None, at=None):
    return ConversationEvent.objects.create(
        conversation=conversation,
        kind=kind,
        actor=actor,
        data=data or {},
        message=message,
        created_at=at or timezone.now(),
    )


def open_conversation(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    actor: User | None = None,
    language: str = "",
    priority: str = Priority.NORMAL,
    team=None,
    assignee: User | None = None,
    created_at: datetime | None = None,
) -> Conversation:
    """Create an empty conversation for ``customer``; messages are added with the other actions."""
    if channel not in Channel.values:
        raise HelpdeskError("invalid_channel", _("Unknown channel."))
    if priority not in Priority.values:
        raise HelpdeskError("invalid_priority", _("Unknown priority."))
    now = created_at or timezone.now()
    subject = " ".join((subject or "").split())[:255] or _("(no subject)")
    conversation = Conversation.objects.create(
        customer=customer,
        subject=subject,
        channel=channel,
        priority=priority,
        team=team,
        assignee=assignee,
        language=(language or customer.language or "")[:8],
        created_at=now,
        last_message_at=now,
    )
    _event(conversation, EventKind.CREATED, actor=actor, data={"channel": channel}, at=now)
    return conversation


def receive_message(
    *,
    customer: Customer,
    channel: str,
    body_text: str = "",
    body_html: str = "",
    subject: str = "",
    conversation: Conversation | None = None,
    direction: str = Direction.INBOUND,
    kind: str = MessageKind.NORMAL,
    author: User | None = None,
    sender_name: str = "",
    sender_address: str = "",
    recipients: list[str] | None = None,
    display_text: str = "",
    external_id: str = "",
    attachments: Iterable[IncomingAttachment] = (),
    received_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    thread_reason: dict[str, Any] | None = None,
    language: str = "",
) -> Received:
    """Store a message that arrived on ``channel`` and thread it into a conversation.

    Without ``conversation`` a new one is opened (routed, given its SLA, and acknowledged).
    The same ``external_id`` on the same channel twice returns the first message. A message
    found in a mailbox that an agent sent from another client comes with
    ``direction=OUTBOUND``: it is recorded and never sent again. ``thread_reason`` records
    why the message joined ``conversation`` (which header or token matched).
    """
    if channel not in Channel.values:
        raise HelpdeskError("invalid_channel", _("Unknown channel."))
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise HelpdeskError("invalid_direction", _("Unknown direction."))
    external_id = (external_id or "")[:255]
    if external_id:
        existing = Message.objects.with_external_id(channel, external_id).first()
        if existing:
            return Received(message=existing, created=False)
    now = received_at or timezone.now()
    try:
        with transaction.atomic():
            return _receive(
                customer=customer,
                channel=channel,
                body_text=body_text,
                body_html=body_html,
                subject=subject,
                conversation=conversation,
                direction=direction,
                kind=kind,
                author=author,
                sender_name=sender_name,
                sender_address=sender_address,
                recipients=recipients or [],
                display_text=display_text,
                external_id=external_id,
                attachments=attachments,
                now=now,
                data=data or {},
                thread_reason=thread_reason,
                language=language,
            )
    except IntegrityError:
        if external_id:
            existing = Message.objects.with_external_id(channel, external_id).first()
            if existing:  # the same message delivered twice at once
                return Received(message=existing, created=False)
        raise


def _receive(
    *, customer, conversation, channel, direction, kind, now, thread_reason, language, **fields
):
    conversation_created = False
    if conversation is None:
        conversation = open_conversation(
            customer=customer,
            subject=fields["subject"] or _first_line(fields["body_text"]),
            channel=channel,
            language=language,
            created_at=now,
        )
        conversation_created = True
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    from_customer = direction == Direction.INBOUND
    msg = _store_message(
        conversation=conversation,
        direction=direction,
        kind=kind,
        channel=channel,
        created_at=now,
        **fields,
    )
    if thread_reason:
        _event(conversation, EventKind.THREADED, data=thread_reason, message=msg, at=now)
    if channel != conversation.channel and not conversation_created:
        _note_channel_switch(conversation, msg)

    reopened = False
    updates: dict[str, Any] = {"last_message_at": max(conversation.last_message_at, now)}
    if from_customer:
        updates["last_inbound_at"] = now
        if kind == MessageKind.NORMAL:
            updates["customer_message_count"] = F("customer_message_count") + 1
            if conversation.can_reopen():
                reopened = True
                updates["status"] = Status.OPEN
                updates["reopen_count"] = F("reopen_count") + 1
                _event(
                    conversation,
                    EventKind.REOPENED,
                    data={"from": conversation.status, "to": Status.OPEN},
                    message=msg,
                    at=now,
                )
            elif conversation.status == Status.PENDING:
                updates["status"] = Status.OPEN
                _event(
                    conversation,
                    EventKind.STATUS,
                    data={"from": Status.PENDING, "to": Status.OPEN, "reason": "customer_replied"},
                    message=msg,
                    at=now,
                )
    else:
        updates["last_outbound_at"] = now
        if kind == MessageKind.NORMAL:
            updates.update(_agent_reply_updates(conversation, now))
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    conversation.refresh_from_db()
    _record_message_in_timeline(msg, conversation)
    _after_change(conversation, msg, new=conversation_created, reopened=reopened)
    return Received(
        message=msg, created=True, conversation_created=conversation_created, reopened=reopened
    )


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def _store_message(*, conversation, attachments, created_at, **fields) -> Message:
    body_html = fields.pop("body_html", "")
    msg = Message.objects.create(
        conversation=conversation,
        body_html=sanitize_html(body_html) if body_html else "",
        created_at=created_at,
        **fields,
    )
    for item in attachments:
        _store_attachment(msg, item)
    return msg


def _store_attachment(msg: Message, item: IncomingAttachment) -> Attachment:
    from django.conf import settings
    from django.core.files.base import ContentFile

    size = item.size if item.size is not None else len(item.content or b"")
    reason = item.rejected_reason
    if not reason and size > settings.HELPDESK_MAX_ATTACHMENT_BYTES:
        reason = "too_large"
    filename = _safe_filename(item.filename)
    attachment = Attachment(
        message=msg,
        filename=filename,
        content_type=(item.content_type or "application/octet-stream")[:128],
        size=size,
        content_id=(item.content_id or "")[:255],
        is_inline=item.is_inline,
        rejected_reason=reason,
    )
    if not reason:
        attachment.file.save(filename, ContentFile(item.content or b""), save=False)
    attachment.save()
    return attachment


def _safe_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return (name or "attachment")[:200]


def _agent_reply_updates(conversation: Conversation, now: datetime) -> dict[str, Any]:
    updates: dict[str, Any] = {"agent_reply_count": F("agent_reply_count") + 1}
    if conversation.first_response_at is None:
        updates["first_response_at"] = now
    if conversation.status == Status.NEW:
        updates["status"] = Status.OPEN
        _event(
            conversation,
            EventKind.STATUS,
            data={"from": Status.NEW, "to": Status.OPEN, "reason": "agent_replied"},
            at=now,
        )
    return updates


def _note_channel_switch(conversation: Conversation, msg: Message) -> None:
    previous = (
        Message.objects.filter(conversation=conversation)
        .exclude(pk=msg.pk)
        .exclude(direction=Direction.NOTE)
        .order_by("-created_at", "-id")
        .values_list("channel", flat=True)
        .first()
    )
    if previous and previous != msg.channel:
        _event(
            conversation,
            EventKind.CHANNEL,
            actor=msg.author,
            data={"from": previous, "to": msg.channel},
            message=msg,
            at=msg.created_at,
        )


def _record_message_in_timeline(msg: Message, conversation: Conversation) -> None:
    if msg.kind == MessageKind.CALL:
        call = msg.data.get("call", {})
        text = message(
            CALL_LOGGED,
            direction=label(CallDirection, call.get("direction", CallDirection.INBOUND)),
            minutes=round((call.get("duration_seconds") or 0) / 60),
            outcome=label(CallOutcome, call.get("outcome", CallOutcome.ANSWERED)),
        )
        kind = timeline_models.EventKind.CALL
    elif msg.direction == Direction.NOTE:
        text = message(NOTE_ADDED, number=conversation.number)
        kind = timeline_models.EventKind.MESSAGE
    else:
        template = MESSAGE_RECEIVED if msg.direction == Direction.INBOUND else MESSAGE_SENT
        text = message(
            template,
            channel=label(Channel, msg.channel),
            subject=msg.subject or conversation.subject,
        )
        kind = timeline_models.EventKind.MESSAGE
    record_timeline_event(
        customer=conversation.customer,
        kind=kind,
        message=text,
        body=msg.shown_text[:2000],
        actor=msg.author,
        occurred_at=msg.created_at,
        channel=msg.channel,
        data={"conversation": conversation.pk, "direction": msg.direction},
        source=msg,
        dedupe_key=f"helpdesk.message:{msg.pk}",
    )


def _after_change(
    conversation: Conversation, msg: Message | None, *, new: bool = False, reopened: bool = False
) -> None:
    """Keep routing, the SLA clock, acknowledgements and webhooks in step with a change."""
    from rapport.helpdesk.routing import route_conversation
    from rapport.sla.actions import acknowledge_conversation, update_sla
    from rapport.webhooks.actions import emit_conversation_event

    if new:
        route_conversation(conversation=conversation, message=msg)
        # Routing sets language, team, assignee and priority on its own copy of the row.
        conversation.refresh_from_db()
    update_sla(conversation=conversation)
    if (
        new
        and msg is not None
        and msg.direction == Direction.INBOUND
        and msg.kind == MessageKind.NORMAL
    ):
        acknowledge_conversation(conversation=conversation, message=msg)
    if msg is not None:
        emit_conversation_event(
            "conversation.created" if new else "message.created",
            conversation=conversation,
            message=msg,
        )
    elif reopened:
        emit_conversation_event("conversation.updated", conversation=conversation)


def send_reply(
    *,
    conversation: Conversation,
    author: User | None,
    body_text: str,
    body_html: str = "",
    channel: str | None = None,
    subject: str = "",
    attachments: Iterable[IncomingAttachment] = (),
    kind: str = MessageKind.NORMAL,
    status: str | None = None,
    handling_seconds: int = 0,
    data: dict[str, Any] | None = None,
) -> Message:
    """Write to the customer on ``channel`` (default: where they last wrote) and send it.

    ``kind=SYSTEM`` is for our automatic messages (acknowledgement, delay notice, follow-up):
    they are sent but do not count as an agent's reply. ``status`` sets the conversation's
    status in the same step (for example "pending customer").
    """
    body_text = (body_text or "").strip()
    if not body_text and not body_html:
        raise ValidationError({"body": [_("A reply cannot be empty.")]}, code="required")
    channel = channel or reply_channel(conversation)
    if channel not in Channel.values or channel == Channel.PHONE:
        raise HelpdeskError("invalid_channel", _("Replies cannot be sent on this channel."))
    if conversation.merged_into_id:
        raise HelpdeskError("merged", _("This conversation was merged into another one."))
    now = timezone.now()
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        msg = _store_message(
            conversation=locked,
            direction=Direction.OUTBOUND,
            kind=kind,
            channel=channel,
            author=author,
            sender_name=author.get_full_name() if author else "",
            subject=subject or _reply_subject(locked),
            body_text=body_text,
            body_html=body_html,
            display_text="",
            recipients=[],
            external_id="",
            attachments=attachments,
            data=data or {},
            created_at=now,
        )
        Message.objects.filter(pk=msg.pk).update(delivery_status=DeliveryStatus.QUEUED)
        msg.delivery_status = DeliveryStatus.QUEUED
        updates: dict[str, Any] = {"last_message_at": now, "last_outbound_at": now}
        if kind == MessageKind.NORMAL:
            updates.update(_agent_reply_updates(locked, now))
        if handling_seconds:
            updates["handling_seconds"] = F("handling_seconds") + _clamp_handling(handling_seconds)
        if channel != locked.channel:
            _note_channel_switch(locked, msg)
        Conversation.objects.filter(pk=locked.pk).update(**updates)
        locked.refresh_from_db()
        _record_message_in_timeline(msg, locked)
        if status and status != locked.status:
            _set_status(locked, status, actor=author)
        _after_change(locked, msg)
        dispatch_message(msg)
    conversation.refresh_from_db()
    return msg


def reply_channel(conversation: Conversation) -> str:
    """Return the channel a reply goes out on: where the customer last wrote, else email."""
    last = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("channel", flat=True)
        .first()
    ) or conversation.channel
    if last in (Channel.PHONE, Channel.WEB, Channel.API):
        return Channel.EMAIL
    return last


def _reply_subject(conversation: Conversation) -> str:
    subject = conversation.subject
    return subject if subject.lower().startswith(("re:", "aw:")) else f"Re: {subject}"


def _clamp_handling(seconds: int) -> int:
    return max(0, min(int(seconds), MAX_HANDLING_SECONDS))


def add_internal_note(
    *, conversation: Conversation, author: User, body_text: str, handling_seconds: int = 0
) -> Message:
    """Add a note only staff can see; ``@username`` mentions are resolved and kept."""
    body_text = (body_text or "").strip()
    if not body_text:
        raise ValidationError({"body": [_("A note cannot be empty.")]}, code="required")
    names = {name.rstrip(".").lower() for name in MENTION.findall(body_text)}
    mentioned = (
        list(
            User.objects.filter(username__in=names, is_active=True)
            .exclude(role=Role.CUSTOMER)
            .values_list("pk", flat=True)
        )
        if names
        else []
    )
    now = timezone.now()
    with transaction.atomic():
        msg = _store_message(
            conversation=conversation,
            direction=Direction.NOTE,
            kind=MessageKind.NORMAL,
            channel=conversation.channel,
            author=author,
            sender_name=author.get_full_name(),
            subject="",
            body_text=body_text,
            body_html="",
            display_text="",
            recipients=[],
            external_id="",
            attachments=(),
            data={"mentions": mentioned},
            created_at=now,
        )
        if handling_seconds:
            Conversation.objects.filter(pk=conversation.pk).update(
                handling_seconds=F("handling_seconds") + _clamp_handling(handling_seconds)
            )
        _record_message_in_timeline(msg, conversation)
        _event(
            conversation, EventKind.MESSAGE, actor=author, message=msg, data={"note": True}, at=now
        )
        if mentioned:
            from rapport.helpdesk.tasks import notify_mentions_task

            transaction.on_commit(lambda: notify_mentions_task(msg.pk))
    return msg


def log_call(
    *,
    customer: Customer,
    agent: User | None,
    direction: str,
    duration_seconds: int,
    outcome: str = CallOutcome.ANSWERED,
    notes: str = "",
    conversation: Conversation | None = None,
    phone_number: str = "",
    external_id: str = "",
    started_at: datetime | None = None,
    subject: str = "",
) -> Received:
    """Record a phone call in ``conversation`` (or a new one); its duration counts as handling time."""
    if direction not in CallDirection.values:
        raise ValidationError({"direction": [_("Choose inbound or outbound.")]}, code="invalid")
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": [_("Unknown call outcome.")]}, code="invalid")
    try:
        duration = int(duration_seconds)
    except (TypeError, ValueError):
        raise ValidationError({"duration_seconds": [_("Enter the duration in seconds.")]}) from None
    if duration < 0 or duration > 24 * 3600:
        raise ValidationError(
            {"duration_seconds": [_("The duration must be between 0 seconds and 24 hours.")]}
        )
    if conversation is not None and conversation.customer_id != customer.pk:
        raise HelpdeskError("wrong_customer", _("This conversation belongs to another customer."))
    with transaction.atomic():
        received = receive_message(
            customer=customer,
            channel=Channel.PHONE,
            conversation=conversation,
            direction=Direction.INBOUND
            if direction == CallDirection.INBOUND
            else Direction.OUTBOUND,
            kind=MessageKind.CALL,
            author=agent,
            sender_address=phone_number,
            subject=subject or (_("Phone call") if conversation is None else ""),
            body_text=notes.strip(),
            external_id=external_id,
            received_at=started_at,
            data={
                "call": {"direction": direction, "duration_seconds": duration, "outcome": outcome}
            },
        )
        if received.created:
            conv = received.message.conversation
            updates: dict[str, Any] = {"handling_seconds": F("handling_seconds") + duration}
            if direction == CallDirection.INBOUND:
                updates["customer_message_count"] = F("customer_message_count") + 1
            if agent is not None and outcome != CallOutcome.MISSED:
                # Talking to the customer is a response; an answered call is the first one.
                fresh = Conversation.objects.get(pk=conv.pk)
                updates.update(_agent_reply_updates(fresh, received.message.created_at))
            Conversation.objects.filter(pk=conv.pk).update(**updates)
            from rapport.sla.actions import update_sla

            conv.refresh_from_db()
            update_sla(conversation=conv)
    return received


# --- Status, priority, assignment, tags ---------------------------------------------------


def change_status(*, conversation: Conversation, actor: User | None, status: str) -> Conversation:
    """Set the status; solving records the resolution time, a later customer reply reopens."""
    if status not in Status.values:
        raise HelpdeskError("invalid_status", _("Unknown status."))
    if conversation.merged_into_id and status not in DONE_STATUSES:
        raise HelpdeskError("merged", _("This conversation was merged into another one."))
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.status != status:
            _set_status(locked, status, actor=actor)
            _after_change(locked, None)
            from rapport.webhooks.actions import emit_conversation_event

            emit_conversation_event("conversation.updated", conversation=locked)
    conversation.refresh_from_db()
    return conversation


def _set_status(conversation: Conversation, status: str, *, actor) -> None:
    now = timezone.now()
    previous = conversation.status
    updates: dict[str, Any] = {"status": status}
    if status == Status.SOLVED:
        updates["solved_at"] = now
    elif status == Status.CLOSED:
        updates["closed_at"] = now
        if conversation.solved_at is None:
            updates["solved_at"] = now
    elif previous in DONE_STATUSES:
        updates["reopen_count"] = F("reopen_count") + 1
        updates["solved_at"] = None
        updates["closed_at"] = None
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    _event(
        conversation, EventKind.STATUS, actor=actor, data={"from": previous, "to": status}, at=now
    )
    conversation.refresh_from_db()


def set_priority(*, conversation: Conversation, actor: User | None, priority: str) -> Conversation:
    if priority not in Priority.values:
        raise HelpdeskError("invalid_priority", _("Unknown priority."))
    return _change_field(conversation, "priority", priority, EventKind.PRIORITY, actor)


def raise_priority(*, conversation: Conversation, actor: User | None = None) -> Conversation:
    """Raise the priority one step (used by escalation); urgent stays urgent."""
    index = PRIORITY_ORDER.index(conversation.priority)
    if index + 1 >= len(PRIORITY_ORDER):
        return conversation
    return set_priority(conversation=conversation, actor=actor, priority=PRIORITY_ORDER[index + 1])


def assign_conversation(
    *, conversation: Conversation, actor: User | None, assignee: User | None, reason: str = ""
) -> Conversation:
    """Give the conversation to ``assignee`` (None: unassign); only active staff can hold one."""
    if assignee is not None and not assignee.is_staff_member:
        raise HelpdeskError("invalid_assignee", _("Only active staff can be assigned."))
    return _change_field(
        conversation, "assignee", assignee, EventKind.ASSIGNEE, actor, reason=reason
    )


def set_team(
    *, conversation: Conversation, actor: User | None, team, reason: str = ""
) -> Conversation:
    return _change_field(conversation, "team", team, EventKind.TEAM, actor, reason=reason)


def set_subject(*, conversation: Conversation, actor: User | None, subject: str) -> Conversation:
    subject = " ".join((subject or "").split())[:255]
    if not subject:
        raise ValidationError({"subject": [_("The subject cannot be empty.")]}, code="required")
    return _change_field(conversation, "subject", subject, EventKind.SUBJECT, actor)


def _change_field(conversation, name, value, kind, actor, *, reason: str = ""):
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        old = getattr(locked, name)
        if old == value:
            return conversation
        setattr(locked, name, value)
        locked.save(update_fields=[name, "updated_at"])
        data = {"from": _plain(old), "to": _plain(value)}
        if reason:
            data["reason"] = reason
        _event(locked, kind, actor=actor, data=data)
        if name in ("priority", "team"):
            from rapport.sla.actions import update_sla

            update_sla(conversation=locked)
        from rapport.webhooks.actions import emit_conversation_event

        emit_conversation_event("conversation.updated", conversation=locked)
    conversation.refresh_from_db()
    return conversation


def _plain(value):
    if value is None or isinstance(value, str | int):
        return value
    return {"id": value.pk, "name": str(value)}


def set_tags(*, conversation: Conversation, actor: User | None, names: Iterable[str]) -> None:
    wanted = sorted({" ".join(n.split())[:64] for n in names if n and n.strip()})
    before = sorted(conversation.tags.values_list("name", flat=True))
    if wanted == before:
        return
    with transaction.atomic():
        tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
        conversation.tags.set(tags)
        _event(conversation, EventKind.TAGS, actor=actor, data={"from": before, "to": wanted})


def add_tags(*, conversation: Conversation, actor: User | None, names: Iterable[str]) -> None:
    current = set(conversation.tags.values_list("name", flat=True))
    set_tags(conversation=conversation, actor=actor, names=current | set(names))


# --- Merge, split, link --------------------------------------------------------------------


def merge_conversations(
    *, source: Conversation, target: Conversation, actor: User | None
) -> Conversation:
    """Move every message of ``source`` into ``target`` and close ``source`` as merged."""
    if source.pk == target.pk:
        raise HelpdeskError("same_conversation", _("A conversation cannot be merged into itself."))
    if source.customer_id != target.customer_id:
        raise HelpdeskError(
            "different_customers", _("Only conversations of the same customer can be merged.")
        )
    if source.merged_into_id or target.merged_into_id:
        raise HelpdeskError("merged", _("This conversation was merged into another one."))
    now = timezone.now()
    with transaction.atomic():
        source = Conversation.objects.select_for_update().get(pk=source.pk)
        target = Conversation.objects.select_for_update().get(pk=target.pk)
        moved = list(Message.objects.filter(conversation=source).values_list("pk", flat=True))
        Message.objects.filter(pk__in=moved).update(conversation=target)
        Conversation.objects.filter(pk=target.pk).update(
            last_message_at=max(target.last_message_at, source.last_message_at),
            agent_reply_count=F("agent_reply_count") + source.agent_reply_count,
            customer_message_count=F("customer_message_count") + source.customer_message_count,
            handling_seconds=F("handling_seconds") + source.handling_seconds,
        )
        Conversation.objects.filter(pk=source.pk).update(
            merged_into=target, status=Status.CLOSED, closed_at=now, sla_due_at=None
        )
        _event(
            target,
            EventKind.MERGED,
            actor=actor,
            data={"from": source.pk, "messages": moved},
            at=now,
        )
        _event(
            source,
            EventKind.MERGED,
            actor=actor,
            data={"into": target.pk, "messages": moved},
            at=now,
        )
        target.refresh_from_db()
        source.refresh_from_db()
        from rapport.sla.actions import update_sla

        update_sla(conversation=target)
        update_sla(conversation=source)
    return target


def split_conversation(
    *, conversation: Conversation, message_ids: Iterable[int], actor: User | None, subject: str = ""
) -> Conversation:
    """Move the given messages into a new conversation of the same customer and return it.

    This undoes a wrong threading decision: the moved messages keep their ids and history.
    """
    ids = sorted({int(pk) for pk in message_ids})
    messages = list(
        Message.objects.filter(conversation=conversation, pk__in=ids).order_by("created_at", "id")
    )
    if not messages or len(messages) != len(ids):
        raise HelpdeskError(
            "invalid_messages", _("Choose messages of this conversation to split off.")
        )
    if Message.objects.filter(conversation=conversation).exclude(pk__in=ids).count() == 0:
        raise HelpdeskError(
            "nothing_left", _("At least one message must stay in the conversation.")
        )
    first = messages[0]
    with transaction.atomic():
        new = open_conversation(
            customer=conversation.customer,
            subject=subject or first.subject or conversation.subject,
            channel=first.channel,
            actor=actor,
            language=conversation.language,
            priority=conversation.priority,
            team=conversation.team,
            assignee=conversation.assignee,
            created_at=first.created_at,
        )
        Message.objects.filter(pk__in=ids).update(conversation=new)
        inbound = [
            m for m in messages if m.direction == Direction.INBOUND and m.kind == MessageKind.NORMAL
        ]
        replies = [
            m
            for m in messages
            if m.direction == Direction.OUTBOUND and m.kind == MessageKind.NORMAL
        ]
        Conversation.objects.filter(pk=new.pk).update(
            status=Status.OPEN,
            last_message_at=messages[-1].created_at,
            customer_message_count=len(inbound),
            agent_reply_count=len(replies),
            first_response_at=replies[0].created_at if replies else None,
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            customer_message_count=F("customer_message_count") - len(inbound),
            agent_reply_count=F("agent_reply_count") - len(replies),
        )
        _event(conversation, EventKind.SPLIT, actor=actor, data={"into": new.pk, "messages": ids})
        _event(new, EventKind.SPLIT, actor=actor, data={"from": conversation.pk, "messages": ids})
        new.refresh_from_db()
        from rapport.sla.actions import update_sla

        update_sla(conversation=new)
    return new


def link_conversations(*, source: Conversation, target: Conversation, actor: User | None) -> None:
    if source.pk == target.pk:
        raise HelpdeskError("same_conversation", _("A conversation cannot be linked to itself."))
    with transaction.atomic():
        if ConversationLink.objects.filter(source=target, target=source).exists():
            return
        _link, created = ConversationLink.objects.get_or_create(
            source=source, target=target, defaults={"created_by": actor}
        )
        if created:
            _event(source, EventKind.LINKED, actor=actor, data={"to": target.pk})
            _event(target, EventKind.LINKED, actor=actor, data={"to": source.pk})


def unlink_conversations(*, source: Conversation, target: Conversation, actor: User | None) -> None:
    with transaction.atomic():
        deleted, _details = ConversationLink.objects.filter(source=source, target=target).delete()
        deleted2, _details = ConversationLink.objects.filter(source=target, target=source).delete()
        if deleted or deleted2:
            _event(source, EventKind.UNLINKED, actor=actor, data={"to": target.pk})
            _event(target, EventKind.UNLINKED, actor=actor, data={"to": source.pk})


def record_conversation_event(
    *,
    conversation: Conversation,
    kind: str,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
) -> ConversationEvent:
    """Record an event other apps cause (SLA warnings, escalations, notices to the customer)."""
    if kind not in EventKind.values:
        raise ValueError(f"unknown conversation event kind {kind!r}")
    return _event(conversation, kind, actor=actor, data=data, message=message)
