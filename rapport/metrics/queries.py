"""The KPI report that dashboards and the ``metrics`` command share, and its drill-downs.

``report()`` computes every KPI of a period (optionally sliced and filtered) next to the
previous period of equal length; each figure's ``drill`` describes the records it counted,
and ``drill_records()`` turns that description back into a queryset, scoped by who asks.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import Role, Team, User
from rapport.commerce.models import Order
from rapport.customers.models import Customer
from rapport.customers.queries import visible_customers
from rapport.feedback.models import SurveyResponse
from rapport.helpdesk.models import Channel, Conversation
from rapport.helpdesk.queries import visible_conversations
from rapport.metrics import columnar, packs, service, surveys
from rapport.metrics import customers as customer_kpis
from rapport.metrics.figures import DIMENSIONS, FILTERS, PATHS, Figure
from rapport.metrics.periods import Period, PeriodError

# Every KPI in the order pages and the command show them, with its name.
KPIS: dict[str, Any] = {
    "csat": gettext_lazy("Customer satisfaction (CSAT)"),
    "nps": gettext_lazy("Net promoter score (NPS)"),
    "ces": gettext_lazy("Customer effort score (CES)"),
    "inquiry_volume": gettext_lazy("Inquiry volume"),
    "backlog": gettext_lazy("Backlog at the end of the period"),
    "first_contact_resolution": gettext_lazy("First contact resolution"),
    "sla_attainment": gettext_lazy("SLA attainment"),
    "first_response_time_calendar_mean": gettext_lazy("First response time, calendar, mean"),
    "first_response_time_calendar_median": gettext_lazy("First response time, calendar, median"),
    "first_response_time_business_mean": gettext_lazy("First response time, business, mean"),
    "first_response_time_business_median": gettext_lazy("First response time, business, median"),
    "resolution_time_calendar_mean": gettext_lazy("Resolution time, calendar, mean"),
    "resolution_time_calendar_median": gettext_lazy("Resolution time, calendar, median"),
    "resolution_time_business_mean": gettext_lazy("Resolution time, business, mean"),
    "resolution_time_business_median": gettext_lazy("Resolution time, business, median"),
    "handling_time_mean": gettext_lazy("Handling time, mean"),
    "handling_time_median": gettext_lazy("Handling time, median"),
    "customers_at_start": gettext_lazy("Customers at the start"),
    "customers_at_end": gettext_lazy("Customers at the end"),
    "new_customers": gettext_lazy("New customers"),
    "lost_customers": gettext_lazy("Lost customers"),
    "retention_rate": gettext_lazy("Customer retention rate"),
    "churn_rate": gettext_lazy("Churn rate"),
    "average_purchase_value": gettext_lazy("Average purchase value"),
    "purchase_frequency": gettext_lazy("Purchase frequency"),
    "repeat_purchase_rate": gettext_lazy("Repeat purchase rate"),
    "average_customer_lifespan": gettext_lazy("Average customer lifespan"),
    "customer_lifetime_value": gettext_lazy("Customer lifetime value (CLTV)"),
}
# Dimensions whose values are row ids (the rest are codes such as "email" or "de").
ID_DIMENSIONS = ("team", "agent")


class MetricsError(ValueError):
    """A report or drill-down asked for something that does not exist (bad slice, bad set)."""


@dataclass
class Group:
    """The figures of one slice: ``value`` None and no ``dimension`` for the whole period."""

    value: Any
    label: str
    figures: dict[str, Figure]
    is_total: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "figures": {key: figure.as_dict() for key, figure in self.figures.items()},
        }


@dataclass
class Report:
    period: Period
    previous: Period
    by: str | None
    filters: dict[str, Any]
    total: Group
    groups: list[Group] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.as_dict(),
            "previous_period": self.previous.as_dict(),
            "by": self.by,
            "filters": self.filters,
            "total": self.total.as_dict(),
            "groups": [group.as_dict() for group in self.groups],
        }


@dataclass
class Scope:
    """The records one reader may count: conversations, answers, customers and orders."""

    conversations: QuerySet[Conversation]
    responses: QuerySet[SurveyResponse]
    customers: QuerySet[Customer]
    orders: QuerySet[Order]

    @classmethod
    def of(cls, user: User | None) -> "Scope":
        """Return what ``user`` may count; None (the command line) counts everything."""
        if user is None:
            return cls(
                Conversation.objects.all(),
                SurveyResponse.objects.all(),
                Customer.objects.all(),
                Order.objects.all(),
            )
        if not getattr(user, "is_staff_member", False):
            return cls(
                Conversation.objects.none(),
                SurveyResponse.objects.none(),
                Customer.objects.none(),
                Order.objects.none(),
            )
        conversations = visible_conversations(user)
        customers = visible_customers(user)
        return cls(
            conversations,
            SurveyResponse.objects.filter(customer__in=customers).filter(
                Q(conversation__isnull=True) | Q(conversation__in=conversations)
            ),
            customers,
            Order.objects.filter(customer__in=customers),
        )

    def within(self, customers: QuerySet[Customer]) -> "Scope":
        """Return this scope narrowed to ``customers`` (a customer segment)."""
        ids = customers.values("pk")
        return Scope(
            self.conversations.filter(customer__in=ids),
            self.responses.filter(customer__in=ids),
            self.customers.filter(pk__in=ids),
            self.orders.filter(customer__in=ids),
        )


def report(
    period: Period,
    *,
    by: str | None = None,
    filters: Mapping[str, Any] | None = None,
    user: User | None = None,
    now: datetime | None = None,
    segment: QuerySet[Customer] | None = None,
) -> Report:
    """Return every KPI of ``period`` and the previous period, whole and sliced ``by``.

    ``filters`` narrows every source to one value per dimension (``{"channel": "email"}``);
    KPIs whose records cannot be reached through a requested dimension are left out of the
    report rather than shown unfiltered. ``segment`` (a queryset of customers) narrows every
    source to those customers: the hook for customer segments.
    """
    filters = clean_filters(filters)
    if by is not None and by not in DIMENSIONS:
        raise MetricsError(_("Unknown dimension “%(by)s”.") % {"by": by})
    now = now or timezone.now()
    scope = Scope.of(user)
    facts = None
    if segment is not None:
        scope = scope.within(segment)
    elif counts_from_packs(user, filters) and columnar.days(period):
        facts = packs.load()
    previous = period.previous()
    current = _compute(scope, period, by, filters, now, facts)
    before = _compute(scope, previous, by, filters, now, facts)
    for value, figures in current.items():
        for key, figure in figures.items():
            figure.compare(before.get(value, {}).get(key))
    ordered = {value: _ordered(figures) for value, figures in current.items()}
    total = Group(None, _("All"), ordered.pop("__total__", {}), is_total=True)
    labels = _labels(by, list(ordered))
    groups = [Group(value, labels.get(value, str(value)), figs) for value, figs in ordered.items()]
    groups.sort(key=lambda group: (group.value is None, group.label.casefold()))
    return Report(period, previous, by, filters, total, groups)


def sees_everything(user: User | None) -> bool:
    """Return whether ``user`` may count every record (the command line, managers, admins).

    Only such readers are served from the fact packs, which hold every record.
    """
    if user is None:
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff_member", False)
        and user.role in (Role.ADMIN, Role.MANAGER)
    )


def counts_from_packs(user: User | None, filters: Mapping[str, Any]) -> bool:
    """Return whether ``user``'s figures sliced by ``filters`` may be counted from the packs.

    The packs hold every record, so only where the reader's scope removes nothing the
    filters keep: everyone for managers and the command line; for an agent, their own
    conversations (``agent`` is them) or those of one of their teams, which an agent always
    sees (``helpdesk.queries.visible_conversations``), and the answers on those.
    """
    if sees_everything(user):
        return True
    if not (user and user.is_active and getattr(user, "is_staff_member", False)):
        return False
    if user.role != Role.AGENT:
        return False
    if filters.get("agent") is not None and filters.get("agent") == user.pk:
        return True
    team = filters.get("team")
    return team is not None and user.teams.filter(pk=team).exists()


def clean_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return ``filters`` checked: known dimensions, ids as integers."""
    cleaned: dict[str, Any] = {}
    for dimension, value in (filters or {}).items():
        if dimension not in FILTERS:
            raise MetricsError(_("Unknown dimension “%(by)s”.") % {"by": dimension})
        if dimension == "segment" and not (isinstance(value, str) and value.strip()):
            raise MetricsError(_("Name the customer tag that makes the segment."))
        if dimension in ID_DIMENSIONS and value is not None:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise MetricsError(
                    _("“%(value)s” is not a valid %(dimension)s.")
                    % {"value": value, "dimension": dimension}
                ) from None
        cleaned[dimension] = value
    return cleaned


