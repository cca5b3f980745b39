"""Every change the live chat makes: start a chat, post messages both ways, end it, go offline.

Visitor messages enter the helpdesk through ``receive_message(channel="chat")`` and agent
replies leave through ``send_reply(channel="chat")``, so a chat is one more part of the
customer's one conversation; ``rapport.chat.delivery`` carries them over the sockets.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.chat.models import AgentPresence, ChatSession, SessionStatus, hash_token
from rapport.chat.queries import open_conversation_of
from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.models import Customer
from rapport.customers.queries import identify_customer
from rapport.feedback.actions import ask_in_chat
from rapport.feedback.models import SurveyInvitation
from rapport.helpdesk.actions import HelpdeskError, receive_message, send_reply
from rapport.helpdesk.models import DONE_STATUSES, Channel, Conversation, Message

SUPPORTED_LANGUAGES = ("de", "en")
# A visitor whose widget pinged within this time (it pings every 30 s) is still in the chat.
VISITOR_PRESENT = timedelta(seconds=75)


class ChatError(Exception):
    """A chat request refused, with a stable code for the widget and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class StartedChat:
    session: ChatSession
    token: str
    message: Message
    continued: bool


def visitor_language(value: str) -> str:
    """Return "de" or "en" for a page's or browser's language tag, or "" when neither."""
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED_LANGUAGES else ""


def clean_text(value, *, field: str, required: bool = True) -> str:
    """Return ``value`` stripped, or raise ``ValidationError`` naming ``field``."""
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError(
            {field: [ValidationError(_("Please write a message."), code="required")]}
        )
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        message = _("Please keep your message under %(limit)d characters.") % {
            "limit": settings.CHAT_MAX_MESSAGE_CHARS
        }
        raise ValidationError({field: [ValidationError(message, code="too_long")]})
    return text


def clean_visitor(*, name, email, email_required: bool) -> tuple[str, str]:
    """Return the visitor's (name, email) tidied, or raise ``ValidationError`` per field."""
    errors: dict[str, list[str]] = {}
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if len(name) > 200:
        errors["name"] = [_("Please use at most 200 characters.")]
    email = email.strip().lower() if isinstance(email, str) else ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Please enter a valid email address.")]
    elif email_required:
        errors["email"] = [_("Please enter your email address so we can answer you.")]
    if errors:
        raise ValidationError(errors)
    return name, email


def _find_or_create_customer(*, name: str, email: str, language: str) -> Customer:
    """Identify the visitor by email, else create a customer (a placeholder name if anonymous)."""
    if email:
        customer = identify_customer(email=email)
        if customer is not None:
            return customer
    if name:
        given, _sep, family = name.partition(" ")
        profile = {"given_name": given[:100], "family_name": family[:100]}
    else:
        # Staff read this name, so it is in the site's language, not the visitor's.
        with translation.override(settings.LANGUAGE_CODE):
            placeholder = _("Chat visitor %(code)s") % {"code": secrets.token_hex(3).upper()}
        profile = {"given_name": "", "family_name": placeholder[:100]}
    if language:
        profile["language"] = language
    return create_customer(
        actor=None,
        profile=profile,
        contacts=ContactInput(emails=[email] if email else []),
        source="chat",
    )


