"""Service KPIs from conversations: volume, backlog, first contact resolution, times, SLA."""

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet

from rapport.helpdesk.models import DONE_STATUSES, Conversation
from rapport.helpdesk.queries import is_open
from rapport.metrics.figures import Figure, SecondsBetween, medians, seconds, share
from rapport.metrics.periods import Period
from rapport.sla.models import SlaClock

SOURCE = "conversations"
DONE = [s.value for s in DONE_STATUSES]

FIRST_RESPONSE = SecondsBetween(F("first_response_at"), F("created_at"))
RESOLUTION = SecondsBetween(F("solved_at"), F("created_at"))

# (key, set of conversations, value expression, unit, seconds per unit)
TIMES = (
    ("first_response_time_calendar", "responded", FIRST_RESPONSE, "hours", 3600),
    (
        "first_response_time_business",
        "responded",
        F("first_response_business_seconds"),
        "hours",
        3600,
    ),
    ("resolution_time_calendar", "solved", RESOLUTION, "hours", 3600),
    ("resolution_time_business", "solved", F("resolution_business_seconds"), "hours", 3600),
    ("handling_time", "handled", F("handling_seconds"), "minutes", 60),
)


# Each query's set (its WHERE) and the sets counted inside it.
QUERIES = {
    "created": ("created",),
    "backlog_open": ("backlog_open",),
    "backlog_done_later": ("backlog_done_later",),
    "solved": ("solved", "first_contact", "handled"),
    "responded": ("responded",),
    "sla_due": ("sla_due", "sla_met"),
}


