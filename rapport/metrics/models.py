"""What the KPI app stores itself: the record of each weekly report email sent."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WeeklyReport(models.Model):
    """One weekly report email to one recipient, claimed before sending and marked once sent.

    The row is what keeps a re-run (a second worker, a retry, the command) from sending the
    same week twice; a claim that never became a send is taken over after a while.
    """

    week_start = models.DateField(_("week starting"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    email = models.EmailField(_("sent to"), blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")
        constraints = [
            models.UniqueConstraint(
                fields=["week_start", "recipient"], name="metrics_weekly_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week_start} → {self.recipient_id}"
