"""Changes to a conversation: status, priority, assignee, team, subject and tags."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.customers.models import Tag
from rapport.helpdesk.actions.common import (
    HelpdeskError,
    _after_change,
    _event,
    _set_status,
)
from rapport.helpdesk.models import (
    DONE_STATUSES,
    PRIORITY_ORDER,
    Conversation,
    EventKind,
    Priority,
    Status,
)


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
        if name == "subject":
            from rapport.helpdesk.search import index_conversations

            index_conversations([locked.pk])
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
        from rapport.helpdesk.search import index_conversations

        index_conversations([conversation.pk])


def add_tags(*, conversation: Conversation, actor: User | None, names: Iterable[str]) -> None:
    current = set(conversation.tags.values_list("name", flat=True))
    set_tags(conversation=conversation, actor=actor, names=current | set(names))