def _narrow(qs: QuerySet, source: str, filters: Mapping[str, Any]) -> QuerySet | None:
    """Return ``qs`` filtered by ``filters``, or None when a dimension cannot reach ``source``."""
    paths = PATHS[source]
    for dimension, value in filters.items():
        if dimension not in paths:
            return None
        path = paths[dimension]
        if value is None:
            qs = qs.filter(**{f"{path}__isnull": True})
        elif value == "" and dimension not in ID_DIMENSIONS:
            qs = qs.filter(Q(**{path: ""}) | Q(**{f"{path}__isnull": True}))
        else:
            qs = qs.filter(**{path: value})
    return qs


def _compute(
    scope: Scope, period: Period, by, filters, now, facts: "packs.Facts | None" = None
) -> dict[Any, dict[str, Figure]]:
    """Return the figures of ``period``: the whole under "__total__", then one per slice.

    With ``facts`` (everything, whole days) the figures are counted from the fact packs;
    otherwise from the tables. Both count the same sets (``tests/test_packs.py``).
    """
    drill = {**period.as_dict(), "as_of": now.isoformat(), "filters": dict(filters)}
    found: dict[Any, dict[str, Figure]] = {}

    def add(results: dict[Any, dict[str, Figure]], grouped: bool) -> None:
        for value, figures in results.items():
            target = found.setdefault(value if grouped else "__total__", {})
            for figure in figures.values():
                if grouped:
                    figure.drill = {**figure.drill, "filters": {**filters, by: value}}
                target[figure.key] = figure

    for grouped in (False, True) if by else (False,):
        conversations = _narrow(scope.conversations, "conversations", filters)
        if conversations is not None and (not grouped or by in PATHS["conversations"]):
            if facts is not None:
                add(
                    columnar.service_figures(
                        facts.conversations,
                        period,
                        group=by if grouped else None,
                        filters=filters,
                        now=now,
                        drill=drill,
                    ),
                    grouped,
                )
            else:
                group = (
                    PATHS["conversations"][by] + "_id" * (by in ID_DIMENSIONS) if grouped else None
                )
                add(
                    service.compute(conversations, period, group=group, now=now, drill=drill),
                    grouped,
                )
        responses = _narrow(scope.responses, "responses", filters)
        if responses is not None and (not grouped or by in PATHS["responses"]):
            if facts is not None:
                add(
                    columnar.survey_figures(
                        facts.responses,
                        period,
                        group=by if grouped else None,
                        filters=filters,
                        drill=drill,
                    ),
                    grouped,
                )
            else:
                group = PATHS["responses"][by] + "_id" * (by in ID_DIMENSIONS) if grouped else None
                add(surveys.compute(responses, period, group=group, drill=drill), grouped)
        customers = _narrow(scope.customers, "customers", filters)
        if customers is not None and (not grouped or by in PATHS["customers"]):
            orders = _narrow(scope.orders, "orders", filters)
            if facts is not None:
                add(
                    columnar.customer_figures(
                        facts.customers,
                        period,
                        group=by if grouped else None,
                        filters=filters,
                        with_orders=orders is not None,
                        drill=drill,
                    ),
                    grouped,
                )
            else:
                add(
                    customer_kpis.compute(
                        customers,
                        orders,
                        period,
                        group=PATHS["customers"][by] if grouped else None,
                        order_group=PATHS["orders"][by] if grouped else None,
                        drill=drill,
                    ),
                    grouped,
                )
    return found


