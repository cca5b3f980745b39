"""Survey KPIs from answers: CSAT, NPS and CES."""

from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from rapport.feedback.models import SurveyKind, SurveyResponse
from rapport.metrics.figures import Figure, nps_interval, share, wilson
from rapport.metrics.periods import Period

SOURCE = "responses"


def sets(period: Period) -> dict[str, Q]:
    """Return the condition of each set of answers the survey KPIs count in ``period``."""
    answered = Q(answered_at__gte=period.start, answered_at__lt=period.end)
    csat, nps = answered & Q(kind=SurveyKind.CSAT), answered & Q(kind=SurveyKind.NPS)
    return {
        "csat": csat,
        "csat_satisfied": csat & Q(score__gte=4),
        "nps": nps,
        "nps_promoters": nps & Q(score__gte=9),
        "nps_detractors": nps & Q(score__lte=6),
        "ces": answered & Q(kind=SurveyKind.CES),
    }


def records(responses: QuerySet[SurveyResponse], period: Period, name: str, now=None):
    """Return the answers of one counted set (for a drill-down)."""
    return responses.filter(sets(period)[name])


def compute(
    responses: QuerySet[SurveyResponse],
    period: Period,
    *,
    group: str | None,
    now=None,
    drill: dict[str, Any],
) -> dict[Any, dict[str, Figure]]:
    """Return the survey figures of ``period``, per value of ``group`` (or under None)."""
    conditions = sets(period)
    aggregates: dict[str, Any] = {
        name: Count("pk", filter=condition) for name, condition in conditions.items()
    }
    aggregates["ces_mean"] = Avg("score", filter=conditions["ces"])
    # Only rows of the period are read; the kinds' index leads with kind, then answered_at.
    qs = responses.filter(
        kind__in=SurveyKind.values, answered_at__gte=period.start, answered_at__lt=period.end
    )
    if group is None:
        rows = {None: qs.aggregate(**aggregates)}
    else:
        rows = {
            row.pop(group): row for row in qs.values(group).annotate(**aggregates).order_by(group)
        }
    return {value: _figures(row, drill) for value, row in rows.items()}


def _figures(row: dict[str, Any], drill) -> dict[str, Figure]:
    def link(subset: str, numerator: str = "") -> dict[str, Any]:
        return {**drill, "source": SOURCE, "set": subset, "numerator": numerator}

    csat_n, satisfied = row["csat"], row["csat_satisfied"]
    csat_low, csat_high = wilson(satisfied, csat_n)
    nps_n, promoters, detractors = row["nps"], row["nps_promoters"], row["nps_detractors"]
    nps_low, nps_high = nps_interval(promoters, detractors, nps_n)
    nps = None if not nps_n else share(promoters, nps_n) - share(detractors, nps_n)
    return {
        "csat": Figure(
            "csat",
            share(satisfied, csat_n),
            "percent",
            csat_n,
            numerator=satisfied,
            denominator=csat_n,
            ci_low=csat_low,
            ci_high=csat_high,
            drill=link("csat", "csat_satisfied"),
        ),
        "nps": Figure(
            "nps",
            nps,
            "points",
            nps_n,
            numerator=promoters - detractors,
            denominator=nps_n,
            ci_low=nps_low,
            ci_high=nps_high,
            drill=link("nps", "nps_promoters"),
        ),
        "ces": Figure(
            "ces",
            None if not row["ces"] else float(row["ces_mean"]),
            "score",
            row["ces"],
            drill=link("ces"),
        ),
    }