def start_chat(
    *,
    name: str = "",
    email: str = "",
    question: str,
    page_url: str = "",
    language: str = "",
) -> StartedChat:
    """Start a chat from the widget's pre-chat form and return the session and its token.

    The visitor is identified by ``email`` when given, else a customer is created. If that
    customer has an open conversation the chat continues it (one thread across channels),
    else a new conversation with channel "chat" is opened. Only the token's hash is stored.
    """
    name, email = clean_visitor(name=name, email=email, email_required=False)
    question = clean_text(question, field="question")
    language = visitor_language(language)
    page_url = page_url.strip()[:500] if isinstance(page_url, str) else ""
    token = ChatSession.new_token()
    with transaction.atomic():
        customer = _find_or_create_customer(name=name, email=email, language=language)
        conversation = open_conversation_of(customer)
        now = timezone.now()
        received = receive_message(
            customer=customer,
            channel=Channel.CHAT,
            conversation=conversation,
            body_text=question,
            subject="" if conversation else question.splitlines()[0][:120],
            sender_name=name,
            sender_address=email,
            language=language,
            received_at=now,
            data={"page_url": page_url},
        )
        message = received.message
        session = ChatSession.objects.create(
            token_hash=hash_token(token),
            customer=customer,
            conversation=message.conversation,
            first_message_id=message.pk,
            visitor_name=name,
            visitor_email=email,
            page_url=page_url,
            language=language,
            created_at=now,
            last_seen_at=now,
        )
        message.data = {**message.data, "chat_session": session.pk}
        Message.objects.filter(pk=message.pk).update(data=message.data)
        _broadcast_after_commit(message, session)
    return StartedChat(session=session, token=token, message=message, continued=bool(conversation))


def post_visitor_message(*, session: ChatSession, body: str, client_id: str = "") -> Message:
    """Store the visitor's message in the session's conversation and pass it to the agents.

    ``client_id`` is the widget's id for the message: sending it twice (a resend after a
    reconnect) stores it once.
    """
    if not session.is_active:
        raise ChatError("session_ended", _("This chat has ended."))
    body = clean_text(body, field="body")
    client_id = client_id.strip()[:64] if isinstance(client_id, str) else ""
    with transaction.atomic():
        conversation = _current_conversation(session)
        received = receive_message(
            customer=session.customer,
            channel=Channel.CHAT,
            conversation=conversation,
            body_text=body,
            sender_name=session.visitor_name,
            sender_address=session.visitor_email,
            external_id=f"chat:{session.pk}:{client_id}" if client_id else "",
            data={"chat_session": session.pk, "client_id": client_id},
        )
        ChatSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now())
        # A repeat (same client_id) is passed on again so the widget can match it up.
        _broadcast_after_commit(received.message, session)
    return received.message


def _current_conversation(session: ChatSession) -> Conversation:
    """Return the session's conversation, following merges (and remembering the target)."""
    conversation = Conversation.objects.get(pk=session.conversation_id)
    seen = {conversation.pk}
    while conversation.merged_into_id and conversation.merged_into_id not in seen:
        conversation = Conversation.objects.get(pk=conversation.merged_into_id)
        seen.add(conversation.pk)
    if conversation.pk != session.conversation_id:
        ChatSession.objects.filter(pk=session.pk).update(conversation=conversation)
        session.conversation = conversation
    return conversation


def _broadcast_after_commit(message: Message, session: ChatSession) -> None:
    from rapport.chat.delivery import broadcast_visitor_message

    transaction.on_commit(lambda: broadcast_visitor_message(message, session))


def post_agent_reply(*, conversation: Conversation, author: User, body: str) -> Message:
    """Answer in the chat: ``send_reply`` on channel "chat" (delivered to the visitor on commit)."""
    body = clean_text(body, field="body")
    if not conversation.chat_sessions.exists():
        raise ChatError("no_chat", _("This conversation has no live chat."))
    return send_reply(
        conversation=conversation, author=author, body_text=body, channel=Channel.CHAT
    )


def end_chat(*, session: ChatSession) -> SurveyInvitation | None:
    """End the session at the visitor's wish and return the survey to show them, if any.

    The token stops working; the conversation itself stays as it is. The survey is asked
    once per chat, unless the customer was asked recently (``ask_in_chat``).
    """
    with transaction.atomic():
        ended = ChatSession.objects.filter(pk=session.pk, status=SessionStatus.ACTIVE).update(
            status=SessionStatus.ENDED, ended_at=timezone.now()
        )
        session.status = SessionStatus.ENDED
        if not ended:
            return None
        return ask_in_chat(
            conversation=_current_conversation(session), occasion=f"chat:{session.pk}"
        )


