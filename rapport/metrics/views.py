"""The KPI dashboards (the manager's and each agent's own), their CSV exports and the drill-down.

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
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from rapport.accounts.access import staff_required
from rapport.accounts.models import HELPDESK_ROLES, Role, Team, User
from rapport.customers.models import Tag
from rapport.helpdesk.models import OPEN, Channel
from rapport.helpdesk.queries import visible_conversations
from rapport.metrics import trends
from rapport.metrics.figures import DIMENSIONS, UNITS, Figure
from rapport.metrics.periods import Period, PeriodError
from rapport.metrics.queries import (
    KPIS,
    MetricsError,
    drill_records,
    latest_answers,
    report,
    score_counts,
)

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
# The agent's own figures, in order; "solved" is the number of conversations they solved.
MINE = (
    "csat",
    "first_contact_resolution",
    "first_response_time_calendar_median",
    "first_response_time_calendar_mean",
    "resolution_time_calendar_median",
    "resolution_time_calendar_mean",
    "handling_time_median",
    "handling_time_mean",
    "solved",
    "backlog",
    "sla_attainment",
)
SOLVED_NAME = gettext_lazy("Conversations solved")
# KPIs with a 95% interval, for which the page says whether the change is beyond noise.
WITH_INTERVAL = ("csat", "nps")
# Decimal places per KPI when shown (``floatformat``; "g" groups thousands as the locale does).
PLACES = {"ces": "2g", "inquiry_volume": "0g", "backlog": "0g", "solved": "0g"}
DEFAULT_PLACES = "1g"
# The scores each survey's distribution chart has a bar for.
SCORES = {"csat": range(1, 6), "nps": range(0, 11)}
# CSAT answers at or below this score are listed on the agent's page with their comments.
LOW_CSAT = 2
LOW_ANSWERS_SHOWN = 10

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
MANAGERS = (Role.MANAGER, Role.ADMIN)


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
    segment: str = ""

    @property
    def filters(self) -> dict | None:
        """Return the engine filters the choice asks for (a segment), or None."""
        return {"segment": self.segment} if self.segment else None


def _require_manager(user) -> None:
    """Refuse everyone but managers and administrators."""
    if user.role not in MANAGERS:
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
    segment = (params.get("segment") or "").strip()
    if segment and not Tag.objects.filter(name=segment).exists():
        raise DashboardError(_("“%(value)s” is not a customer tag.") % {"value": segment})
    return Choice(key, Period.from_dates(first, last), first, last, by, chart, segment)


def drill_token(drill: dict, numerator: bool = False) -> str:
    """Return a signed token of a figure's drill-down, so the link cannot be tampered with."""
    return signing.dumps({"drill": drill, "numerator": numerator}, salt=DRILL_SALT, compress=True)


def beyond_noise(key: str, figure) -> bool | None:
    """Return whether the change lies beyond the 95% interval (None: no interval or no before)."""
    if (
        key not in WITH_INTERVAL
        or figure.previous is None
        or figure.ci_low is None
        or figure.ci_high is None
    ):
        return None
    return not (figure.ci_low <= figure.previous <= figure.ci_high)


def _card(key: str, figure) -> dict:
    """Return what one card shows: the figure, its name, unit and noise verdict."""
    return {
        "key": key,
        "name": SOLVED_NAME if key == "solved" else KPIS[key],
        "figure": figure,
        "unit": UNITS.get(figure.unit, figure.unit),
        "places": PLACES.get(key, DEFAULT_PLACES),
        "with_interval": key in WITH_INTERVAL,
        "beyond_noise": beyond_noise(key, figure),
        "token": drill_token(figure.drill) if figure.drill else "",
    }


def _day_label(day: date) -> str:
    """Return a day as the reader's locale writes it short (22.11.2026, 11/22/2026)."""
    return date_format(day, "SHORT_DATE_FORMAT")


def trend(user, choice: Choice, filters: dict | None = None) -> dict:
    """Return the trend series of the chosen period: ISO ``dates`` and localised ``labels``."""
    series = trends.trend(user, choice.first, choice.last, filters=filters)
    days = series["labels"]
    return {
        **series,
        "dates": [day.isoformat() for day in days],
        "labels": [_day_label(day) for day in days],
    }