def _ordered(figures: dict[str, Figure]) -> dict[str, Figure]:
    return {key: figures[key] for key in KPIS if key in figures}


def _labels(by: str | None, values: list[Any]) -> dict[Any, str]:
    """Return a readable name for each slice value (one query for teams or agents)."""
    labels: dict[Any, str] = {None: _("none"), "": _("none")}
    if by == "channel":
        labels.update({value: str(label) for value, label in Channel.choices})
    elif by == "team":
        labels.update(Team.objects.filter(pk__in=values).values_list("pk", "name"))
    elif by == "agent":
        for user in User.objects.filter(pk__in=[v for v in values if v is not None]):
            labels[user.pk] = user.get_full_name() or user.username
    return labels


# --- Drill-downs -----------------------------------------------------------------------------

# Each source of records: the scope attribute, the function that rebuilds a set, its sets.
RECORDS = {
    "conversations": (
        "conversations",
        service.records,
        (
            "created",
            "backlog",
            "solved",
            "first_contact",
            "responded",
            "handled",
            "sla_due",
            "sla_met",
        ),
    ),
    "responses": (
        "responses",
        surveys.records,
        ("csat", "csat_satisfied", "nps", "nps_promoters", "nps_detractors", "ces"),
    ),
    "customers": (
        "customers",
        customer_kpis.records,
        ("at_start", "at_end", "new", "lost", "purchasers", "repeaters"),
    ),
    "orders": ("orders", customer_kpis.order_records, ("orders",)),
}


