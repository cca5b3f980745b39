"""Inviting customers to surveys, once per occasion, and sending the invitations in their
contact hours (by the conversation's channel, or by plain email when there is none)."""

import logging
import smtplib
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from rapport.customers.contact_hours import next_contact_time
from rapport.customers.greetings import greeting_language
from rapport.customers.models import ConsentPurpose
from rapport.customers.queries import consent_withdrawn
from rapport.feedback.actions.common import (
    SOLVED_WINDOW,
    SURVEY_LANGUAGES,
    SWEEP_BATCH,
    after_solve_kind,
    csat_delay,
    link_days,
    nps_days,
    throttle_days,
)
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyKind,
    Trigger,
)

logger = logging.getLogger(__name__)


# --- Inviting ----------------------------------------------------------------------------------


def invite(
    *,
    customer,
    kind: str,
    trigger: str,
    occasion: str,
    conversation=None,
    channel: str = SurveyChannel.EMAIL,
    now: datetime | None = None,
    delay: timedelta = timedelta(0),
    language: str = "",
) -> SurveyInvitation:
    """Create the invitation for one occasion (once), to be sent in the customer's contact
    hours, in ``language`` (else the conversation's or the customer's)."""
    if kind not in SurveyKind.values or trigger not in Trigger.values:
        raise ValueError(f"unknown survey kind or trigger: {kind!r}, {trigger!r}")
    if channel not in SurveyChannel.values:
        raise ValueError(f"unknown survey channel {channel!r}")
    now = now or timezone.now()
    language = greeting_language(
        customer, language or getattr(conversation, "language", None) or None
    )
    invitation, _created = SurveyInvitation.objects.get_or_create(
        dedupe_key=f"{kind}:{occasion}"[:120],
        defaults={
            "customer": customer,
            "conversation": conversation,
            "kind": kind,
            "trigger": trigger,
            "channel": channel,
            "language": language if language in SURVEY_LANGUAGES else "en",
            "send_after": next_contact_time(customer, now + delay),
        },
    )
    return invitation


def invite_solved_conversations(*, now: datetime | None = None) -> int:
    """Invite the customers of recently solved conversations to rate them (CSAT, or CES
    when ``SURVEY_AFTER_SOLVE`` says so), once per solve; return how many were created."""
    from rapport.helpdesk.models import DONE_STATUSES, Conversation

    if not getattr(settings, "SURVEY_CSAT_ENABLED", True):
        return 0
    now = now or timezone.now()
    kind = after_solve_kind()
    # Asked at the end of a live chat and not heard from since: that was this solve's survey.
    asked_in_chat = SurveyInvitation.objects.filter(
        conversation=OuterRef("pk"),
        channel=SurveyChannel.CHAT,
        created_at__gte=OuterRef("last_inbound_at"),
    )
    rows = list(
        Conversation.objects.filter(
            status__in=DONE_STATUSES,
            merged_into__isnull=True,
            solved_at__gt=now - SOLVED_WINDOW,
            solved_at__lte=now,
        )
        .exclude(Exists(asked_in_chat))
        .select_related("customer")
        .order_by("solved_at")[:SWEEP_BATCH]
    )
    keys = {_solved_key(kind, c): c for c in rows}
    created = 0
    for key, conversation in _not_invited(keys).items():
        invite(
            customer=conversation.customer,
            kind=kind,
            trigger=Trigger.SOLVED,
            occasion=key.split(":", 1)[1],
            conversation=conversation,
            channel=_channel_for(conversation),
            now=conversation.solved_at,
            delay=csat_delay(),
        )
        created += 1
    return created


def _not_invited(keys: dict) -> dict:
    """Return the items of ``keys`` (dedupe key -> object) that have no invitation yet."""
    known = set(
        SurveyInvitation.objects.filter(dedupe_key__in=list(keys)).values_list(
            "dedupe_key", flat=True
        )
    )
    return {key: value for key, value in keys.items() if key not in known}


def _solved_key(kind: str, conversation) -> str:
    return f"{kind}:conversation:{conversation.pk}:{conversation.solved_at.isoformat()}"


def _channel_for(conversation) -> str:
    from rapport.sla.actions import customer_channel

    channel = customer_channel(conversation)
    return SurveyChannel.EMAIL if channel == "email" else SurveyChannel.PORTAL


# --- Sending -----------------------------------------------------------------------------------


