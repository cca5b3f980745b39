"""The KPI of an initiative before and after its start, and whether the change beats the noise.

Both values come from the KPI engine (``metrics.queries.report``), never from a second
definition here. The windows have equal length and touch at the start date: "after" runs from
the start date for as many whole days as have passed (up to the end date, yesterday at the
latest, since today is not over), at most ``MAX_WINDOW_DAYS`` unless the initiative names its
own window; "before" is the same number of days just before the start.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Sum
from django.utils import timezone

from rapport.improvement import noise
from rapport.improvement.models import Direction, Initiative
from rapport.metrics.figures import Figure
from rapport.metrics.periods import Period
from rapport.metrics.queries import MetricsError, drill_records, report

MAX_WINDOW_DAYS = 90
# KPIs that are a share of independent events (numerator of denominator): two-proportion test.
# Retention and churn are shares too, but the two periods count mostly the same customers, so
# the samples are not independent and the test would overstate its certainty.
PROPORTIONS = ("csat", "first_contact_resolution", "sla_attainment")
NOT_STARTED = "not_started"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Windows:
    before: Period
    after: Period
    before_dates: tuple[date, date]
    after_dates: tuple[date, date]
    days: int


@dataclass
class Evaluation:
    """What the initiative page shows about its KPI."""

    initiative: Initiative
    windows: Windows | None
    before: Figure | None = None
    after: Figure | None = None
    comparison: noise.Comparison | None = None
    verdict: str = NOT_STARTED
    method: str = ""

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        if self.before.value is None or self.after.value is None:
            return None
        return self.after.value - self.before.value

    @property
    def improved(self) -> bool | None:
        """Return whether the KPI moved the desired way; None when unchanged or unknown."""
        change = self.change
        if not change:
            return None
        return (change > 0) == (self.initiative.direction == Direction.UP)


def windows(initiative: Initiative, today: date) -> Windows | None:
    """Return the before and after windows of ``initiative``; None before a whole day passed."""
    last = today - timedelta(days=1)
    if initiative.end_date is not None:
        last = min(last, initiative.end_date)
    elapsed = (last - initiative.start_date).days + 1
    if elapsed < 1:
        return None
    days = min(initiative.window_days or MAX_WINDOW_DAYS, elapsed)
    start = initiative.start_date
    after = (start, start + timedelta(days=days - 1))
    before = (start - timedelta(days=days), start - timedelta(days=1))
    return Windows(Period.from_dates(*before), Period.from_dates(*after), before, after, days)


def evaluate(
    initiative: Initiative, user, *, today: date | None = None, now: datetime | None = None
) -> Evaluation:
    """Return the initiative's KPI before and after its start, as ``user`` may count it."""
    now = now or timezone.now()
    today = today or timezone.localdate(now, timezone.get_default_timezone())
    found = windows(initiative, today)
    result = Evaluation(initiative, found)
    if found is None:
        return result
    try:
        before = report(found.before, filters=initiative.filters, user=user, now=now)
        after = report(found.after, filters=initiative.filters, user=user, now=now)
    except MetricsError:
        result.verdict = UNAVAILABLE
        return result
    result.before = before.total.figures.get(initiative.kpi)
    result.after = after.total.figures.get(initiative.kpi)
    if result.before is None or result.after is None:
        # The engine leaves out a KPI its records cannot be sliced by (a customer has no team).
        result.verdict = UNAVAILABLE
        return result
    if result.change is None:
        result.verdict = noise.Verdict.NO_DATA
        return result
    result.method, result.comparison = _compare(initiative.kpi, result.before, result.after, user)
    result.verdict = result.comparison.verdict if result.comparison else noise.Verdict.NO_ESTIMATE
    return result


def _compare(kpi: str, before: Figure, after: Figure, user) -> tuple[str, noise.Comparison | None]:
    """Return the name of the test that fits ``kpi`` and its result (None: no estimate)."""
    if kpi in PROPORTIONS and _counted(before) and _counted(after):
        return "proportions", noise.two_proportions(
            round(before.numerator), round(before.denominator),
            round(after.numerator), round(after.denominator),
        )  # fmt: skip
    if kpi == "nps":
        shares = [_nps_shares(figure, user) for figure in (before, after)]
        if None not in shares:
            return "nps", noise.nps_difference(*shares)
    if kpi == "ces":
        spreads = [_spread(figure, user) for figure in (before, after)]
        if None not in spreads:
            return "mean", noise.mean_difference(*spreads)
    return "", None


def _counted(figure: Figure) -> bool:
    return figure.numerator is not None and bool(figure.denominator)


def _nps_shares(figure: Figure, user) -> tuple[int, int, int] | None:
    """Return (promoters, detractors, answers) of an NPS figure.

    The figure carries promoters minus detractors; the promoters are the records of its
    drill-down's numerator, so the engine's definition of a promoter is the only one used.
    """
    if figure.numerator is None or not figure.drill:
        return None
    try:
        promoters = drill_records(user, figure.drill, numerator=True).count()
    except MetricsError:
        return None
    return promoters, promoters - round(figure.numerator), figure.n


def _spread(figure: Figure, user) -> tuple[float, float, int] | None:
    """Return (mean, sample standard deviation, n) of the scores a CES figure averaged."""
    if not figure.drill:
        return None
    try:
        records = drill_records(user, figure.drill)
    except MetricsError:
        return None
    row = records.aggregate(n=Count("pk"), total=Sum("score"), squares=Sum(F("score") * F("score")))
    n = row["n"]
    if not n or n != figure.n:
        # Not the records the engine averaged: better no estimate than a wrong one.
        return None
    total, squares = float(row["total"]), float(row["squares"])
    return total / n, noise.sample_sd(n, total, squares), n