def distribution(user, figure, kind: str) -> dict:
    """Return how many of the answers ``figure`` counted gave each score.

    Counted by the engine from the figure's own drill-down, so the bars add up to the card's
    ``n``.
    """
    counts = dict.fromkeys(SCORES[kind], 0)
    if figure is not None and figure.drill:
        for score, count in score_counts(user, figure.drill).items():
            if score in counts:
                counts[score] = count
    return {"labels": [str(score) for score in counts], "counts": list(counts.values())}


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


def _bad_request(request, message: str, status: int = 400):
    return render(
        request, "metrics/error.html", {"nav": "metrics", "message": message}, status=status
    )


def _chart_text() -> dict:
    return {
        "volume": _("Inquiry volume"),
        "solved": str(SOLVED_NAME),
        "csat": _("CSAT %"),
        "answers": _("Answers"),
        "score": _("Score"),
        "noData": _("no data"),
    }


@staff_required
@require_GET
def dashboard(request):
    """Show the KPI cards, trend and breakdown of a period; ``?format=csv`` exports a table."""
    _require_manager(request.user)
    try:
        choice = parse_choice(request.GET)
        result = report(
            choice.period, by=choice.by or None, filters=choice.filters, user=request.user
        )
    except (DashboardError, MetricsError) as error:
        return _bad_request(request, str(error))
    rows = _rows(result)
    table = request.GET.get("table") or "breakdown"
    if request.GET.get("format") == "csv" and table == "breakdown":
        return _breakdown_csv(choice, rows)
    figures = result.total.figures
    distributions = {kind: distribution(request.user, figures.get(kind), kind) for kind in SCORES}
    series = trend(request.user, choice, filters=choice.filters)
    if request.GET.get("format") == "csv":
        if table == "trend":
            return _trend_csv("kpi-trend", choice, series, ("volume", "csat"))
        if table == "distribution":
            return _distribution_csv("kpi-scores", choice, distributions)
        return _bad_request(
            request, _("“%(value)s” is not a table of this page.") % {"value": table}
        )
    cards = [_card(key, figures[key]) for key in CARDS if key in figures]
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
    context = {
        "nav": "metrics",
        "choice": choice,
        "result": result,
        "cards": cards,
        "rows": rows,
        "columns": [(key, KPIS[key]) for key in CARDS],
        "periods": PERIODS,
        "by_labels": BY_LABELS,
        "segments": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
        "chart_kpis": [(key, KPIS[key]) for key in CHART_KPIS],
        "trend": series,
        "trend_rows": list(
            zip(series["dates"], series["labels"], series["volume"], series["csat"], strict=True)
        ),
        "by_label": BY_LABELS[choice.by],
        "breakdown": breakdown,
        "distributions": distributions,
        "distribution_rows": _distribution_rows(distributions),
        "chart_text": _chart_text(),
    }
    return render(request, "metrics/dashboard.html", context)


def _distribution_rows(distributions: dict) -> list[dict]:
    """Return the distribution tables: per survey, each score with its count."""
    names = {"csat": _("CSAT"), "nps": _("NPS")}
    return [
        {
            "key": kind,
            "name": names[kind],
            "scores": list(zip(data["labels"], data["counts"], strict=True)),
            "total": sum(data["counts"]),
        }
        for kind, data in distributions.items()
    ]


# --- The agent's own dashboard ---------------------------------------------------------------


def _agent_asked(request) -> User:
    """Return whose figures the page shows: the reader, or ``?agent=`` for a manager.

    Raise DashboardError for a malformed id, PermissionDenied when an agent asks for somebody
    else, and User.DoesNotExist for an id that is no agent.
    """
    raw = request.GET.get("agent", "").strip()
    if not raw:
        return request.user
    try:
        pk = int(raw)
    except ValueError:
        raise DashboardError(_("“%(value)s” is not a valid agent.") % {"value": raw}) from None
    if pk == request.user.pk:
        return request.user
    if request.user.role not in MANAGERS:
        raise PermissionDenied
    return User.objects.get(pk=pk, is_active=True, role__in=HELPDESK_ROLES)


def _solved_figure(fcr: Figure | None) -> Figure | None:
    """Return the number solved, which the engine counts as first contact resolution's base."""
    if fcr is None:
        return None
    previous = fcr.previous_n
    return Figure(
        "solved",
        fcr.n,
        "count",
        fcr.n,
        previous=previous,
        previous_n=previous,
        change=None if previous is None else fcr.n - previous,
        drill={**fcr.drill, "numerator": ""} if fcr.drill else {},
    )


