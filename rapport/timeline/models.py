"""The timeline: one chronological feed of everything that happens with a customer."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.timeline.messages import render


class EventKind(models.TextChoices):
    NOTE = "note", _("note")
    ACTIVITY = "activity", _("activity")
    PROFILE = "profile", _("profile change")
    CONSENT = "consent", _("consent")
    MERGE = "merge", _("merge")
    ORDER = "order", _("order")
    MESSAGE = "message", _("message")
    CALL = "call", _("call")
    SURVEY = "survey", _("survey answer")
    LOYALTY = "loyalty", _("loyalty")
    CAMPAIGN = "campaign", _("campaign")
    IMPORT = "import", _("import")


class ActivityType(models.TextChoices):
    CALL = "call", _("call")
    MEETING = "meeting", _("meeting")
    VISIT = "visit", _("visit")
    EMAIL = "email", _("email")
    TASK = "task", _("task")
    OTHER = "other", _("other")


class TimelineEvent(models.Model):
    """One thing that happened with a customer, on any channel.

    Written only through ``rapport.timeline.actions.record_event``. ``source_type`` and
    ``source_id`` point at the row that caused it (for example ``commerce.order`` and the
    order id); ``dedupe_key``, when given, makes recording idempotent.
    """

    # Indexed through timeline_feed (customer, -occurred_at, -id).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="timeline_events",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    dedupe_key = models.CharField(
        max_length=128, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_feed")]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """Return the title in the active language (system events), or as written (notes)."""
        stored = self.data.get("message") if isinstance(self.data, dict) else None
        if isinstance(stored, dict) and stored.get("text"):
            return render(stored)
        return self.title
