"""The weekly KPI report email to managers: last week's key figures against the week before.

``send_weekly_reports()`` is what the Monday task and ``rapport metrics_weekly`` call. Each
recipient's email is claimed in ``WeeklyReport`` before it is sent and marked once sent, so a
re-run, a retry or a second worker never sends the same week twice; a send that failed is
released and tried again by the next run.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, QuerySet
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rapport.accounts.models import Role, User
from rapport.metrics.figures import UNITS, Figure
from rapport.metrics.models import WeeklyReport
from rapport.metrics.periods import Period
from rapport.metrics.queries import KPIS, report
from rapport.metrics.views import DEFAULT_PLACES, PLACES, beyond_noise

logger = logging.getLogger(__name__)

# The figures the email lists, in order.
KEY_KPIS = (
    "csat",
    "nps",
    "ces",
    "inquiry_volume",
    "first_contact_resolution",
    "first_response_time_calendar_median",
    "resolution_time_calendar_median",
    "sla_attainment",
    "backlog",
)
TOP_CHANGES = 3
# A claim older than this whose email was never marked sent is taken to have died with its
# worker, and is taken over.
CLAIM_TIMEOUT = timedelta(minutes=30)


@dataclass
class Line:
    """One figure of the email, formatted in the recipient's language."""

    key: str
    name: str
    value: str
    previous: str
    change: str
    unit: str
    n: int
    noise: str
    relative: float | None


def last_week(now: datetime | None = None) -> tuple[date, date]:
    """Return the Monday and Sunday of the last whole week before ``now`` (site time zone)."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def recipients() -> QuerySet[User]:
    """Return the active managers and administrators with an email address."""
    return (
        User.objects.filter(is_active=True, role__in=(Role.MANAGER, Role.ADMIN))
        .exclude(email="")
        .order_by("pk")
    )


def due_recipients(week_start: date) -> list[User]:
    """Return the recipients whose report of the week starting ``week_start`` is not yet sent."""
    sent = WeeklyReport.objects.filter(week_start=week_start, sent_at__isnull=False)
    return list(recipients().exclude(pk__in=sent.values("recipient")))


def _format(value, places: str) -> str:
    return "–" if value is None else floatformat(value, places)


def _lines(figures: dict[str, Figure]) -> list[Line]:
    lines = []
    for key in KEY_KPIS:
        figure = figures.get(key)
        if figure is None:
            continue
        places = PLACES.get(key, DEFAULT_PLACES)
        change = ""
        if figure.change is not None:
            change = ("+" if figure.change > 0 else "") + floatformat(figure.change, places)
        verdict = beyond_noise(key, figure)
        noise = ""
        if verdict is not None:
            noise = _("beyond noise") if verdict else _("within noise")
        relative = None
        if figure.change and figure.previous:
            relative = abs(figure.change) / abs(figure.previous)
        lines.append(
            Line(
                key=key,
                name=str(KPIS[key]),
                value=_format(figure.value, places),
                previous=_format(figure.previous, places),
                change=change,
                unit=str(UNITS.get(figure.unit, figure.unit)),
                n=figure.n,
                noise=noise,
                relative=relative,
            )
        )
    return lines


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def build_message(
    *,
    user: User | None,
    first: date,
    last: date,
    to: str | None = None,
    now: datetime | None = None,
) -> EmailMultiAlternatives:
    """Return the weekly report of ``first``..``last`` as ``user`` may see it, in their language.

    ``user`` None (a preview sent with ``--to`` to somebody who is no manager) counts
    everything, as the ``metrics`` command does, in the site's language.
    """
    now = now or timezone.now()
    period = Period.from_dates(first, last)
    result = report(period, user=user, now=now)
    language = (user.language if user else "") or settings.LANGUAGE_CODE
    query = urlencode({"period": "custom", "from": first.isoformat(), "to": last.isoformat()})
    with translation.override(language):
        lines = _lines(result.total.figures)
        changes = sorted(
            (line for line in lines if line.relative is not None),
            key=lambda line: line.relative,
            reverse=True,
        )[:TOP_CHANGES]
        context = {
            "user": user,
            "first": date_format(first, "SHORT_DATE_FORMAT"),
            "last": date_format(last, "SHORT_DATE_FORMAT"),
            "previous_first": date_format(first - timedelta(days=7), "SHORT_DATE_FORMAT"),
            "previous_last": date_format(last - timedelta(days=7), "SHORT_DATE_FORMAT"),
            "lines": lines,
            "noise_lines": [line for line in lines if line.noise],
            "changes": changes,
            "service": [line for line in lines if line.key in ("backlog", "sla_attainment")],
            "dashboard_url": _absolute(reverse("metrics:dashboard")) + "?" + query,
            "by_agent_url": _absolute(reverse("metrics:dashboard")) + "?" + query + "&by=agent",
            "by_team_url": _absolute(reverse("metrics:dashboard")) + "?" + query + "&by=team",
        }
        subject = _("Weekly KPI report: %(first)s to %(last)s") % {
            "first": context["first"],
            "last": context["last"],
        }
        text = render_to_string("metrics/email/weekly.txt", context)
        html = render_to_string("metrics/email/weekly.html", context)
    message = EmailMultiAlternatives(subject, text, None, [to or user.email])
    message.attach_alternative(html, "text/html")
    return message


def _claim(week_start: date, user: User) -> WeeklyReport | None:
    """Return the claimed record of ``user``'s report, or None if it is sent or being sent."""
    row, _created = WeeklyReport.objects.get_or_create(week_start=week_start, recipient=user)
    stale = timezone.now() - CLAIM_TIMEOUT
    claimed = (
        WeeklyReport.objects.filter(pk=row.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=timezone.now())
    )
    return row if claimed else None


def send_weekly_reports(*, now: datetime | None = None) -> int:
    """Email last week's report to each manager and administrator not yet sent it; return how many.

    Idempotent per week and recipient. A recipient whose email fails is logged and left for
    the next run; the others are still sent.
    """
    now = now or timezone.now()
    first, last = last_week(now)
    sent = 0
    for user in due_recipients(first):
        row = _claim(first, user)
        if row is None:
            continue
        try:
            build_message(user=user, first=first, last=last, now=now).send()
        except Exception:
            # One broken address or a mail server hiccup must not stop the other reports;
            # releasing the claim lets the next run try again.
            logger.exception("Weekly KPI report to user %s failed", user.pk)
            WeeklyReport.objects.filter(pk=row.pk).update(claimed_at=None)
            continue
        WeeklyReport.objects.filter(pk=row.pk).update(sent_at=timezone.now(), email=user.email)
        sent += 1
    return sent
