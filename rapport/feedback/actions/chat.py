"""Asking the survey at the end of a live chat, in the chat itself, and taking the answer.

The question is an ordinary invitation on channel "chat": created once per occasion, sent at
once (the visitor is there, so no contact hours) unless the customer was asked within
``SURVEY_THROTTLE_DAYS``, and answered through ``record_answer``, so a low score opens the
follow-up as an email answer does. When the conversation is already solved, the invitation
takes the very dedupe key the solved-conversation sweep uses, so no email survey follows it.
"""

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.feedback.actions.answers import add_comment, record_answer
from rapport.feedback.actions.common import SurveyError, after_solve_kind
from rapport.feedback.actions.invitations import _solved_key, invite, send_invitation
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyResponse,
    Trigger,
)

CHAT_SALT = "rapport.feedback.chat-survey"


def ask_in_chat(
    *, conversation, occasion: str, now: datetime | None = None
) -> SurveyInvitation | None:
    """Return the sent chat invitation to show at the end of a chat, or None to ask nothing.

    ``occasion`` names the chat that ended (say ``"chat:<session id>"``); it is used only
    while the conversation is not solved. Nothing is asked when after-solve surveys are off,
    the conversation was merged, or the customer was asked recently (the invitation is then
    kept as skipped, for the record). A survey about this solve already scheduled for email
    is moved to the chat instead; one already emailed or answered is not asked again.
    """
    if not getattr(settings, "SURVEY_CSAT_ENABLED", True):
        return None
    if conversation is None or conversation.merged_into_id:
        return None
    now = now or timezone.now()
    kind = after_solve_kind()
    if conversation.solved_at is not None:
        occasion = _solved_key(kind, conversation).split(":", 1)[1]
    with transaction.atomic():
        invitation = invite(
            customer=conversation.customer,
            kind=kind,
            trigger=Trigger.SOLVED,
            occasion=occasion,
            conversation=conversation,
            channel=SurveyChannel.CHAT,
            now=now,
        )
        if invitation.channel != SurveyChannel.CHAT:
            # The sweep got there first: take its invitation over while it is unsent.
            moved = SurveyInvitation.objects.filter(
                pk=invitation.pk, status=InvitationStatus.SCHEDULED
            ).update(channel=SurveyChannel.CHAT)
            if not moved:
                return None
        invitation = send_invitation(invitation_id=invitation.pk, now=now)
    if invitation.status != InvitationStatus.SENT or invitation.channel != SurveyChannel.CHAT:
        return None
    return invitation


# --- The widget's token ----------------------------------------------------------------------


def chat_survey_token(invitation: SurveyInvitation) -> str:
    """Return the signed token the chat widget answers ``invitation`` with.

    Its own salt: a chat token is no email link, and an email link answers no chat survey.
    """
    return signing.Signer(salt=CHAT_SALT).sign(str(invitation.pk))


def chat_invitation_from_token(token, *, now: datetime | None = None) -> SurveyInvitation:
    """Return the chat invitation of a widget's token, or raise ``SurveyError``."""
    try:
        pk = int(signing.Signer(salt=CHAT_SALT).unsign(str(token or "")[:200]))
    except (signing.BadSignature, ValueError):
        raise SurveyError("invalid_token", _("This survey is not valid.")) from None
    invitation = (
        SurveyInvitation.objects.select_related("customer", "conversation")
        .filter(pk=pk, channel=SurveyChannel.CHAT)
        .first()
    )
    if invitation is None:
        raise SurveyError("gone", _("This survey is no longer available."))
    now = now or timezone.now()
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise SurveyError("expired", _("This survey has closed. Thank you all the same."))
    if invitation.status not in (InvitationStatus.SENT, InvitationStatus.ANSWERED):
        raise SurveyError("not_sent", _("This survey is not open."))
    return invitation


def answer_in_chat(
    *, token, score=None, comment=None, now: datetime | None = None
) -> SurveyResponse:
    """Record the score and/or comment given in the chat widget; raise ``SurveyError``.

    A second score changes the answer (never a second one); a comment needs a score first.
    """
    invitation = chat_invitation_from_token(token, now=now)
    if score is None and comment is None:
        raise SurveyError("invalid_score", _("Please choose one of the answers."))
    with transaction.atomic():
        response = None
        if score is not None:
            response = record_answer(
                invitation=invitation, score=score, channel=SurveyChannel.CHAT, now=now
            )
        if comment is not None:
            if not isinstance(comment, str):
                raise SurveyError("invalid_comment", _("Please write your comment as text."))
            response = add_comment(invitation=invitation, comment=comment)
    return response
