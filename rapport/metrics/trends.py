"""KPIs over time: the figures of each day or week of a period, for the trend charts.

Counted with the engine's own sets of records, so a trend's buckets add up to the period's
figure. Views and reports ask here rather than counting themselves.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from rapport.accounts.models import User
from rapport.metrics import columnar, packs, service, surveys
from rapport.metrics.periods import Period
from rapport.metrics.queries import Scope, _narrow, clean_filters, counts_from_packs

# Periods longer than this are charted per week rather than per day.
DAILY_UP_TO = 60


def buckets(first: date, last: date) -> list[tuple[date, Period]]:
    """Return the days from ``first`` to ``last``, or their weeks (the last one shorter)."""
    step = 1 if (last - first).days + 1 <= DAILY_UP_TO else 7
    found, day = [], first
    while day <= last:
        end = min(day + timedelta(days=step - 1), last)
        found.append((day, Period.from_dates(day, end)))
        day = end + timedelta(days=1)
    return found


def trend(
    user: User | None,
    first: date,
    last: date,
    *,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, list]:
    """Return inquiry volume, conversations solved and CSAT % per bucket, ``first`` to ``last``.

    ``labels`` are the first day of each bucket (dates); a bucket without CSAT answers has
    None. ``filters`` narrow the records as ``queries.report`` does.
    """
    scope, now = Scope.of(user), timezone.now()
    filters = clean_filters(filters)
    periods = buckets(first, last)
    facts = packs.load() if counts_from_packs(user, filters) else None
    counted = columnar.trend_counts(facts, [p for _d, p in periods], filters) if facts else None
    if counted is not None:
        return {
            "labels": [day for day, _p in periods],
            "volume": counted[0],
            "csat": counted[1],
            "solved": counted[2],
        }
    conversations = _narrow(scope.conversations, "conversations", filters)
    responses = _narrow(scope.responses, "responses", filters)
    labels: list[date] = []
    volume: list[int | None] = []
    solved: list[int | None] = []
    csat: list[float | None] = []
    for day, bucket in periods:
        labels.append(day)
        if conversations is None:
            volume.append(None)
            solved.append(None)
        else:
            volume.append(service.records(conversations, bucket, "created", now).count())
            solved.append(service.records(conversations, bucket, "solved", now).count())
        total = 0 if responses is None else surveys.records(responses, bucket, "csat").count()
        satisfied = surveys.records(responses, bucket, "csat_satisfied").count() if total else 0
        csat.append(round(100.0 * satisfied / total, 2) if total else None)
    return {"labels": labels, "volume": volume, "csat": csat, "solved": solved}