def _figures_of(result) -> dict:
    """Return the total figures of a report with the synthesised "solved" count."""
    figures = dict(result.total.figures)
    solved = _solved_figure(figures.get("first_contact_resolution"))
    if solved is not None:
        figures["solved"] = solved
    return figures


@staff_required
@require_GET
def mine(request):
    """Show one agent's own figures next to their team's; ``?format=csv`` exports a table."""
    try:
        agent = _agent_asked(request)
        choice = parse_choice(request.GET)
        filters = {"agent": agent.pk}
        result = report(choice.period, filters=filters, user=request.user)
    except (DashboardError, MetricsError) as error:
        return _bad_request(request, str(error))
    except User.DoesNotExist:
        return _bad_request(request, _("There is no such agent."), status=404)
    team = agent.teams.order_by("name").first()
    context_result = report(
        choice.period, filters={"team": team.pk} if team else None, user=request.user
    )
    figures, context_figures = _figures_of(result), _figures_of(context_result)
    context_name = team.name if team else _("Everyone")
    kpi_rows = [
        {
            **_card(key, figures[key]),
            "context": context_figures.get(key),
        }
        for key in MINE
        if key in figures
    ]
    series = trend(request.user, choice, filters=filters)
    distributions = {"csat": distribution(request.user, figures.get("csat"), "csat")}
    low = _low_answers(request.user, figures.get("csat"))
    table = request.GET.get("table") or "kpis"
    name = f"my-kpis-{agent.pk}"
    if request.GET.get("format") == "csv":
        if table == "kpis":
            return _mine_csv(name, choice, kpi_rows, context_name)
        if table == "trend":
            return _trend_csv(name + "-trend", choice, series, ("solved", "csat"))
        if table == "distribution":
            return _distribution_csv(name + "-scores", choice, distributions)
        if table == "low_scores":
            return _low_csv(name + "-low-scores", choice, low)
        return _bad_request(
            request, _("“%(value)s” is not a table of this page.") % {"value": table}
        )
    open_now = (
        visible_conversations(request.user)
        .filter(OPEN, assignee=agent, merged_into__isnull=True)
        .count()
    )
    context = {
        "nav": "my_metrics",
        "agent": agent,
        "is_self": agent.pk == request.user.pk,
        "agents": _agents_for(request.user),
        "choice": choice,
        "result": result,
        "kpi_rows": kpi_rows,
        "context_name": context_name,
        "open_now": open_now,
        "periods": PERIODS,
        "trend": series,
        "trend_rows": list(
            zip(
                series["dates"],
                series["labels"],
                series["solved"],
                series["csat"],
                strict=True,
            )
        ),
        "distributions": distributions,
        "distribution_rows": _distribution_rows(distributions),
        "low_answers": low,
        "low_score": LOW_CSAT,
        "chart_text": _chart_text(),
    }
    return render(request, "metrics/mine.html", context)


def _agents_for(user) -> list[User]:
    """Return the people whose figures ``user`` may choose (managers only; others: none)."""
    if user.role not in MANAGERS:
        return []
    return list(
        User.objects.filter(is_active=True, role__in=HELPDESK_ROLES).order_by(
            "first_name", "last_name", "username"
        )
    )


def _low_answers(user, figure: Figure | None) -> list:
    """Return the latest low CSAT answers among those ``figure`` counted, with conversations."""
    if figure is None or not figure.drill:
        return []
    return list(latest_answers(user, figure.drill, max_score=LOW_CSAT, limit=LOW_ANSWERS_SHOWN))


# --- CSV exports -----------------------------------------------------------------------------


def _number(figure) -> float | None:
    """Return a figure's value as the export and charts carry it (two decimals, None kept)."""
    if figure is None or figure.value is None:
        return None
    return round(float(figure.value), 2)


def _rounded(value) -> int | float | str:
    """Return a cell of an export: counts as they are, other numbers to two decimals."""
    if value is None:
        return ""
    return value if isinstance(value, int) else round(float(value), 2)


