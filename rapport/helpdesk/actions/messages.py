"""Messages on every channel: a new conversation, inbound messages, replies, notes and calls."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.accounts.models import HELPDESK_ROLES, User
from rapport.customers.models import Customer
from rapport.helpdesk.actions.common import (
    HelpdeskError,
    IncomingAttachment,
    Received,
    _after_change,
    _agent_reply_updates,
    _event,
    _set_status,
)
from rapport.helpdesk.delivery import dispatch_message
from rapport.helpdesk.html import sanitize_html
from rapport.helpdesk.models import (
    Attachment,
    CallDirection,
    CallOutcome,
    Channel,
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Status,
)
from rapport.helpdesk.search import index_conversations
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


def build_conversation(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    language: str = "",
    priority: str = Priority.NORMAL,
    team=None,
    assignee: User | None = None,
    created_at: datetime | None = None,
) -> Conversation:
    """Return the unsaved conversation ``open_conversation`` would create (batch intake)."""
    if channel not in Channel.values:
        raise HelpdeskError("invalid_channel", _("Unknown channel."))
    if priority not in Priority.values:
        raise HelpdeskError("invalid_priority", _("Unknown priority."))
    now = created_at or timezone.now()
    subject = " ".join((subject or "").split())[:255] or _("(no subject)")
    return Conversation(
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
    conversation = build_conversation(
        customer=customer,
        subject=subject,
        channel=channel,
        language=language,
        priority=priority,
        team=team,
        assignee=assignee,
        created_at=created_at,
    )
    conversation.save(force_insert=True)
    _event(
        conversation,
        EventKind.CREATED,
        actor=actor,
        data={"channel": channel},
        at=conversation.created_at,
    )
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
    if not conversation_created:
        _note_channel_switch(conversation, msg)

    reopened = False
    updates: dict[str, Any] = {"last_message_at": max(conversation.last_message_at, now)}
    if from_customer:
        changes, events, reopened = inbound_changes(conversation, kind=kind, now=now)
        updates.update(changes)
        for event_kind, data in events:
            _event(conversation, event_kind, data=data, message=msg, at=now)
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


def inbound_changes(
    conversation: Conversation, *, kind: str, now: datetime
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], bool]:
    """Return what a customer's message changes: field values, events, and whether it reopens.

    ``conversation`` must be the locked, current row; the values are absolute.
    """
    updates: dict[str, Any] = {"last_inbound_at": now}
    events: list[tuple[str, dict[str, Any]]] = []
    reopened = False
    if kind == MessageKind.NORMAL:
        updates["customer_message_count"] = conversation.customer_message_count + 1
        if conversation.can_reopen():
            reopened = True
            updates["status"] = Status.OPEN
            updates["reopen_count"] = conversation.reopen_count + 1
            # As a reopening by an agent does (``_set_status``): no longer solved or closed.
            updates["solved_at"] = None
            updates["closed_at"] = None
            events.append((EventKind.REOPENED, {"from": conversation.status, "to": Status.OPEN}))
        elif conversation.status == Status.PENDING:
            updates["status"] = Status.OPEN
            events.append(
                (
                    EventKind.STATUS,
                    {"from": Status.PENDING, "to": Status.OPEN, "reason": "customer_replied"},
                )
            )
    return updates, events, reopened


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def build_message(*, conversation, created_at, **fields) -> Message:
    """Return an unsaved message with its HTML sanitised (``attachments`` are stored after).

    A customer's own message carries its sentiment (``data["sentiment"]``: label, score and
    the phrases that carried it), judged on the text as shown (quotes and signature cut).
    """
    body_html = fields.pop("body_html", "")
    msg = Message(
        conversation=conversation,
        body_html=sanitize_html(body_html) if body_html else "",
        created_at=created_at,
        **fields,
    )
    if msg.direction == Direction.INBOUND and msg.kind == MessageKind.NORMAL:
        from rapport.sentiment.scoring import analyze

        # The message's own language, not the conversation's: customers switch languages.
        judged = analyze(msg.shown_text)
        msg.data = {**(msg.data or {}), "sentiment": judged.as_data()}
    return msg


def _store_message(*, conversation, attachments, created_at, **fields) -> Message:
    msg = build_message(conversation=conversation, created_at=created_at, **fields)
    msg.save(force_insert=True)
    for item in attachments:
        store_attachment(msg, item)
    return msg


def store_attachment(msg: Message, item: IncomingAttachment) -> Attachment:
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
    record_timeline_event(**timeline_fields(msg, conversation))


def timeline_fields(msg: Message, conversation: Conversation) -> dict[str, Any]:
    """Return the customer-timeline event of ``msg`` (arguments of ``record_event``)."""
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
    return dict(
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
    """Return the channel a reply goes out on: where the customer last wrote, else email.

    A chat whose visitor has left is answered by email when the customer has an address.
    """
    last = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("channel", flat=True)
        .first()
    ) or conversation.channel
    if last in (Channel.PHONE, Channel.WEB, Channel.API):
        return Channel.EMAIL
    if last == Channel.CHAT and not _chatting(conversation) and _has_email(conversation):
        return Channel.EMAIL  # the visitor has left the chat: a chat reply would not arrive
    return last


def _chatting(conversation: Conversation) -> bool:
    from rapport.chat.models import ChatSession, SessionStatus

    return ChatSession.objects.filter(
        conversation_id=conversation.pk, status=SessionStatus.ACTIVE
    ).exists()


def _has_email(conversation: Conversation) -> bool:
    from rapport.customers.models import ContactKind, ContactPoint

    return ContactPoint.objects.filter(
        customer_id=conversation.customer_id, kind=ContactKind.EMAIL
    ).exists()


def _reply_subject(conversation: Conversation) -> str:
    subject = conversation.subject
    return subject if subject.lower().startswith(("re:", "aw:")) else f"Re: {subject}"


def _clamp_handling(seconds: int) -> int:
    return max(0, min(int(seconds), MAX_HANDLING_SECONDS))


def add_internal_note(
    *,
    conversation: Conversation,
    author: User | None,
    body_text: str,
    handling_seconds: int = 0,
) -> Message:
    """Add a note only staff can see; ``@username`` mentions are resolved and kept.

    ``author=None`` is a note the system writes (a survey follow-up, for example)."""
    body_text = (body_text or "").strip()
    if not body_text:
        raise ValidationError({"body": [_("A note cannot be empty.")]}, code="required")
    names = {name.rstrip(".").lower() for name in MENTION.findall(body_text)}
    mentioned = (
        list(
            User.objects.filter(
                username__in=names, is_active=True, role__in=HELPDESK_ROLES
            ).values_list("pk", flat=True)
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
            sender_name=author.get_full_name() if author else "",
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
        index_conversations([conversation.pk])
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
