"""Every change the self-service assistant makes: start a session, answer a question, take
"Did this help?", and hand the whole exchange over to a person.

The hand-over writes the exchange into the customer's conversation as it happened: each
question an inbound message, each answer an outbound automatic message whose
``data["assistant"]`` holds the explanation (article, passage, score, reason), so the agent
sees everything in order and the customer repeats nothing. In the chat widget the live chat
starts with the first question (``chat.actions.start_chat``), so the visitor sees the same
exchange in the chat and the agent answers right there.
"""

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.assistant import engine
from rapport.assistant.models import (
    AssistantSession,
    AssistantTurn,
    SessionChannel,
    SessionStatus,
    TurnRole,
)
from rapport.assistant.queries import article_url, assistant_name, hash_token
from rapport.chat.actions import clean_visitor, start_chat, visitor_language
from rapport.chat.queries import open_conversation_of
from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.models import Customer
from rapport.customers.queries import identify_customer
from rapport.helpdesk.actions import receive_message
from rapport.helpdesk.models import Channel, Conversation, Direction, MessageKind
from rapport.kb.actions import record_event
from rapport.kb.models import ArticleTranslation, EventKind, Source

MAX_QUESTION_CHARS = 2000
MAX_QUESTIONS_PER_SESSION = 40


class HandoverMode:
    """Where a hand-over leads: the live chat, an email answer, or the customer's portal."""

    CHAT = "chat"
    EMAIL = "email"
    PORTAL = "portal"
    ALL = (CHAT, EMAIL, PORTAL)


class AssistantError(Exception):
    """A request the assistant refuses, with a stable code and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class StartedSession:
    session: AssistantSession
    token: str


@dataclass
class Asked:
    question: AssistantTurn
    reply: AssistantTurn
    answer: engine.Answer


@dataclass
class HandedOver:
    conversation: Conversation
    created: bool  # False when the session had been handed over before
    chat_token: str = ""  # the live chat's visitor token (mode "chat", first hand-over only)


def clean_language(value: Any) -> str:
    """Return "de" or "en" for a language tag, else the site's language."""
    code = visitor_language(value) if isinstance(value, str) else ""
    return code or settings.LANGUAGE_CODE.split("-")[0]


def clean_question(value: Any, *, field: str = "question") -> str:
    """Return the question as readable text, or raise ``ValidationError`` naming ``field``.

    Control characters (binary garbage, NUL) are dropped; what is left must be non-empty and
    at most ``MAX_QUESTION_CHARS`` long.
    """
    text = value if isinstance(value, str) else ""
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    )
    text = text.replace("\ufffd", "").strip()
    if not text:
        raise ValidationError(
            {field: [ValidationError(_("Please write your question."), code="required")]}
        )
    if len(text) > MAX_QUESTION_CHARS:
        message = _("Please keep your question under %(limit)d characters.") % {
            "limit": MAX_QUESTION_CHARS
        }
        raise ValidationError({field: [ValidationError(message, code="too_long")]})
    return text


def start_session(
    *,
    channel: str,
    language: str = "",
    customer: Customer | None = None,
    name: str = "",
    email: str = "",
) -> StartedSession:
    """Start an exchange with the assistant and return it with its token (only the hash is kept).

    ``customer`` is the signed-in portal customer; a chat visitor who gives an email address
    is recognised by it (so the assistant can greet them by name).
    """
    if channel not in SessionChannel.values:
        raise AssistantError("invalid_channel", _("Unknown channel."))
    name, email = clean_visitor(name=name, email=email, email_required=False)
    if customer is None and email:
        customer = identify_customer(email=email)
    language = clean_language(language or (customer.language if customer else ""))
    token = "ras_" + secrets.token_urlsafe(32)
    session = AssistantSession.objects.create(
        token_hash=hash_token(token),
        channel=channel,
        language=language,
        customer=customer,
        name=name,
        email=email,
    )
    return StartedSession(session=session, token=token)


def _source(session: AssistantSession) -> str:
    return Source.CHAT if session.channel == SessionChannel.CHAT else Source.PORTAL


def _require_open(session: AssistantSession) -> None:
    if session.status == SessionStatus.HANDED_OVER:
        raise AssistantError(
            "handed_over", _("A person from our team has taken over this conversation.")
        )
    if session.status != SessionStatus.OPEN:
        raise AssistantError("session_closed", _("This conversation with the assistant has ended."))


def handoff_text(reason: str) -> str:
    """Return what the assistant says instead of answering (in the active language)."""
    if reason == engine.Reason.SPECIFIC_ORDER:
        return _(
            "I cannot look into a particular order myself. A person from our team can check "
            "it for you."
        )
    if reason == engine.Reason.COMPLAINT:
        return _("I am sorry about that. A person from our team should look into this for you.")
    if reason == engine.Reason.LEGAL:
        return _("This needs a person from our team. I can pass your request on right away.")
    if reason == engine.Reason.ASKED_FOR_PERSON:
        return _("Of course – a person from our team can take over.")
    return _("I am not sure I have the right answer to that. A person from our team can help you.")