def base(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Return the conversations the service KPIs count: all but duplicates merged into another."""
    return conversations.filter(merged_into__isnull=True)


def sets(period: Period, now: datetime) -> dict[str, Q]:
    """Return the condition of each set of conversations the service KPIs count in ``period``."""
    start, end = period.start, period.end
    solved = Q(status__in=DONE, solved_at__gte=start, solved_at__lt=end)
    fr_due = Q(first_response_due_at__gte=start, first_response_due_at__lt=end)
    res_due = Q(resolution_due_at__gte=start, resolution_due_at__lt=end)
    # A target is decided once it was met or its due time has passed; open ones wait.
    fr_decided = Q(first_response_at__isnull=False) | Q(first_response_due_at__lte=now)
    res_decided = Q(status__in=DONE, solved_at__isnull=False) | Q(resolution_due_at__lte=now)
    # EXISTS rather than a join: only the few rows due in the period look at their clock.
    clocks = SlaClock.objects.filter(conversation=OuterRef("pk"))
    fr_missed = (
        Q(Exists(clocks.filter(first_response_breached_at__isnull=False)))
        | Q(first_response_at__gt=F("first_response_due_at"))
        | Q(first_response_at__isnull=True, first_response_due_at__lte=now)
    )
    res_missed = (
        Q(Exists(clocks.filter(resolution_breached_at__isnull=False)))
        | Q(solved_at__gt=F("resolution_due_at"))
        # Not done (a reopened conversation may keep an old solve time) and past due.
        | (~Q(status__in=DONE) & Q(resolution_due_at__lte=now))
    )
    sla_due = (fr_due & fr_decided) | (res_due & res_decided)
    done_by_end = Q(status__in=DONE) & (Q(solved_at__lt=end) | Q(closed_at__lt=end))
    # The backlog in two parts that indexes can find: still open (the inbox's partial
    # indexes), and done but only after the end (few, and recent).
    backlog_open = Q(is_open()) & Q(created_at__lt=end)
    backlog_done_later = Q(status__in=DONE, created_at__lt=end) & ~done_by_end
    return {
        "created": Q(created_at__gte=start, created_at__lt=end),
        "backlog": Q(created_at__lt=end) & ~done_by_end,
        "backlog_open": backlog_open,
        "backlog_done_later": backlog_done_later,
        "solved": solved,
        "first_contact": solved & Q(agent_reply_count=1, reopen_count=0),
        "responded": Q(first_response_at__gte=start, first_response_at__lt=end),
        "handled": solved & Q(handling_seconds__gt=0),
        "sla_due": sla_due,
        "sla_met": sla_due & ~(fr_due & fr_missed) & ~(res_due & res_missed),
    }


def records(conversations: QuerySet[Conversation], period: Period, name: str, now: datetime):
    """Return the conversations of one counted set (for a drill-down)."""
    return base(conversations).filter(sets(period, now)[name])


def compute(
    conversations: QuerySet[Conversation],
    period: Period,
    *,
    group: str | None,
    now: datetime,
    drill: dict[str, Any],
) -> dict[Any, dict[str, Figure]]:
    """Return the service figures of ``period``, per value of ``group`` (or under None)."""
    qs = base(conversations)
    conditions = sets(period, now)
    rows: dict[Any, dict[str, Any]] = {}
    # One query per set, each reading only that set's rows (a range of one date column),
    # rather than one pass over every conversation ever created.
    for where, counted in QUERIES.items():
        aggregates: dict[str, Any] = {
            name: Count("pk", filter=conditions[name]) for name in counted
        }
        for key, subset, _expression, _unit, _per in TIMES:
            if subset in counted:
                condition = conditions[subset] & Q(**{f"_{key}__isnull": False})
                aggregates[f"{key}_n"] = Count("pk", filter=condition)
                aggregates[f"{key}_mean"] = Avg(f"_{key}", filter=condition)
        times = {f"_{k}": e for k, subset, e, _u, _p in TIMES if subset in counted}
        found = qs.filter(conditions[where]).annotate(**times)
        if group is None:
            rows.setdefault(None, {}).update(found.aggregate(**aggregates))
        else:
            for row in found.values(group).annotate(**aggregates).order_by(group):
                rows.setdefault(row.pop(group), {}).update(row)
    middles = {
        key: medians(qs.filter(conditions[subset]), expression, group)
        for key, subset, expression, _unit, _per in TIMES
    }
    return {
        value: _figures(row, {k: m.get(value) for k, m in middles.items()}, drill)
        for value, row in rows.items()
    }


def _figures(found: dict[str, Any], middle: dict[str, float | None], drill) -> dict[str, Figure]:
    # A slice missing from one query had nothing in that set: zero, no mean.
    row: dict[str, Any] = {name: 0 for names in QUERIES.values() for name in names}
    row.update({f"{key}_n": 0 for key, *_rest in TIMES})
    row.update({f"{key}_mean": None for key, *_rest in TIMES})
    row.update(found)
    row["backlog"] = row["backlog_open"] + row["backlog_done_later"]

    def link(subset: str, numerator: str = "") -> dict[str, Any]:
        return {**drill, "source": SOURCE, "set": subset, "numerator": numerator}

    figures = {
        "inquiry_volume": Figure(
            "inquiry_volume", row["created"], "count", row["created"], drill=link("created")
        ),
        "backlog": Figure(
            "backlog", row["backlog"], "count", row["backlog"], drill=link("backlog")
        ),
        "first_contact_resolution": Figure(
            "first_contact_resolution",
            share(row["first_contact"], row["solved"]),
            "percent",
            row["solved"],
            numerator=row["first_contact"],
            denominator=row["solved"],
            drill=link("solved", "first_contact"),
        ),
        "sla_attainment": Figure(
            "sla_attainment",
            share(row["sla_met"], row["sla_due"]),
            "percent",
            row["sla_due"],
            numerator=row["sla_met"],
            denominator=row["sla_due"],
            drill=link("sla_due", "sla_met"),
        ),
    }
    for key, subset, _expression, unit, per in TIMES:
        n = row[f"{key}_n"]
        mean, median = seconds(row[f"{key}_mean"]), middle.get(key)
        figures[f"{key}_mean"] = Figure(
            f"{key}_mean",
            None if not n or mean is None else mean / per,
            unit,
            n,
            drill=link(subset),
        )
        figures[f"{key}_median"] = Figure(
            f"{key}_median",
            None if not n or median is None else median / per,
            unit,
            n,
            drill=link(subset),
        )
    return figures