def _csv_response(name: str, choice: Choice) -> tuple[HttpResponse, "csv._writer"]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{name}-{choice.first.isoformat()}-{choice.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


def _breakdown_csv(choice: Choice, rows: list[dict]) -> HttpResponse:
    """Return the breakdown table as CSV: one row per slice, one column per KPI."""
    response, writer = _csv_response("kpis", choice)
    writer.writerow([str(BY_LABELS[choice.by]) if choice.by else _("Slice"), *CARDS])
    for row in rows:
        values = [_number(cell["figure"]) for cell in row["cells"]]
        writer.writerow([_safe(row["label"]), *("" if v is None else v for v in values)])
    return response


def _trend_csv(name: str, choice: Choice, series: dict, columns: tuple[str, ...]) -> HttpResponse:
    """Return the trend table as CSV: one row per day or week, ISO dates."""
    response, writer = _csv_response(name, choice)
    writer.writerow(["date", *columns])
    for index, day in enumerate(series["dates"]):
        writer.writerow([day, *(_rounded(series[key][index]) for key in columns)])
    return response


def _distribution_csv(name: str, choice: Choice, distributions: dict) -> HttpResponse:
    """Return the score distributions as CSV: survey, score, answers."""
    response, writer = _csv_response(name, choice)
    writer.writerow(["survey", "score", "answers"])
    for kind, data in distributions.items():
        for score, count in zip(data["labels"], data["counts"], strict=True):
            writer.writerow([kind, score, count])
    return response


def _mine_csv(name: str, choice: Choice, kpi_rows: list[dict], context_name: str) -> HttpResponse:
    """Return the agent's figures as CSV: value, previous, change and the team's value."""
    response, writer = _csv_response(name, choice)
    writer.writerow(["kpi", "value", "n", "previous", "change", _safe(f"context: {context_name}")])
    for row in kpi_rows:
        figure, context = row["figure"], row["context"]
        writer.writerow(
            [
                row["key"],
                _rounded(figure.value),
                figure.n,
                _rounded(figure.previous),
                _rounded(figure.change),
                _rounded(None if context is None else context.value),
            ]
        )
    return response


def _low_csv(name: str, choice: Choice, answers: list) -> HttpResponse:
    """Return the low answers as CSV: when, score, comment, conversation."""
    response, writer = _csv_response(name, choice)
    writer.writerow(["answered_at", "score", "comment", "conversation"])
    for answer in answers:
        writer.writerow(
            [
                answer.answered_at.isoformat(),
                answer.score,
                _safe(answer.comment or ""),
                answer.conversation_id or "",
            ]
        )
    return response


def _safe(text: str) -> str:
    """Return ``text`` so a spreadsheet will not run it as a formula (a team named "=cmd")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- Drill-down ------------------------------------------------------------------------------


def _may_drill(user, description: dict) -> bool:
    """Return whether ``user`` may open a drill-down: managers any, others only their own.

    An agent's own drill-down is one whose records are narrowed to conversations assigned to
    them; the link is signed, so its filters cannot be widened after the page made it.
    """
    if user.role in MANAGERS:
        return True
    filters = description.get("filters") if isinstance(description, dict) else None
    return isinstance(filters, dict) and filters.get("agent") == user.pk


def _filter_summary(filters: dict) -> list[tuple[str, str]]:
    """Return each filter of a drill-down as a readable (dimension, value) pair."""
    teams = Team.objects.filter(pk__in=[filters["team"]] if filters.get("team") else [])
    agents = User.objects.filter(pk__in=[filters["agent"]] if filters.get("agent") else [])
    names = {
        "team": {team.pk: team.name for team in teams},
        "agent": {user.pk: user.get_full_name() or user.username for user in agents},
        "channel": {value: str(label) for value, label in Channel.choices},
    }
    summary = []
    for dimension, value in filters.items():
        if value is None or value == "":
            shown = _("none")
        else:
            shown = names.get(dimension, {}).get(value, str(value))
        summary.append((str(BY_LABELS.get(dimension, dimension)), shown))
    return summary


@staff_required
@require_GET
def drill(request):
    """List the records behind one number of a dashboard."""
    try:
        data = signing.loads(request.GET.get("d", ""), salt=DRILL_SALT)
        description = data["drill"]
        if not _may_drill(request.user, description):
            raise PermissionDenied
        records = drill_records(request.user, description, numerator=bool(data.get("numerator")))
    except (signing.BadSignature, KeyError, TypeError, AttributeError):
        if request.user.role not in MANAGERS:
            raise PermissionDenied from None
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
        "nav": "metrics" if request.user.role in MANAGERS else "my_metrics",
        "source": source,
        "page": page,
        "start": parse_datetime(description.get("start") or ""),
        "end": parse_datetime(description.get("end") or ""),
        "filters": _filter_summary(description.get("filters") or {}),
        "back": "metrics:dashboard" if request.user.role in MANAGERS else "metrics:mine",
    }
    return render(request, "metrics/drill.html", context)
