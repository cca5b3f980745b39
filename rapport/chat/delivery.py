"""Carrying chat messages over the sockets (the "chat" sender of ``HELPDESK_SENDERS``).

Agent replies reach visitors through ``send_message``, which the helpdesk calls in the web
process right after the reply's transaction commits. Visitor messages reach the agents'
consoles through ``broadcast_visitor_message``. Both go through the channel layer, so with
``REDIS_URL`` every web process's sockets get them.

When a chat ends, an ``ended`` frame tells its sockets so, and carries the survey to answer
in the widget (``survey_frame``) when the customer is to be asked.

Groups: ``chat.session.<id>`` holds the sockets of one visitor session, ``chat.visitors.<id>``
every visitor socket of a conversation, ``chat.conversation.<id>`` the agent consoles open on it.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy

from rapport.chat.models import ChatSession, SessionStatus
from rapport.customers.greetings import address_form, by_address_form
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


# --- The end of a chat, with its survey --------------------------------------------------------


# The widget's words around the survey question, in the customer's form of address.
THANKS = by_address_form(
    pgettext_lazy("formal", "Thank you for your answer."),
    pgettext_lazy("informal", "Thank you for your answer."),
)
CHANGED = by_address_form(
    pgettext_lazy("formal", "Thank you: your answer has been changed."),
    pgettext_lazy("informal", "Thank you: your answer has been changed."),
)
COMMENT_THANKS = by_address_form(
    pgettext_lazy("formal", "Thank you for your comment."),
    pgettext_lazy("informal", "Thank you for your comment."),
)


def survey_frame(invitation) -> dict:
    """Return the survey part of an ``ended`` frame: the question, a button per score, and
    the widget's words around them, all in the invitation's language and form of address.

    The wording is the email's (``rapport.feedback.letters``); ``token`` answers it through
    the widget's API.
    """
    from rapport.feedback import letters
    from rapport.feedback.actions import chat_survey_token

    form = address_form(invitation.customer)
    language = invitation.language or "en"
    with translation.override(language):
        choices = letters.choices(invitation)
        high = choices[-1][0]
        buttons = []
        for score, label in choices:
            spoken = gettext("%(score)s of %(high)s") % {"score": score, "high": high}
            buttons.append(
                {"score": score, "label": label, "aria": f"{spoken}: {label}" if label else spoken}
            )
        return {
            "token": chat_survey_token(invitation),
            "language": language,
            "question": letters.question(invitation),
            "hint": str(letters.ONE_CLICK[form]),
            "scale": gettext("%(low)s = %(low_label)s, %(high)s = %(high_label)s")
            % {
                "low": choices[0][0],
                "low_label": choices[0][1],
                "high": high,
                "high_label": choices[-1][1],
            },
            "choices": buttons,
            "strings": {
                "why": letters.why(invitation),
                "optional": gettext("(optional)"),
                "send_comment": gettext("Send comment"),
                "thanks": str(THANKS[form]),
                "changed": str(CHANGED[form]),
                "comment_thanks": str(COMMENT_THANKS[form]),
                "error": gettext("Something went wrong. Please try again."),
            },
        }


def ended_frame(*, by: str, invitation=None) -> dict:
    """Return the frame that tells a chat's sockets it has ended (``by`` "visitor", "agent"
    or "solved"), with the survey to show when there is one."""
    frame: dict = {"type": "ended", "from": by}
    if invitation is not None:
        frame["survey"] = survey_frame(invitation)
    return frame


def broadcast_chat_ended(conversation_id: int, by: str, invitation_id: int | None) -> None:
    """Tell every visitor socket and console of a conversation that its chat has ended."""
    from rapport.feedback.models import SurveyInvitation

    invitation = None
    if invitation_id is not None:
        invitation = (
            SurveyInvitation.objects.select_related("customer").filter(pk=invitation_id).first()
        )
    try:
        _group_send(
            visitors_group(conversation_id),
            {"type": "chat.frame", "frame": ended_frame(by=by, invitation=invitation)},
        )
        _group_send(
            agents_group(conversation_id),
            {"type": "chat.frame", "frame": ended_frame(by=by)},
        )
    except Exception:  # noqa: BLE001 - the chat has ended all the same; only the news is lost
        logger.exception("end of the chat of conversation %s not broadcast", conversation_id)
