"""Customer KPIs: retention, churn, purchase value and frequency, repeat purchases and CLTV."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from rapport.commerce.models import NON_REVENUE_STATUSES, Order
from rapport.customers.models import Customer
from rapport.helpdesk.models import Conversation
from rapport.metrics.figures import Figure, share
from rapport.metrics.periods import Period

SOURCE = "customers"
ORDERS = "orders"
DEFAULT_INACTIVE_DAYS = 365


def inactive_days() -> int:
    """Return after how many days without an order or a conversation a customer counts as lost."""
    return int(getattr(settings, "METRICS_CHURN_INACTIVE_DAYS", DEFAULT_INACTIVE_DAYS))


def currency() -> str:
    """Return the currency the money KPIs are computed in; orders in others are left out."""
    return getattr(settings, "RAPPORT_DEFAULT_CURRENCY", "EUR")


def active_at(moment: datetime) -> Q:
    """Return the condition "is a customer at ``moment``".

    A customer record counts from its creation until ``inactive_days()`` pass without an order
    (any status) and without a new conversation: created before ``moment`` and created, ordered
    or opened a conversation within the window that ends at ``moment``.
    """
    since = moment - timedelta(days=inactive_days())
    ordered = Order.objects.filter(
        customer=OuterRef("pk"), ordered_at__gte=since, ordered_at__lt=moment
    )
    wrote = Conversation.objects.filter(
        customer=OuterRef("pk"), created_at__gte=since, created_at__lt=moment
    )
    return Q(created_at__lt=moment) & (
        Q(created_at__gte=since) | Q(Exists(ordered)) | Q(Exists(wrote))
    )


def sets(period: Period) -> dict[str, Q]:
    """Return the condition of each set of customers the customer KPIs count in ``period``."""
    at_start, at_end = active_at(period.start), active_at(period.end)
    return {
        "at_start": at_start,
        "at_end": at_end,
        "new": at_end & Q(created_at__gte=period.start),
        "lost": at_start & ~at_end,
    }


def revenue_orders(orders: QuerySet[Order], period: Period) -> QuerySet[Order]:
    """Return the orders the money KPIs count: placed in ``period``, counting as revenue."""
    return orders.filter(
        ordered_at__gte=period.start, ordered_at__lt=period.end, currency=currency()
    ).exclude(status__in=NON_REVENUE_STATUSES)


def order_count(period: Period) -> Subquery:
    """Return the number of the customer's revenue orders in ``period``, as a subquery."""
    counted = (
        revenue_orders(Order.objects.filter(customer=OuterRef("pk")), period)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def records(customers: QuerySet[Customer], period: Period, name: str, now=None):
    """Return the customers of one counted set (for a drill-down)."""
    if name in ("purchasers", "repeaters"):
        least = 1 if name == "purchasers" else 2
        return customers.annotate(_orders=order_count(period)).filter(_orders__gte=least)
    return customers.filter(sets(period)[name])


def order_records(orders: QuerySet[Order], period: Period, name: str, now=None):
    """Return the orders the money KPIs counted (for a drill-down)."""
    return revenue_orders(orders, period)


def compute(
    customers: QuerySet[Customer],
    orders: QuerySet[Order] | None,
    period: Period,
    *,
    group: str | None,
    order_group: str | None,
    drill: dict[str, Any],
) -> dict[Any, dict[str, Figure]]:
    """Return the customer figures of ``period``, per value of ``group`` (or under None).

    ``orders`` is None when the slice cannot reach orders; then only retention and churn.
    """
    counts = {name: Count("pk", filter=condition) for name, condition in sets(period).items()}
    if group is None:
        rows = {None: customers.aggregate(**counts)}
    else:
        rows = {
            row.pop(group): row
            for row in customers.values(group).annotate(**counts).order_by(group)
        }
    buying: dict[Any, dict[str, Any]] = {}
    if orders is not None:
        buying = _purchases(customers, orders, period, group, order_group)
    return {
        value: _figures(row, buying.get(value, {}), orders is not None, drill)
        for value, row in rows.items()
    }


def _purchases(customers, orders, period, group, order_group) -> dict[Any, dict[str, Any]]:
    placed = revenue_orders(orders, period)
    money = {"orders": Count("pk"), "revenue": Sum("total")}
    buyers = customers.annotate(_orders=order_count(period)).filter(_orders__gte=1).order_by()
    people = {"purchasers": Count("pk"), "repeaters": Count("pk", filter=Q(_orders__gt=1))}
    if group is None:
        return {None: {**placed.aggregate(**money), **buyers.aggregate(**people)}}
    found: dict[Any, dict[str, Any]] = {}
    for row in placed.values(order_group).annotate(**money).order_by(order_group):
        found.setdefault(row.pop(order_group), {}).update(row)
    for row in buyers.values(group).annotate(**people).order_by(group):
        found.setdefault(row.pop(group), {}).update(row)
    return found


def _figures(row: dict[str, Any], buying: dict[str, Any], with_orders: bool, drill):
    def link(source: str, subset: str, numerator: str = "") -> dict[str, Any]:
        return {**drill, "source": source, "set": subset, "numerator": numerator}

    start, end, new, lost = row["at_start"], row["at_end"], row["new"], row["lost"]
    churn = share(lost, start)
    figures = {
        "customers_at_start": Figure(
            "customers_at_start", start, "customers", start, drill=link(SOURCE, "at_start")
        ),
        "customers_at_end": Figure(
            "customers_at_end", end, "customers", end, drill=link(SOURCE, "at_end")
        ),
        "new_customers": Figure("new_customers", new, "customers", new, drill=link(SOURCE, "new")),
        "lost_customers": Figure(
            "lost_customers", lost, "customers", lost, drill=link(SOURCE, "lost")
        ),
        "retention_rate": Figure(
            "retention_rate",
            share(end - new, start),
            "percent",
            start,
            numerator=end - new,
            denominator=start,
            drill=link(SOURCE, "at_start"),
        ),
        "churn_rate": Figure(
            "churn_rate",
            churn,
            "percent",
            start,
            numerator=lost,
            denominator=start,
            drill=link(SOURCE, "at_start", "lost"),
        ),
    }
    if not with_orders:
        return figures
    count, revenue = buying.get("orders", 0), buying.get("revenue")
    purchasers, repeaters = buying.get("purchasers", 0), buying.get("repeaters", 0)
    value = float(revenue) / count if count and revenue is not None else None
    frequency = count / purchasers if purchasers else None
    lifespan = 100.0 / churn if churn else None
    cltv = None
    if value is not None and frequency is not None and lifespan is not None:
        cltv = value * frequency * lifespan
    no_churn = _("No customer was lost in the period, so the lifespan cannot be estimated.")
    unit = currency()
    figures.update(
        {
            "average_purchase_value": Figure(
                "average_purchase_value",
                value,
                unit,
                count,
                numerator=None if revenue is None else float(revenue),
                denominator=count,
                drill=link(ORDERS, "orders"),
            ),
            "purchase_frequency": Figure(
                "purchase_frequency",
                frequency,
                "orders",
                purchasers,
                numerator=count,
                denominator=purchasers,
                drill=link(SOURCE, "purchasers"),
            ),
            "repeat_purchase_rate": Figure(
                "repeat_purchase_rate",
                share(repeaters, purchasers),
                "percent",
                purchasers,
                numerator=repeaters,
                denominator=purchasers,
                drill=link(SOURCE, "purchasers", "repeaters"),
            ),
            "average_customer_lifespan": Figure(
                "average_customer_lifespan",
                lifespan,
                "periods",
                start,
                numerator=100.0,
                denominator=churn,
                note="" if lifespan is not None or not start else no_churn,
                drill=link(SOURCE, "at_start", "lost"),
            ),
            "customer_lifetime_value": Figure(
                "customer_lifetime_value",
                cltv,
                unit,
                purchasers,
                note="" if lifespan is not None or not start else no_churn,
                drill=link(SOURCE, "purchasers"),
            ),
        }
    )
    return figures
