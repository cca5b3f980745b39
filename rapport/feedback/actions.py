"""Surveys: invite, send at a sensible local time, and record answers through signed links.

An invitation is created once per occasion (``dedupe_key``), waits for the customer's
contact hours, and is sent unless the customer was asked within ``SURVEY_THROTTLE_DAYS``.
Its link carries the invitation's id signed with the site's secret; an answer is recorded
once per invitation, and a later click changes it (``changes`` counts how often).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.customers.contact_hours import next_contact_time
from rapport.customers.greetings import greeting_language
from rapport.feedback.models import (
    SCALES,
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    Trigger,
)
from rapport.timeline.actions import record_event
from rapport.timeline.messages import message
from rapport.timeline.models import EventKind

logger = logging.getLogger(__name__)

SALT = "rapport.feedback.survey"
SWEEP_BATCH = 500
# Solved conversations looked at by the sweep: those solved within this window.
SOLVED_WINDOW = timedelta(days=3)
MAX_COMMENT = 4000
SURVEY_LANGUAGES = ("de", "en")


class SurveyError(Exception):
    """A survey link or answer that cannot be used; ``code`` is stable, ``message`` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def throttle_days() -> int:
    return int(getattr(settings, "SURVEY_THROTTLE_DAYS", 30))


def link_days() -> int:
    return int(getattr(settings, "SURVEY_LINK_DAYS", 30))


def csat_delay() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "SURVEY_CSAT_DELAY_MINUTES", 60)))


# --- Links -------------------------------------------------------------------------------------


def invitation_token(invitation: SurveyInvitation) -> str:
    return signing.Signer(salt=SALT).sign(str(invitation.pk))


def invitation_url(invitation: SurveyInvitation, score: int | None = None) -> str:
    path = reverse("feedback:answer", args=[invitation_token(invitation)])
    if score is not None:
        path += f"?score={score}"
    return settings.SITE_URL.rstrip("/") + path


def invitation_from_token(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    """Return the invitation of a link, or raise ``SurveyError`` (tampered, gone, expired)."""
    try:
        pk = int(signing.Signer(salt=SALT).unsign(str(token or "")[:200]))
    except (signing.BadSignature, ValueError):
        raise SurveyError("invalid_link", _("This survey link is not valid.")) from None
    invitation = (
        SurveyInvitation.objects.select_related("customer", "conversation").filter(pk=pk).first()
    )
    if invitation is None:
        raise SurveyError("gone", _("This survey is no longer available."))
    now = now or timezone.now()
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise SurveyError("expired", _("This survey has closed. Thank you all the same."))
    if invitation.status in (InvitationStatus.SCHEDULED, InvitationStatus.SKIPPED):
        raise SurveyError("not_sent", _("This survey is not open."))
    return invitation


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
) -> SurveyInvitation:
    """Create the invitation for one occasion (once), to be sent in the customer's contact hours."""
    if kind not in SurveyKind.values or trigger not in Trigger.values:
        raise ValueError(f"unknown survey kind or trigger: {kind!r}, {trigger!r}")
    if channel not in SurveyChannel.values:
        raise ValueError(f"unknown survey channel {channel!r}")
    now = now or timezone.now()
    language = greeting_language(customer, getattr(conversation, "language", None) or None)
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
    """Invite the customers of recently solved conversations to rate them (CSAT), once per
    solve; return how many invitations were created."""
    from rapport.helpdesk.models import DONE_STATUSES, Conversation

    if not getattr(settings, "SURVEY_CSAT_ENABLED", True):
        return 0
    now = now or timezone.now()
    rows = list(
        Conversation.objects.filter(
            status__in=DONE_STATUSES,
            merged_into__isnull=True,
            solved_at__gt=now - SOLVED_WINDOW,
            solved_at__lte=now,
        )
        .select_related("customer")
        .order_by("solved_at")[:SWEEP_BATCH]
    )
    keys = {_csat_key(c): c for c in rows}
    known = set(
        SurveyInvitation.objects.filter(dedupe_key__in=list(keys)).values_list(
            "dedupe_key", flat=True
        )
    )
    created = 0
    for key, conversation in keys.items():
        if key in known:
            continue
        invite(
            customer=conversation.customer,
            kind=SurveyKind.CSAT,
            trigger=Trigger.SOLVED,
            occasion=key.split(":", 1)[1],
            conversation=conversation,
            channel=_channel_for(conversation),
            now=conversation.solved_at,
            delay=csat_delay(),
        )
        created += 1
    return created


def _csat_key(conversation) -> str:
    return f"{SurveyKind.CSAT}:conversation:{conversation.pk}:{conversation.solved_at.isoformat()}"


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
            SurveyInvitation.objects.select_for_update()
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
        conversation = invitation.conversation
        if conversation is not None and conversation.merged_into_id:
            return _skip(invitation, "merged")
        if invitation.channel == SurveyChannel.EMAIL and conversation is None:
            return _skip(invitation, "no_conversation")
        invitation.status = InvitationStatus.SENT
        invitation.sent_at = now
        invitation.expires_at = now + timedelta(days=link_days())
        invitation.save(update_fields=["status", "sent_at", "expires_at"])
        if invitation.channel == SurveyChannel.EMAIL:
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


# --- Answering ---------------------------------------------------------------------------------


def record_answer(
    *,
    invitation: SurveyInvitation,
    score,
    channel: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """Record (or change) the answer to ``invitation``; raise ``SurveyError`` on bad input."""
    low, high = SCALES[invitation.kind]
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise SurveyError("invalid_score", _("Please choose one of the answers.")) from None
    if not low <= value <= high:
        raise SurveyError(
            "out_of_range",
            _("Please choose a score from %(low)s to %(high)s.") % {"low": low, "high": high},
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.expires_at is not None and locked.expires_at <= now:
            raise SurveyError("expired", _("This survey has closed. Thank you all the same."))
        response = SurveyResponse.objects.filter(invitation=locked).first()
        if response is None:
            response = SurveyResponse.objects.create(
                invitation=locked,
                customer_id=locked.customer_id,
                conversation_id=locked.conversation_id,
                kind=locked.kind,
                score=value,
                channel=channel if channel in SurveyChannel.values else locked.channel,
                language=locked.language,
                answered_at=now,
            )
        elif response.score != value:
            response.score = value
            response.changes += 1
            response.save(update_fields=["score", "changes", "updated_at"])
        else:
            return response
        if locked.status != InvitationStatus.ANSWERED:
            locked.status = InvitationStatus.ANSWERED
            locked.save(update_fields=["status"])
        _record_in_timeline(locked, response, now)
    return response


def add_comment(*, invitation: SurveyInvitation, comment: str) -> SurveyResponse:
    """Add the customer's comment ("why?") to their answer."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise SurveyError(
            "too_long",
            _("Please keep your comment under %(count)s characters.") % {"count": MAX_COMMENT},
        )
    with transaction.atomic():
        response = (
            SurveyResponse.objects.select_for_update().filter(invitation_id=invitation.pk).first()
        )
        if response is None:
            raise SurveyError("no_answer", _("Please choose a score first."))
        if comment != response.comment:
            response.comment = comment
            response.save(update_fields=["comment", "updated_at"])
    return response


def _record_in_timeline(invitation, response, now) -> None:
    low, high = SCALES[invitation.kind]
    record_event(
        customer=invitation.customer,
        kind=EventKind.SURVEY,
        message=message(
            gettext_noop("%(survey)s answer: %(score)s of %(high)s"),
            survey=invitation.kind.upper(),
            score=response.score,
            high=high,
        ),
        occurred_at=now,
        channel=response.channel,
        data={
            "survey": invitation.kind,
            "score": response.score,
            "scale": [low, high],
            "invitation": invitation.pk,
            "conversation": invitation.conversation_id,
            "changed": response.changes > 0,
        },
        source=response,
        dedupe_key=f"survey:{response.pk}:{response.changes}",
    )
    if invitation.conversation_id:
        from rapport.helpdesk.actions import record_conversation_event

        record_conversation_event(
            conversation=invitation.conversation,
            kind="survey",
            data={"survey": invitation.kind, "score": response.score, "scale": [low, high]},
        )


def expire_invitations(*, now: datetime | None = None) -> int:
    """Mark sent invitations whose link has expired unanswered; return how many."""
    now = now or timezone.now()
    return SurveyInvitation.objects.filter(
        Q(status=InvitationStatus.SENT) & Q(expires_at__lte=now)
    ).update(status=InvitationStatus.EXPIRED)
