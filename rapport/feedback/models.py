"""Surveys (CSAT, NPS, CES): who is asked, when and on which channel, and what they answered.

An invitation is one question put to one customer (after a solved conversation, after a
self-service session, or on a schedule); its signed link lets the customer answer once, and
a later click changes that one answer instead of adding another. KPIs count answers.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("customer satisfaction (CSAT)")
    NPS = "nps", _("net promoter score (NPS)")
    CES = "ces", _("customer effort score (CES)")


# The scale of each kind: lowest and highest score.
SCALES = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.CES: (1, 7)}


class Trigger(models.TextChoices):
    SOLVED = "solved", _("conversation solved")
    SELF_SERVICE = "self_service", _("self-service session")
    SCHEDULE = "schedule", _("relationship survey")
    MANUAL = "manual", _("sent by staff")


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    SENT = "sent", _("sent")
    ANSWERED = "answered", _("answered")
    SKIPPED = "skipped", _("not sent")
    EXPIRED = "expired", _("expired")


class SurveyChannel(models.TextChoices):
    EMAIL = "email", _("email")
    CHAT = "chat", _("chat")
    PORTAL = "portal", _("portal")


class SurveyInvitation(models.Model):
    """One survey question put to one customer; answered through its signed link."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    conversation = models.ForeignKey(
        "helpdesk.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InvitationStatus.choices,
        default=InvitationStatus.SCHEDULED,
    )
    # Why it was not sent ("throttled", "no_address", ...), for the record.
    skip_reason = models.CharField(max_length=32, blank=True)
    # One invitation per occasion: "csat:conversation:12:2026-11-22T10:00:00+00:00".
    dedupe_key = models.CharField(max_length=120, unique=True)
    send_after = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "send_after"], name="feedback_invitation_due"),
            models.Index(fields=["customer", "-sent_at"], name="feedback_invitation_last"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.customer_id}"

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[self.kind]


class SurveyResponse(models.Model):
    """The answer to one invitation; a second click on the link changes it."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_responses"
    )
    conversation = models.ForeignKey(
        "helpdesk.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices)
    language = models.CharField(_("language"), max_length=16, blank=True)
    changes = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "answered_at"], name="feedback_response_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"
