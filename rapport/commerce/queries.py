"""Reads of purchase history shared by pages and the API."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, QuerySet, Sum

from rapport.commerce.models import NON_REVENUE_STATUSES, Order, Product
from rapport.commerce.money import Money
from rapport.customers.models import Customer
from rapport.customers.queries import visible_customers


def visible_orders(user) -> QuerySet[Order]:
    """Return the orders ``user`` may see: those of customers they may see."""
    return Order.objects.filter(customer__in=visible_customers(user))


@dataclass
class PurchaseSummary:
    revenue: list[Money]
    order_count: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    average_order: list[Money]


def purchase_summary(customer: Customer) -> PurchaseSummary:
    """Return lifetime revenue (one figure per currency), order count and first and last order date.

    Cancelled, returned and refunded orders are counted as orders but not as revenue.
    """
    orders = Order.objects.filter(customer=customer)
    dates = orders.aggregate(count=Count("id"), first=Min("ordered_at"), last=Max("ordered_at"))
    per_currency = (
        orders.exclude(status__in=NON_REVENUE_STATUSES)
        .values("currency")
        .annotate(total=Sum("total"), n=Count("id"))
        .order_by("currency")
    )
    revenue = [Money(row["total"] or Decimal("0"), row["currency"]) for row in per_currency]
    average = [
        Money((row["total"] / row["n"]).quantize(Decimal("0.01")), row["currency"])
        for row in per_currency
        if row["n"]
    ]
    return PurchaseSummary(revenue, dates["count"], dates["first"], dates["last"], average)


def visible_products(user) -> QuerySet[Product]:
    """Return the products ``user`` may see: the whole catalogue for staff, nothing otherwise."""
    if user is None or not getattr(user, "is_staff_member", False):
        return Product.objects.none()
    return Product.objects.all()