def drill_records(user: User | None, drill: Mapping[str, Any], *, numerator: bool = False):
    """Return the records a figure counted (its numerator's with ``numerator=True``).

    ``drill`` is a figure's ``drill`` description; the records are scoped by ``user`` as the
    figure was, so a link from a page shows exactly the rows behind the number.
    """
    source = drill.get("source")
    if source not in RECORDS:
        raise MetricsError(_("Unknown kind of records."))
    attribute, records, names = RECORDS[source]
    name = (drill.get("numerator") if numerator else None) or drill.get("set")
    if name not in names:
        raise MetricsError(_("Unknown set of records."))
    start, end = parse_datetime(drill.get("start") or ""), parse_datetime(drill.get("end") or "")
    as_of = parse_datetime(drill.get("as_of") or "") or timezone.now()
    try:
        period = Period(start, end) if start and end else None
    except PeriodError:
        period = None
    if period is None:
        raise MetricsError(_("The drill-down needs a valid period."))
    scoped = _narrow(
        getattr(Scope.of(user), attribute), source, clean_filters(drill.get("filters"))
    )
    if scoped is None:
        raise MetricsError(_("These records cannot be sliced that way."))
    return records(scoped, period, name, as_of)


def score_counts(user: User | None, drill: Mapping[str, Any]) -> dict[int, int]:
    """Return how many of the answers a CSAT, NPS or CES figure counted gave each score.

    ``drill`` is the figure's drill-down; the counts add up to the figure's ``n``.
    """
    kind = drill.get("set")
    if drill.get("source") != "responses" or kind not in ("csat", "nps", "ces"):
        raise MetricsError(_("Unknown set of records."))
    start, end = parse_datetime(drill.get("start") or ""), parse_datetime(drill.get("end") or "")
    if start and end and counts_from_packs(user, clean_filters(drill.get("filters"))):
        try:
            period = Period(start, end)
        except PeriodError:
            period = None
        facts = packs.load() if period and columnar.days(period) else None
        if facts is not None:
            found = columnar.score_counts(facts, period, kind, clean_filters(drill.get("filters")))
            if found is not None:
                return found
    rows = drill_records(user, drill).order_by().values_list("score").annotate(n=Count("pk"))
    return dict(rows)


def latest_answers(
    user: User | None, drill: Mapping[str, Any], *, max_score: int, limit: int
) -> QuerySet[SurveyResponse]:
    """Return the latest ``limit`` answers a CSAT/NPS/CES figure counted scoring ``max_score``
    or less, newest first, with their conversation and customer."""
    answers = drill_records(user, drill).filter(score__lte=max_score)
    kind = drill.get("set")
    start, end = parse_datetime(drill.get("start") or ""), parse_datetime(drill.get("end") or "")
    filters = clean_filters(drill.get("filters"))
    if kind in ("csat", "nps", "ces") and start and end and counts_from_packs(user, filters):
        try:
            period = Period(start, end)
        except PeriodError:
            period = None
        facts = packs.load() if period and columnar.days(period) else None
        ids = (
            columnar.latest_answer_ids(
                facts, period, kind, filters, max_score=max_score, limit=limit
            )
            if facts
            else None
        )
        if ids is not None:
            # The packs give exactly the answers the drill-down selects (as they give its
            # count), and this reader may see them all; looked up by id, which SQLite does
            # not choose by itself when the drill-down's conditions come along.
            answers = SurveyResponse.objects.filter(pk__in=ids)
    return answers.select_related("conversation", "customer").order_by("-answered_at", "-pk")[
        :limit
    ]
