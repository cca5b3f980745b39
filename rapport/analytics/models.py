"""Customer value: the model fits, and each customer's stored scores (RFM, BG/NBD, CLV)."""

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext, npgettext
from django.utils.translation import gettext_lazy as _

from rapport.analytics.clv import rfm
from rapport.commerce.models import CurrencyField, MoneyField

#: P(alive) counts as falling when it dropped by more than this since the baseline.
FALLING_BY = 0.05
#: The baseline P(alive) is moved on to the latest score once it is this old, so that
#: "falling" compares with a month ago, not with last night (a day rarely moves it much).
BASELINE_DAYS = 28
#: Below this P(alive) a customer is more likely gone than not.
LIKELY_GONE = 0.5
#: Below this P(alive) the explanation calls a customer lost.
PROBABLY_LOST = 0.2
#: A one-time buyer counts as new for this long, and as lost after. BG/NBD gives every
#: one-time buyer P(alive) = 1 (no repeat purchase, so no sign of dropping out), so the
#: explanation cannot rely on it for them.
NEW_FOR_DAYS = 180


class FitKind(models.TextChoices):
    BGNBD = "bgnbd", _("BG/NBD (purchases)")
    PARETO_NBD = "pareto_nbd", _("Pareto/NBD (purchases)")
    GAMMA_GAMMA = "gamma_gamma", _("Gamma-Gamma (spend)")


class FitOutcome(models.TextChoices):
    OK = "ok", _("fitted")
    FAILED = "failed", _("failed")


#: The RFM segments, with the codes, names and order of ``clv.rfm`` (its one source).
Segment = models.TextChoices(
    "Segment", [(code.upper(), (code, rfm.SEGMENT_LABELS[code])) for code in rfm.SEGMENTS]
)


def segment_description(code: str) -> str:
    """Return the plain-language description of the RFM segment ``code``, in the active language."""
    return str(rfm.SEGMENT_DESCRIPTIONS.get(code, ""))


#: Segments whose customers count as valuable whatever their CLV (see ``CustomerValue.valuable``).
VALUABLE_SEGMENTS = (Segment.CANNOT_LOSE, Segment.AT_RISK)


