"""Surveys (CSAT, NPS, CES): who is asked, when and on which channel, and what they answered.

An invitation is one question put to one customer (after a solved conversation, after a
self-service session, or on a schedule); its signed link lets the customer answer once, and
a later click changes that one answer instead of adding another. KPIs count answers.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("customer satisfaction (CSAT)")
    NPS = "nps", _("net promoter score (NPS)")
    CES = "ces", _("customer effort score (CES)")


# The scale of each kind: lowest and highest score.
SCALES = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.CES: (1, 7)}


# Answers that call for a follow-up: NPS detractors, dissatisfied (CSAT) or struggling (CES).
LOW_SCORES = {SurveyKind.CSAT: 2, SurveyKind.NPS: 6, SurveyKind.CES: 2}


def is_low(kind: str, score: int) -> bool:
    """Return whether ``score`` on a ``kind`` survey is low enough to follow up."""
    return score <= LOW_SCORES[kind]


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
    # The comment's sentiment (``rapport.sentiment``: label, score, phrases); {} without one.
    comment_sentiment = models.JSONField(default=dict, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices)
    language = models.CharField(_("language"), max_length=16, blank=True)
    changes = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # Closing the loop on a low answer: the helpdesk conversation opened for it (once per
    # answer: ``follow_up_opened_at`` stays when the conversation is deleted, so none is
    # opened again), what was done there, and by whom.
    follow_up = models.ForeignKey(
        "helpdesk.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_follow_ups",
        verbose_name=_("follow-up"),
    )
    follow_up_opened_at = models.DateTimeField(_("follow-up opened"), null=True, blank=True)
    # Set while the answer, changed after the follow-up opened, is no longer low.
    improved_at = models.DateTimeField(_("answer improved"), null=True, blank=True)
    # The internal notes this app wrote into the follow-up: never taken as its outcome.
    follow_up_notes = models.JSONField(default=list, blank=True)
    loop_closed_at = models.DateTimeField(_("loop closed"), null=True, blank=True)
    loop_outcome = models.TextField(_("what was done"), blank=True)
    loop_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loop closed by"),
    )

    class Meta:
        indexes = [
            models.Index(fields=["kind", "answered_at"], name="feedback_response_kind"),
            models.Index(
                fields=["follow_up"],
                condition=models.Q(follow_up__isnull=False, loop_closed_at__isnull=True),
                name="feedback_open_loops",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"

    @property
    def is_low(self) -> bool:
        return is_low(self.kind, self.score)
