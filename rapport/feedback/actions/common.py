"""What the survey actions share: errors, settings, and the signed links of invitations."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.feedback.models import (
    InvitationStatus,
    SurveyInvitation,
    SurveyKind,
)

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


def nps_days() -> int:
    return int(getattr(settings, "SURVEY_NPS_DAYS", 90))


def after_solve_kind() -> str:
    """Return the survey asked after a solved conversation (``SURVEY_AFTER_SOLVE``)."""
    kind = str(getattr(settings, "SURVEY_AFTER_SOLVE", SurveyKind.CSAT)).lower()
    return kind if kind in (SurveyKind.CSAT, SurveyKind.CES) else SurveyKind.CSAT


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
