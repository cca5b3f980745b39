"""The manager dashboard of the KPIs, its CSV export and the drill-down behind each number.

Thin: parse the period and slice, ask the engine (``queries.report``), render. The engine is the
only place a KPI is defined; this module only chooses periods, buckets and presentation.
"""

import csv
from dataclasses import dataclass
from datetime import date, timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from rapport.accounts.access import staff_required
from rapport.accounts.models import Role
from rapport.metrics import trends
from rapport.metrics.figures import DIMENSIONS, UNITS
from rapport.metrics.periods import Period, PeriodError
from rapport.metrics.queries import KPIS, MetricsError, drill_records, report

# The KPIs the dashboard shows as cards, in order.
CARDS = (
    "csat",
    "nps",
    "ces",
    "first_contact_resolution",
    "first_response_time_calendar_median",
    "resolution_time_calendar_median",
    "inquiry_volume",
    "backlog",
    "sla_attainment",
    "retention_rate",
    "churn_rate",
    "customer_lifetime_value",
    "repeat_purchase_rate",
)
# KPIs with a 95% interval, for which the page says whether the change is beyond noise.
WITH_INTERVAL = ("csat", "nps")
# Decimal places per KPI when shown (``floatformat``; "g" groups thousands as the locale does).
PLACES = {"ces": "2g", "inquiry_volume": "0g", "backlog": "0g"}
DEFAULT_PLACES = "1g"

PERIODS = {
    "last_30_days": gettext_lazy("Last 30 days"),
    "last_90_days": gettext_lazy("Last 90 days"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "custom": pgettext_lazy("period", "Custom"),
}
BY_LABELS = {
    "": gettext_lazy("nothing"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "agent": gettext_lazy("Agent"),
    "country": gettext_lazy("Country"),
    "language": gettext_lazy("Language"),
}
CHART_KPIS = ("inquiry_volume", "csat")
DRILL_SALT = "rapport.metrics.drill"
DRILL_PER_PAGE = 100


class DashboardError(ValueError):
    """The query string asks for a period or slice that does not exist."""


@dataclass
class Choice:
    """What the query string asked for, checked."""

    period_key: str
    period: Period
    first: date
    last: date
    by: str
    chart: str


def _require_manager(user) -> None:
    """Refuse everyone but managers and administrators (agents see only their own later)."""
    if user.role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied


def _today() -> date:
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def parse_choice(params) -> Choice:
    """Return the period, slice and chart the query string asks for, or raise DashboardError."""
    key = params.get("period") or "last_30_days"
    today = _today()
    if key == "last_30_days":
        first, last = today - timedelta(days=29), today
    elif key == "last_90_days":
        first, last = today - timedelta(days=89), today
    elif key == "this_month":
        first, last = today.replace(day=1), today
    elif key == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
    elif key == "custom":
        try:
            period = Period.parse(params.get("from", ""), params.get("to", ""))
        except PeriodError as error:
            raise DashboardError(str(error)) from None
        first, last = period.local_dates()
    else:
        raise DashboardError(_("“%(value)s” is not a known period.") % {"value": key})
    if (last - first).days > 3660:
        raise DashboardError(_("A period may span at most ten years."))
    by = params.get("by", "")
    if by and by not in DIMENSIONS:
        raise DashboardError(_("“%(value)s” is not a known breakdown.") % {"value": by})
    chart = params.get("chart") or "inquiry_volume"
    if chart not in CHART_KPIS:
        raise DashboardError(_("“%(value)s” cannot be charted.") % {"value": chart})
    return Choice(key, Period.from_dates(first, last), first, last, by, chart)


def drill_token(drill: dict, numerator: bool = False) -> str:
    """Return a signed token of a figure's drill-down, so the link cannot be tampered with."""
    return signing.dumps({"drill": drill, "numerator": numerator}, salt=DRILL_SALT, compress=True)


def _card(key: str, figure) -> dict:
    """Return what one card shows: the figure, its name, unit and noise verdict."""
    beyond = None
    if (
        key in WITH_INTERVAL
        and figure.previous is not None
        and figure.ci_low is not None
        and figure.ci_high is not None
    ):
        beyond = not (figure.ci_low <= figure.previous <= figure.ci_high)
    return {
        "key": key,
        "name": KPIS[key],
        "figure": figure,
        "unit": UNITS.get(figure.unit, figure.unit),
        "places": PLACES.get(key, DEFAULT_PLACES),
        "with_interval": key in WITH_INTERVAL,
        "beyond_noise": beyond,
        "token": drill_token(figure.drill) if figure.drill else "",
    }


def trend(user, choice: Choice) -> dict:
    """Return the trend series of the chosen period, dates as ISO strings for the chart."""
    series = trends.trend(user, choice.first, choice.last)
    return {**series, "labels": [day.isoformat() for day in series["labels"]]}


def _rows(result) -> list[dict]:
    """Return the breakdown table: the whole period first, then one row per slice."""
    rows = []
    for group in [result.total, *result.groups]:
        rows.append(
            {
                "label": str(group.label),
                "is_total": group.is_total,
                "cells": [
                    {
                        "key": key,
                        "figure": group.figures.get(key),
                        "places": PLACES.get(key, DEFAULT_PLACES),
                        "token": drill_token(group.figures[key].drill)
                        if key in group.figures and group.figures[key].drill
                        else "",
                    }
                    for key in CARDS
                ],
            }
        )
    return rows


def _bad_request(request, message: str):
    return render(request, "metrics/error.html", {"nav": "metrics", "message": message}, status=400)


@staff_required
@require_GET
def dashboard(request):
    """Show the KPI cards, trend and breakdown of a period; ``?format=csv`` exports the table."""
    _require_manager(request.user)
    try:
        choice = parse_choice(request.GET)
        result = report(choice.period, by=choice.by or None, user=request.user)
    except (DashboardError, MetricsError) as error:
        return _bad_request(request, str(error))
    rows = _rows(result)
    if request.GET.get("format") == "csv":
        return _csv(choice, rows)
    cards = [_card(key, result.total.figures[key]) for key in CARDS if key in result.total.figures]
    breakdown = {
        "labels": [row["label"] for row in rows if not row["is_total"]],
        "values": [
            _number(cell["figure"])
            for row in rows
            if not row["is_total"]
            for cell in row["cells"]
            if cell["key"] == choice.chart
        ],
        "label": str(KPIS[choice.chart]),
    }
    series = trend(request.user, choice)
    context = {
        "nav": "metrics",
        "choice": choice,
        "result": result,
        "cards": cards,
        "rows": rows,
        "columns": [(key, KPIS[key]) for key in CARDS],
        "periods": PERIODS,
        "by_labels": BY_LABELS,
        "chart_kpis": [(key, KPIS[key]) for key in CHART_KPIS],
        "trend": series,
        "trend_rows": list(zip(series["labels"], series["volume"], series["csat"], strict=True)),
        "by_label": BY_LABELS[choice.by],
        "breakdown": breakdown,
        "chart_text": {
            "volume": _("Inquiry volume"),
            "csat": _("CSAT %"),
            "noData": _("no data"),
        },
    }
    return render(request, "metrics/dashboard.html", context)


def _number(figure) -> float | None:
    """Return a figure's value as the export and charts carry it (two decimals, None kept)."""
    if figure is None or figure.value is None:
        return None
    return round(float(figure.value), 2)


def _csv(choice: Choice, rows: list[dict]) -> HttpResponse:
    """Return the breakdown table as CSV: one row per slice, one column per KPI."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"kpis-{choice.first.isoformat()}-{choice.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([str(BY_LABELS[choice.by]) if choice.by else _("Slice"), *CARDS])
    for row in rows:
        values = [_number(cell["figure"]) for cell in row["cells"]]
        writer.writerow([_safe(row["label"]), *("" if v is None else v for v in values)])
    return response


def _safe(text: str) -> str:
    """Return ``text`` so a spreadsheet will not run it as a formula (a team named "=cmd")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required
@require_GET
def drill(request):
    """List the records behind one number of the dashboard."""
    _require_manager(request.user)
    try:
        data = signing.loads(request.GET.get("d", ""), salt=DRILL_SALT)
        description = data["drill"]
        records = drill_records(request.user, description, numerator=bool(data.get("numerator")))
    except (signing.BadSignature, KeyError, TypeError, AttributeError):
        return _bad_request(request, _("This drill-down link is invalid or was altered."))
    except (MetricsError, PeriodError) as error:
        return _bad_request(request, str(error))
    source = description.get("source")
    if source == "conversations":
        records = records.select_related("customer").order_by("-created_at", "-pk")
    elif source == "responses":
        records = records.select_related("customer", "conversation").order_by("-answered_at")
    elif source == "orders":
        records = records.select_related("customer").order_by("-ordered_at", "-pk")
    else:
        records = records.order_by("family_name", "given_name", "pk")
    paginator = Paginator(records, DRILL_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "nav": "metrics",
        "source": source,
        "page": page,
        "start": parse_datetime(description.get("start") or ""),
        "end": parse_datetime(description.get("end") or ""),
        "filters": description.get("filters") or {},
    }
    return render(request, "metrics/drill.html", context)