def close_conversation_chat(*, conversation: Conversation, by: str) -> SurveyInvitation | None:
    """End every active chat session of ``conversation`` (``by`` "agent": the agent ended
    it; "solved": the conversation was solved) and tell the visitors and consoles, with the
    survey when a visitor is still there to see it; return that survey's invitation.

    A visitor not heard from within ``VISITOR_PRESENT`` has left: they are asked by email
    after the solve instead, as any customer is.
    """
    now = timezone.now()
    with transaction.atomic():
        sessions = list(
            ChatSession.objects.select_for_update()
            .filter(conversation_id=conversation.pk, status=SessionStatus.ACTIVE)
            .order_by("-last_seen_at", "-pk")
        )
        if not sessions:
            return None
        ChatSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
            status=SessionStatus.ENDED, ended_at=now
        )
        invitation = None
        present = sessions[0]
        if present.last_seen_at >= now - VISITOR_PRESENT:
            conversation.refresh_from_db()
            invitation = ask_in_chat(conversation=conversation, occasion=f"chat:{present.pk}")
        transaction.on_commit(
            partial(_broadcast_ended, conversation.pk, by, invitation.pk if invitation else None)
        )
    return invitation


def close_solved_chat(*, conversation_id: int) -> SurveyInvitation | None:
    """Close the chat of a solved (or closed) conversation; do nothing while it is open.

    The helpdesk calls this after every solve or close is committed; the visitor's pings and
    the agent's console check too, in case that call failed (``close_conversation_chat``,
    ``by="solved"``). A conversation merged into another is closed too, but its chat goes on
    in the other one.
    """
    conversation = (
        Conversation.objects.filter(
            pk=conversation_id, status__in=DONE_STATUSES, merged_into__isnull=True
        )
        .select_related("customer")
        .first()
    )
    if conversation is None:
        return None
    return close_conversation_chat(conversation=conversation, by="solved")


def _broadcast_ended(conversation_id: int, by: str, invitation_id: int | None) -> None:
    from rapport.chat.delivery import broadcast_chat_ended

    broadcast_chat_ended(conversation_id, by, invitation_id)


def touch_session(*, session: ChatSession) -> None:
    """Record that the visitor is still there (keeps the token usable)."""
    ChatSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now())


def leave_offline_message(
    *, name: str = "", email: str, message: str, page_url: str = "", language: str = ""
) -> Message:
    """Turn the widget's offline form into an email conversation; replies go out by email.

    The customer is identified by ``email`` (or created); an open conversation of theirs is
    continued, else a new one with channel "email" is opened.
    """
    name, email = clean_visitor(name=name, email=email, email_required=True)
    body = clean_text(message, field="message")
    language = visitor_language(language)
    page_url = page_url.strip()[:500] if isinstance(page_url, str) else ""
    with transaction.atomic():
        customer = _find_or_create_customer(name=name, email=email, language=language)
        conversation = open_conversation_of(customer)
        received = receive_message(
            customer=customer,
            channel=Channel.EMAIL,
            conversation=conversation,
            body_text=body,
            subject="" if conversation else body.splitlines()[0][:120],
            sender_name=name,
            sender_address=email,
            language=language,
            data={"page_url": page_url, "via": "chat_offline_form"},
        )
    return received.message


def mark_agent_present(*, user: User) -> None:
    """Record that ``user`` has a chat console open right now."""
    updated = AgentPresence.objects.filter(user=user).update(last_seen_at=timezone.now())
    if not updated:
        AgentPresence.objects.get_or_create(user=user)


__all__ = [
    "ChatError",
    "HelpdeskError",
    "StartedChat",
    "close_conversation_chat",
    "close_solved_chat",
    "end_chat",
    "leave_offline_message",
    "mark_agent_present",
    "post_agent_reply",
    "post_visitor_message",
    "start_chat",
    "touch_session",
]
