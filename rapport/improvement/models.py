"""Improvement initiatives: a problem, a hypothesis, what is done about it and the KPI to watch.

Whether an initiative worked is never stored: the initiative page computes the KPI before and
after its start date from the KPI engine each time it is shown (see ``evaluation``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    ABANDONED = "abandoned", _("abandoned")


# An initiative is closed once it is done or abandoned; closing sets its end date.
CLOSED_STATUSES = (InitiativeStatus.DONE, InitiativeStatus.ABANDONED)


class Direction(models.TextChoices):
    UP = "up", _("higher is better")
    DOWN = "down", _("lower is better")


# KPIs where a lower value is the improvement; every other KPI improves upwards.
LOWER_IS_BETTER = frozenset(
    {
        "inquiry_volume",
        "backlog",
        "first_response_time_calendar_mean",
        "first_response_time_calendar_median",
        "first_response_time_business_mean",
        "first_response_time_business_median",
        "resolution_time_calendar_mean",
        "resolution_time_calendar_median",
        "resolution_time_business_mean",
        "resolution_time_business_median",
        "handling_time_mean",
        "handling_time_median",
        "lost_customers",
        "churn_rate",
    }
)


def default_direction(kpi: str) -> str:
    """Return the direction in which ``kpi`` usually improves."""
    return Direction.DOWN if kpi in LOWER_IS_BETTER else Direction.UP


class Initiative(models.Model):
    """One attempt to move one KPI: what is wrong, why, what is done, by whom and since when."""

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    hypothesis = models.TextField(_("hypothesis"))
    action = models.TextField(pgettext_lazy("initiative", "action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="owned_initiatives",
        verbose_name=_("owner"),
    )
    # A key of ``rapport.metrics.queries.KPIS``; checked by the actions, not by choices, so a
    # KPI added to the engine needs no migration here.
    kpi = models.CharField(_("KPI to watch"), max_length=64)
    # The slice the KPI is watched in, as ``queries.report(filters=...)`` takes it.
    filters = models.JSONField(_("slice"), default=dict, blank=True)
    direction = models.CharField(
        _("better is"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # Days compared before and after the start; empty: as many as have passed, at most 90.
    window_days = models.PositiveSmallIntegerField(
        _("comparison window (days)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InitiativeStatus.choices,
        default=InitiativeStatus.PLANNED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="improvement_initiative_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["status", "-start_date"], name="improvement_status")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Refuse an unknown KPI and an end before the start (the admin form's checks)."""
        from rapport.metrics.queries import KPIS  # the engine imports every domain's models

        errors = {}
        if self.kpi not in KPIS:
            errors["kpi"] = _("“%(kpi)s” is not a known KPI.") % {"kpi": self.kpi}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date lies before the start date.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES
