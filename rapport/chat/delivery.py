"""Carrying chat messages over the sockets (the "chat" sender of ``HELPDESK_SENDERS``).

Agent replies reach visitors through ``send_message``, which the helpdesk calls in the web
process right after the reply's transaction commits. Visitor messages reach the agents'
consoles through ``broadcast_visitor_message``. Both go through the channel layer, so with
``REDIS_URL`` every web process's sockets get them.

Groups: ``chat.session.<id>`` holds the sockets of one visitor session, ``chat.visitors.<id>``
every visitor socket of a conversation, ``chat.conversation.<id>`` the agent consoles open on it.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from rapport.chat.models import ChatSession, SessionStatus
from rapport.helpdesk.delivery import DeliveryError
from rapport.helpdesk.models import Direction, Message, MessageKind

logger = logging.getLogger(__name__)


def session_group(session_id: int) -> str:
    return f"chat.session.{session_id}"


def visitors_group(conversation_id: int) -> str:
    return f"chat.visitors.{conversation_id}"


def agents_group(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


def message_frame(message: Message, *, for_visitor: bool) -> dict:
    """Return the JSON frame describing ``message`` to a visitor or to an agent."""
    if message.direction == Direction.INBOUND:
        sender = "visitor"
        name = message.sender_name
    else:
        sender = "system" if message.kind == MessageKind.SYSTEM else "agent"
        author = message.author
        name = (author.first_name or author.get_full_name()) if author else message.sender_name
        if not for_visitor and author:
            name = author.get_full_name() or author.username
    return {
        "type": "message",
        "id": message.pk,
        "from": sender,
        "name": name or "",
        "body": message.shown_text,
        "at": message.created_at.isoformat(),
        "client_id": (message.data or {}).get("client_id", "") if sender == "visitor" else "",
    }


def _group_send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise DeliveryError("no channel layer is configured", permanent=True)
    async_to_sync(layer.group_send)(group, event)


def send_message(message: Message) -> str | None:
    """Deliver an agent's chat reply to the visitors of its conversation and the other consoles.

    Raises a permanent ``DeliveryError`` when the conversation has no active chat session
    (the visitor left): the reply stays in the conversation, marked as not delivered, so the
    agent can answer by email instead.
    """
    if message.direction == Direction.NOTE:
        raise DeliveryError("internal notes are never sent", permanent=True)
    conversation_id = message.conversation_id
    try:
        _group_send(
            agents_group(conversation_id),
            {"type": "chat.frame", "frame": message_frame(message, for_visitor=False)},
        )
        _group_send(
            visitors_group(conversation_id),
            {"type": "chat.frame", "frame": message_frame(message, for_visitor=True)},
        )
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken channel layer is a delivery failure
        raise DeliveryError(f"channel layer: {exc}") from exc
    if not ChatSession.objects.filter(
        conversation_id=conversation_id, status=SessionStatus.ACTIVE
    ).exists():
        raise DeliveryError("the visitor has left the chat", permanent=True)
    return None


def broadcast_visitor_message(message: Message, session: ChatSession) -> None:
    """Pass a stored visitor message to the session's sockets and the agents' consoles."""
    try:
        _group_send(
            session_group(session.pk),
            {"type": "chat.frame", "frame": message_frame(message, for_visitor=True)},
        )
        _group_send(
            agents_group(message.conversation_id),
            {"type": "chat.frame", "frame": message_frame(message, for_visitor=False)},
        )
    except Exception:  # noqa: BLE001 - stored already; consoles catch up on reconnect
        logger.exception("chat message %s stored but not broadcast", message.pk)