class ValueModelFit(models.Model):
    """One fit of a purchase or spend model to every customer's history, successful or not."""

    kind = models.CharField(_("model"), max_length=16, choices=FitKind.choices)
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=FitOutcome.choices, default=FitOutcome.OK
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    log_likelihood = models.FloatField(_("log-likelihood"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    converged = models.BooleanField(_("converged"), default=False)
    iterations = models.PositiveIntegerField(_("iterations"), default=0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    unit_days = models.PositiveSmallIntegerField(_("time unit in days"), default=7)
    calibration_end = models.DateTimeField(_("calibration end"))
    fitted_at = models.DateTimeField(_("fitted at"), default=timezone.now)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-fitted_at", "-id"]
        verbose_name = _("value model fit")
        verbose_name_plural = _("value model fits")
        indexes = [models.Index(fields=["-fitted_at"], name="analytics_fit_latest")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.fitted_at:%Y-%m-%d %H:%M} ({self.outcome})"


class CustomerValue(models.Model):
    """A customer's latest scores: written in bulk by ``scoring.score_customers``, never by hand.

    Amounts are in ``currency``, the default currency of the orders (orders in other
    currencies are left out of the scores; see ``scoring``). Counts and durations follow the
    literature: ``frequency`` is the number of repeat purchase days, ``recency_days`` the days
    from the first purchase to the last, ``age_days`` from the first purchase to the scoring.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="value",
        verbose_name=_("customer"),
    )
    frequency = models.PositiveIntegerField(_("repeat purchases"))
    recency_days = models.PositiveIntegerField(_("days from first to last purchase"))
    age_days = models.PositiveIntegerField(_("days since first purchase"))
    orders = models.PositiveIntegerField(_("orders"))
    total_value = MoneyField(_("historic value"))
    monetary = MoneyField(_("average repeat purchase"))
    currency = CurrencyField()
    first_order_at = models.DateTimeField(_("first order"))
    last_order_at = models.DateTimeField(_("last order"))
    r_score = models.PositiveSmallIntegerField(_("recency score"))
    f_score = models.PositiveSmallIntegerField(_("frequency score"))
    m_score = models.PositiveSmallIntegerField(_("monetary score"))
    segment = models.CharField(_("segment"), max_length=24, choices=Segment.choices)
    expected_purchases_90d = models.FloatField(_("expected purchases in 90 days"))
    expected_purchases_1y = models.FloatField(_("expected purchases in a year"))
    p_alive = models.FloatField(_("probability still active"))
    # The baseline "falling" compares with: the P(alive) of a scoring BASELINE_DAYS or more ago.
    p_alive_previous = models.FloatField(
        _("probability still active before"), null=True, blank=True
    )
    p_alive_previous_at = models.DateTimeField(
        _("probability still active before, scored at"), null=True, blank=True
    )
    expected_average_value = MoneyField(_("expected average purchase"))
    clv = MoneyField(_("expected value (12 months)"))
    # Both computed at scoring time so that the at-risk list is an index range, not a sort.
    valuable = models.BooleanField(_("valuable"), default=False)
    at_stake = MoneyField(_("value at stake"))
    scored_at = models.DateTimeField(_("scored at"))
    fit = models.ForeignKey(
        ValueModelFit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("purchase model fit"),
    )

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        indexes = [
            models.Index(
                fields=["-at_stake", "id"],
                condition=models.Q(valuable=True),
                name="analytics_value_at_risk",
            ),
            models.Index(fields=["segment", "customer"], name="analytics_value_segment"),
            models.Index(fields=["-clv"], name="analytics_value_clv"),
            models.Index(fields=["first_order_at"], name="analytics_value_cohort"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment} {self.clv} {self.currency}"

    @property
    def p_alive_percent(self) -> int:
        return round(self.p_alive * 100)

    @property
    def p_alive_previous_percent(self) -> int | None:
        if self.p_alive_previous is None:
            return None
        return round(self.p_alive_previous * 100)

    @property
    def is_falling(self) -> bool:
        """Return whether P(alive) dropped by more than ``FALLING_BY`` since the baseline."""
        return self.p_alive_previous is not None and (
            self.p_alive < self.p_alive_previous - FALLING_BY
        )

    @property
    def purchase_days(self) -> int:
        """Return on how many days the customer bought (the first purchase and the repeats)."""
        return self.frequency + 1

    def days_since_last_order(self, now: datetime | None = None) -> int:
        now = now or timezone.now()
        return max(0, (now - self.last_order_at).days)

    def usual_interval_days(self) -> int | None:
        """Return the mean days between purchase days, or None after one purchase day."""
        if self.frequency < 1:
            return None
        return max(1, round(self.recency_days / self.frequency))

    def state(self, now: datetime | None = None) -> str:
        """Return "new", "active", "lapsing" or "lost": the word the explanation ends with."""
        if self.frequency == 0:
            return "new" if self.days_since_last_order(now) <= NEW_FOR_DAYS else "lost"
        if self.p_alive < PROBABLY_LOST:
            return "lost"
        interval = self.usual_interval_days() or 0
        if self.p_alive < LIKELY_GONE or self.days_since_last_order(now) > 2 * interval:
            return "lapsing"
        return "active"

    def explanation(self, now: datetime | None = None) -> str:
        """Return the scores in one plain sentence, in the active language.

        "Bought 5 times, last 8 months ago, usually every 6 weeks: probably lapsing."
        Computed from the stored numbers at display time, so it follows the reader's language.
        """
        ago = duration(self.days_since_last_order(now), "time ago")
        state = self.state(now)
        if state == "new":
            return gettext("Bought once, %(ago)s ago: a new customer, too early to tell.") % {
                "ago": ago
            }
        if self.frequency == 0:
            return gettext("Bought once, %(ago)s ago, and not since: probably lost.") % {"ago": ago}
        values = {
            "count": self.purchase_days,
            "ago": ago,
            "interval": duration(self.usual_interval_days() or 1, "interval"),
        }
        if state == "lost":
            text = ngettext(
                "Bought %(count)s time, last %(ago)s ago, usually every %(interval)s:"
                " probably lost.",
                "Bought %(count)s times, last %(ago)s ago, usually every %(interval)s:"
                " probably lost.",
                values["count"],
            )
        elif state == "lapsing":
            text = ngettext(
                "Bought %(count)s time, last %(ago)s ago, usually every %(interval)s:"
                " probably lapsing.",
                "Bought %(count)s times, last %(ago)s ago, usually every %(interval)s:"
                " probably lapsing.",
                values["count"],
            )
        else:
            text = ngettext(
                "Bought %(count)s time, last %(ago)s ago, usually every %(interval)s:"
                " probably active.",
                "Bought %(count)s times, last %(ago)s ago, usually every %(interval)s:"
                " probably active.",
                values["count"],
            )
        return text % values


def duration(days: int, context: str) -> str:
    """Return ``days`` as a rounded span a person says: "5 days", "6 weeks", "8 months", "2 years".

    ``context`` is "time ago" ("last 8 months ago") or "interval" ("usually every 6 weeks"):
    German declines the two differently ("vor 8 Monaten", "alle 8 Monate").
    """
    if days < 14:
        return npgettext(context, "%(n)s day", "%(n)s days", days) % {"n": days}
    if days < 60:
        weeks = round(days / 7)
        return npgettext(context, "%(n)s week", "%(n)s weeks", weeks) % {"n": weeks}
    if days < 730:
        months = round(days / 30.44)
        return npgettext(context, "%(n)s month", "%(n)s months", months) % {"n": months}
    years = round(days / 365.25)
    return npgettext(context, "%(n)s year", "%(n)s years", years) % {"n": years}