def ask_question(*, session: AssistantSession, question: str) -> Asked:
    """Answer ``question`` from the knowledge base, or offer a person when the engine hands over.

    Both turns are recorded; the answer keeps the engine's explanation for the agents.
    """
    _require_open(session)
    question = clean_question(question)
    if session.turns.filter(role=TurnRole.CUSTOMER).count() >= MAX_QUESTIONS_PER_SESSION:
        raise AssistantError(
            "too_many_questions",
            _("This conversation is long enough – please talk to a person from our team."),
        )
    result = engine.answer(question, language=session.language)
    best = None if result.handoff or result.best is None else result.best
    translation_row = (
        ArticleTranslation.objects.filter(pk=best.translation_id).first() if best else None
    )
    explanation = {**result.explanation(), "question": question}
    with translation.override(session.language or settings.LANGUAGE_CODE):
        if translation_row is not None:
            text = result.passage or translation_row.title
            explanation["article"] = {
                "slug": translation_row.article.slug,
                "language": translation_row.language,
                "title": translation_row.title,
                "url": article_url(translation_row.language, translation_row.article.slug),
            }
        else:
            text = handoff_text(result.reason)
    now = timezone.now()
    with transaction.atomic():
        asked = AssistantTurn.objects.create(
            session=session, role=TurnRole.CUSTOMER, text=question, created_at=now
        )
        reply = AssistantTurn.objects.create(
            session=session,
            role=TurnRole.ASSISTANT,
            text=text,
            translation=translation_row,
            explanation=explanation,
            created_at=now,
        )
        AssistantSession.objects.filter(pk=session.pk).update(updated_at=now)
        if translation_row is not None:
            record_event(
                kind=EventKind.ANSWER,
                source=_source(session),
                language=session.language,
                query=question,
                translation=translation_row,
                customer=session.customer,
                data={"session": session.pk, "turn": reply.pk, "score": explanation["confidence"]},
            )
    return Asked(question=asked, reply=reply, answer=result)


def rate_answer(*, session: AssistantSession, turn_id: Any, helpful: bool) -> AssistantTurn:
    """Record the customer's "Did this help?" for one of the session's answers.

    The first "yes" counts as an accepted answer; asking again changes nothing.
    """
    try:
        turn_id = int(turn_id)
    except (TypeError, ValueError):
        raise AssistantError("unknown_answer", _("There is no such answer.")) from None
    with transaction.atomic():
        turn = (
            AssistantTurn.objects.select_for_update()
            .filter(session=session, pk=turn_id, role=TurnRole.ASSISTANT)
            .first()
        )
        if turn is None or turn.translation_id is None:
            raise AssistantError("unknown_answer", _("There is no such answer."))
        if turn.helpful is not None:
            return turn
        turn.helpful = bool(helpful)
        turn.save(update_fields=["helpful"])
        if turn.helpful:
            record_event(
                kind=EventKind.ANSWER_ACCEPTED,
                source=_source(session),
                language=session.language,
                query=turn.explanation.get("question", ""),
                translation=turn.translation,
                customer=session.customer,
                data={"session": session.pk, "turn": turn.pk},
            )
    return turn


def _find_or_create_customer(*, name: str, email: str, language: str) -> Customer:
    customer = identify_customer(email=email)
    if customer is not None:
        return customer
    # Without a name, the address's local part is what an agent would call them anyway.
    given, _sep, family = (name or email.split("@")[0]).rpartition(" ")
    if not given:
        given, family = family, ""
    profile = {"given_name": given[:100], "family_name": family[:100], "language": language}
    return create_customer(
        actor=None, profile=profile, contacts=ContactInput(emails=[email]), source="web"
    )


def _answer_body(turn: AssistantTurn) -> str:
    article = turn.explanation.get("article") or {}
    if not article:
        return turn.text
    return f"{turn.text}\n\n{article.get('title', '')}\n{_absolute(article.get('url', ''))}"


def _absolute(path: str) -> str:
    if path.startswith("/"):
        return settings.SITE_URL.rstrip("/") + path
    return path


def _assistant_data(session: AssistantSession, turn: AssistantTurn) -> dict[str, Any]:
    return {
        "assistant": {
            **turn.explanation,
            "helpful": turn.helpful,
            "session": session.pk,
            "turn": turn.pk,
            "at": turn.created_at.isoformat(),
        }
    }


