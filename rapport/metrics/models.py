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


class FactPack(models.Model):
    """A column store of the KPI facts of one range of rows of one source.

    The engine reads these rather than scanning millions of rows per page; ``metrics.packs``
    builds them and patches them at read time with the rows ``FactChange`` names, so what
    they give equals a direct computation (``docs/decisions.md``, "KPI fact packs").
    """

    source = models.CharField(max_length=16)
    chunk = models.IntegerField()
    built_at = models.DateTimeField()
    rows = models.IntegerField(default=0)
    # What the facts depend on (time zone, churn rule, currency): packs built under other
    # settings are stale.
    settings = models.JSONField(default=dict)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "chunk"], name="metrics_factpack_chunk")
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.chunk}"


class FactChange(models.Model):
    """A row whose KPI facts changed since its pack was built, written by database triggers.

    Triggers, not signals: the helpdesk and the loaders write with ``QuerySet.update()`` and
    bulk inserts, which no Django signal sees. The pack builder deletes the rows it consumed.
    """

    id = models.BigAutoField(primary_key=True)
    source = models.CharField(max_length=16)
    row_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.source} {self.row_id}"
