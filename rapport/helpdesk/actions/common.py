"""What the helpdesk actions share: their errors and results, event rows, and the follow-up of every change."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.accounts.models import User
from rapport.helpdesk.models import (
    DONE_STATUSES,
    Conversation,
    ConversationEvent,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)


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
    if status in DONE_STATUSES:
        # The visitor still in a chat is told at once, with the survey, not at their next
        # ping. After the commit, so the chat reads the solve; robust, as the solve stands
        # even if the chat cannot be reached. (A lambda, not a partial: Django logs a robust
        # callback's failure by its __qualname__.)
        conversation_id = conversation.pk
        transaction.on_commit(lambda: _close_solved_chat(conversation_id), robust=True)


def _close_solved_chat(conversation_id: int) -> None:
    # Imported here: the chat's actions import the helpdesk's.
    from rapport.chat.actions import close_solved_chat

    close_solved_chat(conversation_id=conversation_id)


def _after_change(
    conversation: Conversation, msg: Message | None, *, new: bool = False, reopened: bool = False
) -> None:
    """Keep routing, the SLA clock, acknowledgements and webhooks in step with a change."""
    from rapport.helpdesk.routing import route_conversation
    from rapport.helpdesk.search import index_conversations
    from rapport.sla.actions import acknowledge_conversation, update_sla
    from rapport.webhooks.actions import emit_conversation_event

    if new:
        route_conversation(conversation=conversation, message=msg)
        # Routing sets language, team, assignee and priority on its own copy of the row.
        conversation.refresh_from_db()
    update_sla(conversation=conversation)
    if msg is not None:
        index_conversations([conversation.pk])
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