def send_due_invitations(*, now: datetime | None = None) -> int:
    """Send the invitations whose time has come; return how many were sent."""
    now = now or timezone.now()
    ids = list(
        SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = 0
    for invitation_id in ids:
        try:
            sent += send_invitation(invitation_id=invitation_id, now=now).status == (
                InvitationStatus.SENT
            )
        except Exception:
            logger.exception("survey invitation %s could not be sent", invitation_id)
    return sent


def send_invitation(*, invitation_id: int, now: datetime | None = None) -> SurveyInvitation:
    """Send one scheduled invitation, or skip it (asked too recently, no way to reach)."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            # Only the invitation's row: PostgreSQL refuses to lock the outer join's side.
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("customer", "conversation")
            .get(pk=invitation_id)
        )
        if invitation.status != InvitationStatus.SCHEDULED:
            return invitation
        recent = (
            SurveyInvitation.objects.filter(
                customer=invitation.customer_id,
                sent_at__gt=now - timedelta(days=throttle_days()),
            )
            .exclude(pk=invitation.pk)
            .exists()
        )
        if recent:
            return _skip(invitation, "throttled")
        if consent_withdrawn(invitation.customer, ConsentPurpose.SURVEYS):
            return _skip(invitation, "no_consent")
        conversation = invitation.conversation
        if conversation is not None and conversation.merged_into_id:
            return _skip(invitation, "merged")
        address = ""
        if conversation is None:
            # A survey of its own (relationship NPS, CES after self-service) goes by plain
            # email; a portal page shows only surveys about a conversation.
            address, reason = deliverable_address(invitation.customer)
            if invitation.channel != SurveyChannel.EMAIL or not address:
                return _skip(invitation, reason or "no_address")
        elif invitation.channel == SurveyChannel.PORTAL and not invitation.customer.portal_user_id:
            # Shown only on the customer's portal page: without a login nobody would see it.
            return _skip(invitation, "no_address")
        invitation.status = InvitationStatus.SENT
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=link_days())
        invitation.save(update_fields=["status", "sent_at", "expires_at"])
        if address:
            transaction.on_commit(partial(_send_plain_email, invitation.pk, address))
        elif invitation.channel == SurveyChannel.EMAIL:
            _send_email(invitation)
    return invitation


def _skip(invitation: SurveyInvitation, reason: str) -> SurveyInvitation:
    invitation.status = InvitationStatus.SKIPPED
    invitation.skip_reason = reason
    invitation.sent_at = None
    invitation.expires_at = None
    invitation.save(update_fields=["status", "skip_reason", "sent_at", "expires_at"])
    return invitation


def _send_email(invitation: SurveyInvitation) -> None:
    from rapport.feedback.letters import invitation_letter
    from rapport.helpdesk.actions import record_conversation_event, send_reply

    text, html = invitation_letter(invitation)
    reply = send_reply(
        conversation=invitation.conversation,
        author=None,
        body_text=text,
        body_html=html,
        channel="email",
        kind="system",
        data={"survey": invitation.pk, "kind": invitation.kind},
    )
    record_conversation_event(
        conversation=invitation.conversation,
        kind="notified",
        message=reply,
        data={"type": "survey", "survey": invitation.kind, "invitation": invitation.pk},
    )


def expire_invitations(*, now: datetime | None = None) -> int:
    """Mark sent invitations whose link has expired unanswered; return how many."""
    now = now or timezone.now()
    return SurveyInvitation.objects.filter(
        Q(status=InvitationStatus.SENT) & Q(expires_at__lte=now)
    ).update(status=InvitationStatus.EXPIRED)


# --- Surveys of their own (no conversation): plain email ------------------------------------


def deliverable_address(customer) -> tuple[str, str]:
    """Return the customer's email address to survey (primary first) and "", or "" and why
    not ("no_address", or "bounced" when mail to every address came back)."""
    from rapport.customers.models import ContactKind, ContactPoint

    addresses = list(
        ContactPoint.objects.filter(customer=customer, kind=ContactKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
    )
    if not addresses:
        return "", "no_address"
    bounced = _bounced_addresses(customer, addresses)
    for address in addresses:
        if address.lower() not in bounced:
            return address, ""
    return "", "bounced"


def _bounced_addresses(customer, addresses: list[str]) -> set[str]:
    """Return the addresses (lower case) that a bounce in the customer's conversations names."""
    from rapport.helpdesk.models import Direction, Message, MessageKind

    bodies = [
        body.lower()
        for body in Message.objects.filter(
            conversation__customer=customer,
            direction=Direction.INBOUND,
            kind=MessageKind.BOUNCE,
        )
        .order_by("-created_at")
        .values_list("body_text", flat=True)[:50]
    ]
    return {a.lower() for a in addresses if any(a.lower() in body for body in bodies)}


def _send_plain_email(invitation_id: int, address: str) -> None:
    """Email a survey without a conversation; a refused address un-sends the invitation."""
    from django.core.mail import EmailMultiAlternatives

    from rapport.feedback.letters import invitation_letter, survey_subject

    invitation = (
        SurveyInvitation.objects.select_related("customer")
        .filter(pk=invitation_id, status=InvitationStatus.SENT)
        .first()
    )
    if invitation is None:
        return
    text, html = invitation_letter(invitation)
    email = EmailMultiAlternatives(
        subject=survey_subject(invitation),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused:
        _unsend(invitation_id, "bounced")
    except Exception:  # noqa: BLE001 - recorded on the invitation; the customer can be asked later
        logger.exception("survey invitation %s could not be emailed", invitation_id)
        _unsend(invitation_id, "send_failed")


def _unsend(invitation_id: int, reason: str) -> None:
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update()
            .filter(pk=invitation_id, status=InvitationStatus.SENT)
            .first()
        )
        if invitation is not None:
            _skip(invitation, reason)


def invite_relationship_nps(*, now: datetime | None = None) -> int:
    """Invite active customers not asked within ``SURVEY_NPS_DAYS`` to an NPS survey.

    Active: an order or a conversation within ``SURVEY_ACTIVE_DAYS`` (365). Customers sent
    any survey within the throttle window are left for a later day (they would be skipped).
    The selection is one query per batch; return how many invitations were created.
    """
    from rapport.commerce.models import Order
    from rapport.customers.models import Customer
    from rapport.helpdesk.models import Conversation

    if not getattr(settings, "SURVEY_NPS_ENABLED", True):
        return 0
    now = now or timezone.now()
    active_since = now - timedelta(days=int(getattr(settings, "SURVEY_ACTIVE_DAYS", 365)))
    customer = OuterRef("pk")
    candidates = (
        Customer.objects.filter(
            Exists(Order.objects.filter(customer=customer, ordered_at__gte=active_since))
            | Exists(
                Conversation.objects.filter(customer=customer, last_message_at__gte=active_since)
            )
        )
        .exclude(
            Exists(
                SurveyInvitation.objects.filter(
                    customer=customer,
                    kind=SurveyKind.NPS,
                    created_at__gt=now - timedelta(days=nps_days()),
                )
            )
        )
        .exclude(
            Exists(
                SurveyInvitation.objects.filter(
                    customer=customer, sent_at__gt=now - timedelta(days=throttle_days())
                )
            )
        )
        .order_by("pk")
        .only("pk", "language", "time_zone")
    )
    created, last = 0, 0
    while True:
        batch = list(candidates.filter(pk__gt=last)[:SWEEP_BATCH])
        if not batch:
            return created
        last = batch[-1].pk
        rows = []
        for person in batch:
            language = greeting_language(person, None)
            rows.append(
                SurveyInvitation(
                    customer=person,
                    kind=SurveyKind.NPS,
                    trigger=Trigger.SCHEDULE,
                    channel=SurveyChannel.EMAIL,
                    language=language if language in SURVEY_LANGUAGES else "en",
                    dedupe_key=f"{SurveyKind.NPS}:schedule:{person.pk}:{now.date().isoformat()}",
                    send_after=next_contact_time(person, now),
                    created_at=now,
                )
            )
        SurveyInvitation.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)


