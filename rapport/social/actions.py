"""Social mentions and direct messages entering the helpdesk."""

from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.models import Customer
from rapport.customers.queries import identify_customer
from rapport.customers.validators import normalize_social
from rapport.helpdesk.actions import Received, receive_message
from rapport.helpdesk.models import ACTIVE_STATUSES, Channel, Conversation, Message, Status
from rapport.social.models import SocialSource
from rapport.social.schemas import SocialItem


def external_id(source: SocialSource, network_id: str) -> str:
    return f"{source.network}:{network_id}"[:255]


def ingest_social_message(*, source: SocialSource, item: SocialItem) -> Received:
    """Store a mention or direct message; a repeat of the same network id returns the first.

    The author is matched by their handle, else becomes a new customer. A direct message
    continues the author's open direct-message conversation; a mention opens a new one,
    unless it answers a message already in a conversation of the same author.
    """
    key = external_id(source, item.id)
    existing = Message.objects.with_external_id(Channel.SOCIAL, key).first()
    if existing is not None:
        return Received(message=existing, created=False)
    handle = item.author.handle.strip().lstrip("@")
    normalized = normalize_social(source.network, handle)  # raises ValidationError for bad ones
    with transaction.atomic():
        customer = identify_customer(social=normalized) or _create_author(source, item, handle)
        conversation = _thread(source, item, customer)
        data: dict[str, Any] = {
            "social": {
                "type": item.type,
                "public": item.type == "mention",
                "network": source.network,
                "source_id": source.pk,
                "source": source.slug,
                "message_id": item.id,
                "url": item.url,
                "author_handle": handle,
                "in_reply_to": item.in_reply_to or "",
            }
        }
        received = receive_message(
            customer=customer,
            channel=Channel.SOCIAL,
            conversation=conversation,
            body_text=item.text,
            sender_name=item.author.name.strip()[:200],
            sender_address=f"@{handle}"[:254],
            external_id=key,
            received_at=_received_at(item),
            data=data,
            thread_reason=(
                {"reason": "social_" + item.type, "matched": handle} if conversation else None
            ),
        )
        if item.type == "mention" and received.created:
            alert_negative_mention(message=received.message)
        return received


def alert_negative_mention(*, message: Message) -> bool:
    """Raise a public mention judged negative (``data["sentiment"]``) to the team: priority
    high, an event, and an email to the team lead (else the active managers) with the
    words that made it negative. Return whether it was raised."""
    from rapport.helpdesk.actions import record_conversation_event, set_priority
    from rapport.helpdesk.models import EventKind, Priority

    sentiment = (message.data or {}).get("sentiment") or {}
    if sentiment.get("label") != "negative":
        return False
    conversation = Conversation.objects.select_related("team__lead").get(pk=message.conversation_id)
    if conversation.priority in (Priority.LOW, Priority.NORMAL):
        set_priority(conversation=conversation, actor=None, priority=Priority.HIGH)
    recipients = _alert_recipients(conversation)
    record_conversation_event(
        conversation=conversation,
        kind=EventKind.ESCALATED,
        message=message,
        data={
            "action": "negative_mention",
            "score": sentiment.get("score"),
            "phrases": [p[0] for p in sentiment.get("phrases", [])],
            "users": [u.pk for u in recipients],
        },
    )
    letters = [(user.email, *_alert_letter(user, message, sentiment)) for user in recipients]
    transaction.on_commit(lambda: _send_alerts(letters))
    return True


def _alert_recipients(conversation: Conversation) -> list:
    from rapport.accounts.models import Role, User

    lead = conversation.team.lead if conversation.team_id else None
    if lead is not None and lead.is_active and lead.email:
        return [lead]
    return list(
        User.objects.filter(role=Role.MANAGER, is_active=True).exclude(email="").order_by("pk")
    )


def _alert_letter(user, message: Message, sentiment: dict) -> tuple[str, str]:
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(user.language or settings.LANGUAGE_CODE):
        values = {
            "handle": message.sender_address or message.sender_name,
            "network": ((message.data or {}).get("social") or {}).get("network", ""),
            "number": message.conversation.number,
        }
        subject = gettext("Negative mention by %(handle)s on %(network)s") % values
        why = ", ".join(p[0] for p in sentiment.get("phrases", [])) or "-"
        link = settings.SITE_URL.rstrip("/") + reverse(
            "helpdesk:conversation", args=[message.conversation_id]
        )
        text = "\n\n".join(
            [
                gettext("A public mention on %(network)s was judged negative:") % values,
                message.shown_text,
                gettext("Why: %(words)s (score %(score)s)")
                % {"words": why, "score": sentiment.get("score")},
                gettext("Conversation %(number)s: %(link)s") % {**values, "link": link},
            ]
        )
    return subject, text


def _send_alerts(letters: list[tuple[str, str, str]]) -> None:
    from django.conf import settings
    from django.core.mail import send_mail

    for address, subject, text in letters:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [address])


def _received_at(item: SocialItem):
    """Return when the network says it was sent (naive means UTC), never in the future."""
    if item.created_at is None:
        return None
    at = item.created_at
    if timezone.is_naive(at):
        at = timezone.make_aware(at, UTC)
    return min(at, timezone.now())


def _create_author(source: SocialSource, item: SocialItem, handle: str) -> Customer:
    name = " ".join(item.author.name.split()) or handle
    given, _sep, family = name.rpartition(" ")
    if not given:
        given, family = family, ""
    return create_customer(
        actor=None,
        profile={"given_name": given[:100], "family_name": family[:100]},
        contacts=ContactInput(socials=[(source.network, handle)]),
        source="social",
    )


def _open(qs):
    return qs.filter(
        conversation__merged_into__isnull=True,
        conversation__status__in=[*ACTIVE_STATUSES, Status.PENDING],
    )


def _thread(source: SocialSource, item: SocialItem, customer: Customer) -> Conversation | None:
    if item.in_reply_to:
        parent = (
            Message.objects.filter(
                channel=Channel.SOCIAL,
                external_id=external_id(source, item.in_reply_to),
                conversation__customer=customer,
                conversation__merged_into__isnull=True,
            )
            .select_related("conversation")
            .first()
        )
        if parent is not None:
            return parent.conversation
    if item.type != "direct_message":
        return None
    last = (
        _open(Message.objects.filter(conversation__customer=customer, channel=Channel.SOCIAL))
        .filter(data__social__type="direct_message", data__social__source_id=source.pk)
        .select_related("conversation")
        .order_by("-created_at", "-id")
        .first()
    )
    return last.conversation if last else None
