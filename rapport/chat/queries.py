"""Reads of the live chat: sessions by token, what a visitor may see, who is online."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.chat.models import AgentPresence, ChatSession, SessionStatus, hash_token
from rapport.helpdesk.models import DONE_STATUSES, Channel, Conversation, Direction, Message
from rapport.helpdesk.queries import visible_conversations

# Roles that answer chats (marketers and portal customers do not).
ANSWERING_ROLES = (Role.ADMIN, Role.MANAGER, Role.AGENT)


def session_for_token(raw_token) -> ChatSession | None:
    """Return the active session a visitor's token belongs to, or None.

    A session unused for ``CHAT_SESSION_IDLE_HOURS`` cannot be resumed any more.
    """
    if not isinstance(raw_token, str) or not 10 <= len(raw_token) <= 200:
        return None
    cutoff = timezone.now() - timedelta(hours=settings.CHAT_SESSION_IDLE_HOURS)
    return (
        ChatSession.objects.select_related("conversation", "customer")
        .filter(
            token_hash=hash_token(raw_token),
            status=SessionStatus.ACTIVE,
            last_seen_at__gte=cutoff,
        )
        .first()
    )


def visitor_messages(session: ChatSession, *, after_id: int = 0, limit: int = 200):
    """Return what the visitor of ``session`` may read, oldest first.

    That is their own messages of this session and the chat replies to the conversation
    since the session started; never internal notes, never earlier history from other
    channels (an email address typed into the widget is not proof of identity).
    """
    qs = (
        Message.objects.filter(
            conversation_id=session.conversation_id,
            channel=Channel.CHAT,
            pk__gte=session.first_message_id,
            pk__gt=after_id,
        )
        .exclude(direction=Direction.NOTE)
        .filter(Q(direction=Direction.OUTBOUND) | Q(data__chat_session=session.pk))
        .select_related("author")
        .order_by("pk")
    )
    return list(qs[:limit])


def chat_messages(conversation: Conversation, *, after_id: int = 0, limit: int = 200):
    """Return the conversation's chat messages (no notes) for the agent console, oldest first."""
    qs = (
        Message.objects.filter(conversation=conversation, channel=Channel.CHAT, pk__gt=after_id)
        .exclude(direction=Direction.NOTE)
        .select_related("author")
        .order_by("-pk")
    )
    return list(reversed(qs[:limit]))


def open_conversation_of(customer) -> Conversation | None:
    """Return the customer's most recent conversation that is not done, if any."""
    return (
        Conversation.objects.filter(customer=customer, merged_into__isnull=True)
        .exclude(status__in=DONE_STATUSES)
        .order_by("-last_message_at", "-pk")
        .first()
    )


def agents_online() -> bool:
    """Return True when an available staff member who answers chats has a console open.

    "Online" means: an active admin, manager or agent marked available for new
    conversations whose chat console (the list page or a conversation's console) pinged
    within ``CHAT_PRESENCE_SECONDS``.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.CHAT_PRESENCE_SECONDS)
    return AgentPresence.objects.filter(
        last_seen_at__gte=cutoff,
        user__is_active=True,
        user__is_available=True,
        user__role__in=ANSWERING_ROLES,
    ).exists()


def live_session(conversation) -> ChatSession | None:
    """Return the conversation's most recent chat session (active first), or None."""
    if conversation is None or not getattr(conversation, "pk", None):
        return None
    return (
        ChatSession.objects.filter(conversation_id=conversation.pk)
        .order_by("status", "-created_at")  # "active" sorts before "ended"
        .first()
    )


def active_sessions(user) -> QuerySet[ChatSession]:
    """Return the active chat sessions whose conversations ``user`` may see, newest first."""
    if user is None or not getattr(user, "is_staff_member", False):
        return ChatSession.objects.none()
    return (
        ChatSession.objects.filter(
            status=SessionStatus.ACTIVE,
            conversation__in=visible_conversations(user),
        )
        .select_related("conversation", "customer")
        .order_by("-last_seen_at", "-pk")
    )
