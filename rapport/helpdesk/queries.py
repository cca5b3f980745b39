"""Reads of conversations, always scoped by who asks."""

from django.db.models import Q, QuerySet

from rapport.accounts.models import Role
from rapport.helpdesk.models import Conversation, ConversationEvent, Direction, Message


def visible_conversations(user) -> QuerySet[Conversation]:
    """Return the conversations ``user`` may see.

    Administrators and managers see all; an agent sees their teams' conversations, those
    without a team, and those assigned to them; a portal customer sees only their own;
    marketers see none.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Conversation.objects.none()
    if user.role in (Role.ADMIN, Role.MANAGER):
        return Conversation.objects.all()
    if user.role == Role.AGENT:
        return Conversation.objects.filter(
            Q(team__isnull=True) | Q(team__in=user.teams.all()) | Q(assignee=user)
        )
    if user.role == Role.CUSTOMER:
        return Conversation.objects.filter(customer__portal_user=user)
    return Conversation.objects.none()


def get_conversation(user, conversation_id) -> Conversation:
    """Return the conversation if ``user`` may see it, else raise ``Conversation.DoesNotExist``."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise Conversation.DoesNotExist from None
    return (
        visible_conversations(user)
        .select_related("customer", "team", "assignee")
        .get(pk=conversation_id)
    )


def thread_messages(conversation: Conversation, *, include_notes: bool = True) -> QuerySet[Message]:
    """Return the conversation's messages in order, from every channel."""
    qs = Message.objects.filter(conversation=conversation)
    if not include_notes:
        qs = qs.exclude(direction=Direction.NOTE)
    return qs.select_related("author").prefetch_related("attachments").order_by("created_at", "id")


def conversation_events(conversation: Conversation) -> QuerySet[ConversationEvent]:
    return (
        ConversationEvent.objects.filter(conversation=conversation)
        .select_related("actor")
        .order_by("created_at", "id")
    )