def hand_over(
    *,
    session: AssistantSession,
    mode: str,
    name: str = "",
    email: str = "",
    message: str = "",
    page_url: str = "",
) -> HandedOver:
    """Pass the exchange to a person: create or continue the customer's open conversation.

    ``mode`` "chat" starts a live chat with the first question (the visitor then chats with
    the agent), "email" writes the exchange into a conversation answered by email (email
    address required), "portal" uses the signed-in portal customer (or, without one, an email
    address). ``message`` is what the customer adds for the person (optional when there was
    an exchange). A session is handed over once; asking again returns the same conversation.
    """
    if mode not in HandoverMode.ALL:
        raise AssistantError("invalid_mode", _("Unknown way to reach a person."))
    with transaction.atomic():
        session = AssistantSession.objects.select_for_update().get(pk=session.pk)
        if session.status == SessionStatus.HANDED_OVER and session.conversation_id:
            return HandedOver(conversation=_current(session.conversation), created=False)
        _require_open(session)
        known = session.customer if mode == HandoverMode.PORTAL else None
        name, email = clean_visitor(
            name=name or session.name,
            email=email or session.email,
            email_required=mode == HandoverMode.EMAIL
            or (mode == HandoverMode.PORTAL and known is None),
        )
        turns = list(session.turns.select_related("translation").order_by("created_at", "id"))
        extra = message.strip() if isinstance(message, str) else ""
        if extra or not any(t.role == TurnRole.CUSTOMER for t in turns):
            extra = clean_question(extra, field="message")
        page_url = page_url.strip()[:500] if isinstance(page_url, str) else ""
        language = session.language
        inbound_data: dict[str, Any] = {"assistant_session": session.pk}
        chat_token = ""
        if mode == HandoverMode.CHAT:
            first = next((t for t in turns if t.role == TurnRole.CUSTOMER), None)
            started = start_chat(
                name=name,
                email=email,
                question=first.text if first else extra,
                page_url=page_url,
                language=language,
            )
            chat_token = started.token
            customer = started.session.customer
            conversation: Conversation | None = started.session.conversation
            channel = Channel.CHAT
            inbound_data["chat_session"] = started.session.pk
            turns = [t for t in turns if t is not first] if first else turns
            if not first:
                extra = ""
        else:
            if known is not None:
                customer = known
                channel = Channel.PORTAL
            else:
                customer = _find_or_create_customer(name=name, email=email, language=language)
                channel = Channel.CHAT if session.channel == SessionChannel.CHAT else Channel.WEB
            conversation = open_conversation_of(customer)
        with translation.override(language or settings.LANGUAGE_CODE):
            assistant_label = assistant_name()
        sender = name or (customer.display_name if known is not None else "")
        for turn in turns:
            if turn.role == TurnRole.CUSTOMER:
                received = receive_message(
                    customer=customer,
                    channel=channel,
                    conversation=conversation,
                    body_text=turn.text,
                    subject="" if conversation else turn.text.splitlines()[0][:120],
                    sender_name=sender,
                    sender_address=email,
                    language=language,
                    data={**inbound_data, "assistant_turn": turn.pk},
                )
            else:
                received = receive_message(
                    customer=customer,
                    channel=channel,
                    conversation=conversation,
                    direction=Direction.OUTBOUND,
                    kind=MessageKind.SYSTEM,
                    body_text=_answer_body(turn),
                    subject="" if conversation else _("Question to the assistant"),
                    sender_name=assistant_label,
                    language=language,
                    data=_assistant_data(session, turn),
                )
            conversation = received.message.conversation
        if extra:
            received = receive_message(
                customer=customer,
                channel=channel,
                conversation=conversation,
                body_text=extra,
                subject="" if conversation else extra.splitlines()[0][:120],
                sender_name=sender,
                sender_address=email,
                language=language,
                data={**inbound_data, "assistant_handover": True},
            )
            conversation = received.message.conversation
        if conversation is None:  # cannot happen: a question or a message is always written
            raise AssistantError("nothing_to_hand_over", _("Please write your question."))
        AssistantSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.HANDED_OVER,
            conversation=conversation,
            customer=customer,
            name=name[:200],
            email=email,
            updated_at=timezone.now(),
        )
        last = next((t for t in reversed(turns) if t.role == TurnRole.ASSISTANT), None)
        record_event(
            kind=EventKind.HANDOVER,
            source=_source(session),
            language=language,
            customer=customer,
            data={
                "session": session.pk,
                "conversation": conversation.pk,
                "mode": mode,
                "reason": (last.explanation.get("reason", "") if last else "")
                or engine.Reason.ASKED_FOR_PERSON,
            },
        )
    session.refresh_from_db()
    return HandedOver(conversation=conversation, created=True, chat_token=chat_token)


def _current(conversation: Conversation) -> Conversation:
    """Follow merges to the conversation the exchange lives in now."""
    seen = {conversation.pk}
    while conversation.merged_into_id and conversation.merged_into_id not in seen:
        conversation = Conversation.objects.get(pk=conversation.merged_into_id)
        seen.add(conversation.pk)
    return conversation


def close_session(*, session: AssistantSession) -> None:
    """End an open session: its token stops working (a handed-over one stays as it is)."""
    AssistantSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(
        status=SessionStatus.CLOSED, updated_at=timezone.now()
    )


__all__ = [
    "AssistantError",
    "HandoverMode",
    "ask_question",
    "clean_question",
    "close_session",
    "hand_over",
    "rate_answer",
    "start_session",
]
