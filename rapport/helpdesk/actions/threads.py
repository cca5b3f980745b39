"""Merging, splitting and linking conversations."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.helpdesk.actions.common import (
    HelpdeskError,
    _event,
)
from rapport.helpdesk.actions.messages import open_conversation
from rapport.helpdesk.models import (
    Conversation,
    ConversationLink,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.helpdesk.search import index_conversations


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
        index_conversations([target.pk, source.pk])
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
        index_conversations([new.pk, conversation.pk])
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
