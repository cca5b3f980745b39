"""The shape of one KPI figure, the statistics behind it, and the dimensions to slice by."""

import math
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db import NotSupportedError
from django.db.models import Count, F, FloatField, Func, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

# The two-sided 95% quantile of the normal distribution.
Z95 = 1.959963984540054

# How each dimension is reached from the records of each source. A dimension missing from a
# source cannot slice it (a customer has no team); such figures are left out, never shown
# unsliced. A customer segment (a customer tag, by name) filters every source but is no
# breakdown: a customer may carry several tags, so its slices would overlap.
DIMENSIONS = ("channel", "team", "agent", "country", "language")
FILTERS = (*DIMENSIONS, "segment")
PATHS: dict[str, dict[str, str]] = {
    "conversations": {
        "channel": "channel",
        "team": "team",
        "agent": "assignee",
        "country": "customer__country",
        "language": "language",
        "segment": "customer__tags__name",
    },
    "responses": {
        "channel": "conversation__channel",
        "team": "conversation__team",
        "agent": "conversation__assignee",
        "country": "customer__country",
        "language": "language",
        "segment": "customer__tags__name",
    },
    "customers": {"country": "country", "language": "language", "segment": "tags__name"},
    "orders": {
        "country": "customer__country",
        "language": "customer__language",
        "segment": "customer__tags__name",
    },
}

UNITS = {
    "percent": _("%"),
    "points": _("points"),
    "score": _("score"),
    "count": _("conversations"),
    "customers": _("customers"),
    "hours": _("hours"),
    "minutes": _("minutes"),
    "orders": _("orders per customer"),
    "periods": _("periods"),
}


@dataclass
class Figure:
    """One KPI value with what it was computed from and how to reach those records."""

    key: str
    value: float | None
    unit: str
    n: int
    numerator: float | None = None
    denominator: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    previous: float | None = None
    previous_n: int | None = None
    change: float | None = None
    note: str = ""
    drill: dict[str, Any] = field(default_factory=dict)

    def compare(self, previous: "Figure | None") -> None:
        """Record the previous period's figure and the change from it."""
        if previous is None:
            return
        self.previous, self.previous_n = previous.value, previous.n
        if self.value is not None and previous.value is not None:
            self.change = self.value - previous.value

    def as_dict(self, places: int = 2) -> dict[str, Any]:
        """Return the figure as JSON-ready data, numbers rounded to ``places`` decimals."""
        data = asdict(self)
        for name in (
            "value",
            "numerator",
            "denominator",
            "ci_low",
            "ci_high",
            "previous",
            "change",
        ):
            if data[name] is not None:
                data[name] = round(float(data[name]), places)
        return data


class SecondsBetween(Func):
    """The seconds from ``start`` to ``end`` (two datetime columns), computed by the database.

    Django's duration arithmetic calls a Python function per row on SQLite; at a million
    conversations that costs seconds, ``julianday`` costs milliseconds.
    """

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            # julianday is a float of days: exact to well under a millisecond, so round there.
            sql = f"ROUND((julianday({end_sql}) - julianday({start_sql})) * 86400.0, 3)"
        elif connection.vendor == "postgresql":
            sql = f"EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))"
        else:
            raise NotSupportedError("SecondsBetween supports SQLite and PostgreSQL.")
        return sql, (*end_params, *start_params)


def share(numerator: int, denominator: int) -> float | None:
    """Return ``numerator`` as a percentage of ``denominator``; None when nothing was counted."""
    return None if not denominator else 100.0 * numerator / denominator


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """Return the Wilson score interval of a proportion, in percent."""
    if not n:
        return None, None
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return 100.0 * (centre - margin) / denominator, 100.0 * (centre + margin) / denominator


def nps_interval(
    promoters: int, detractors: int, n: int, z: float = Z95
) -> tuple[float | None, float | None]:
    """Return the normal interval of NPS, the mean of scores +1 (promoter), 0 and -1 (detractor)."""
    if not n:
        return None, None
    p, d = promoters / n, detractors / n
    variance = p + d - (p - d) ** 2
    margin = z * math.sqrt(variance / n)
    return max(-100.0, 100.0 * (p - d - margin)), min(100.0, 100.0 * (p - d + margin))


def seconds(value) -> float | None:
    """Return a duration from the database (timedelta or number of seconds) as seconds."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def medians(qs: QuerySet, expression, group: str | None = None) -> dict[Any, float | None]:
    """Return the median of ``expression`` over ``qs``, per value of ``group`` (or under None).

    One query: each row is numbered within its group in the order of the value, and only the
    middle row (odd count) or the two middle rows (even count) come back, on SQLite and
    PostgreSQL alike.
    """
    partition = [F(group)] if group else []
    ranked = (
        qs.annotate(_value=expression)
        .filter(_value__isnull=False)
        .annotate(
            _rank=Window(RowNumber(), partition_by=partition, order_by=[F("_value").asc()]),
            _size=Window(Count("pk"), partition_by=partition),
        )
        # Conjunctive on purpose: Django filters on window functions only without OR.
        .filter(_rank__gte=(F("_size") + 1) / 2, _rank__lte=(F("_size") + 2) / 2)
    )
    columns = ["_value", group] if group else ["_value"]
    found: dict[Any, list[float]] = {}
    for row in ranked.values_list(*columns):
        found.setdefault(row[1] if group else None, []).append(seconds(row[0]))
    return {key: sum(values) / len(values) for key, values in found.items()}