def invite_after_self_service(*, now: datetime | None = None) -> int:
    """Invite customers who accepted an assistant's answer (and needed no agent) to a CES
    survey, once per session; return how many invitations were created."""
    from rapport.assistant.models import AssistantSession, AssistantTurn, SessionStatus, TurnRole

    if not getattr(settings, "SURVEY_CES_AFTER_SELF_SERVICE", True):
        return 0
    now = now or timezone.now()
    accepted = AssistantTurn.objects.filter(
        session=OuterRef("pk"),
        role=TurnRole.ASSISTANT,
        helpful=True,
        created_at__gt=now - SOLVED_WINDOW,
        created_at__lte=now,
    )
    sessions = list(
        AssistantSession.objects.filter(
            Exists(accepted), customer__isnull=False, conversation__isnull=True
        )
        .exclude(status=SessionStatus.HANDED_OVER)
        .select_related("customer")
        .order_by("pk")[:SWEEP_BATCH]
    )
    keys = {f"{SurveyKind.CES}:assistant:{s.pk}": s for s in sessions}
    created = 0
    for key, session in _not_invited(keys).items():
        invite(
            customer=session.customer,
            kind=SurveyKind.CES,
            trigger=Trigger.SELF_SERVICE,
            occasion=key.split(":", 1)[1],
            now=now,
            delay=csat_delay(),
            language=session.language,
        )
        created += 1
    return created
