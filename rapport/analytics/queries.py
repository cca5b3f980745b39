"""Reads of customers' value scores that pages share; every read is scoped by who asks."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncQuarter

from rapport.accounts.models import Role
from rapport.analytics.models import (
    FALLING_BY,
    LIKELY_GONE,
    CustomerValue,
    Segment,
    ValueModelFit,
)
from rapport.customers.models import Customer

#: Who sees every customer's value: the dashboard and the whole at-risk list.
ALL_CUSTOMERS_ROLES = (Role.ADMIN, Role.MANAGER)
DASHBOARD_ROLES = (Role.ADMIN, Role.MANAGER, Role.MARKETER)


def _active_staff(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff_member", False)
    )


def can_view_dashboard(user) -> bool:
    """Return whether ``user`` may see the value dashboard (admins, managers, marketers)."""
    return _active_staff(user) and user.role in DASHBOARD_ROLES


def customer_value(user, customer: Customer) -> CustomerValue | None:
    """Return the stored scores of ``customer`` for a staff ``user``, None if none or not allowed."""
    if not _active_staff(user) or customer is None:
        return None
    return CustomerValue.objects.filter(customer=customer).first()


def at_risk_values(user) -> QuerySet[CustomerValue]:
    """Return the valuable customers' scores whose P(alive) is low or falling, most at stake first.

    Admins and managers see all of them; other staff see only the customers they manage
    (``Customer.account_manager``); everyone else sees none.
    """
    if not _active_staff(user):
        return CustomerValue.objects.none()
    qs = CustomerValue.objects.filter(valuable=True).filter(
        Q(p_alive__lt=LIKELY_GONE) | Q(p_alive__lt=F("p_alive_previous") - FALLING_BY)
    )
    if user.role not in ALL_CUSTOMERS_ROLES:
        qs = qs.filter(customer__account_manager=user)
    return qs.select_related("customer", "customer__account_manager").order_by("-at_stake", "id")


@dataclass
class Bin:
    low: Decimal
    high: Decimal
    customers: int


def clv_histogram(bins: int = 12) -> list[Bin]:
    """Return the distribution of CLV in ``bins`` equal-width bins from 0 to the largest CLV.

    Counted in one query (one filtered count per bin), so no value leaves the database.
    """
    top = CustomerValue.objects.aggregate(top=Max("clv"))["top"]
    if top is None:
        return []
    width = _nice_width(top / bins) if top > 0 else Decimal("1")
    edges = [width * i for i in range(bins)]
    counts = CustomerValue.objects.aggregate(
        **{
            f"b{i}": Count(
                "id",
                filter=Q(clv__gte=low) & (Q(clv__lt=low + width) if i < bins - 1 else Q()),
            )
            for i, low in enumerate(edges)
        }
    )
    return [Bin(low, low + width, counts[f"b{i}"]) for i, low in enumerate(edges)]


def _nice_width(raw: Decimal) -> Decimal:
    """Return the smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``raw``."""
    power = Decimal(1)
    while power * 10 <= raw:
        power *= 10
    while power > raw and power > Decimal("0.01"):
        power /= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if power * step >= raw:
            return power * step
    return power * 10


@dataclass
class Group:
    key: str
    label: str
    customers: int
    total_clv: Decimal
    mean_clv: Decimal


def value_by_segment() -> list[Group]:
    """Return customers, total and mean CLV per RFM segment, in the segments' order."""
    rows = {
        row["segment"]: row
        for row in CustomerValue.objects.values("segment")
        .annotate(n=Count("id"), total=Sum("clv"), mean=Avg("clv"))
        .order_by()
    }
    return [
        Group(
            segment.value,
            str(segment.label),
            rows[segment.value]["n"],
            rows[segment.value]["total"] or Decimal(0),
            _cents(rows[segment.value]["mean"]),
        )
        for segment in Segment
        if segment.value in rows
    ]


def value_by_cohort() -> list[Group]:
    """Return customers, total and mean CLV per quarter of first purchase, oldest first."""
    rows = (
        CustomerValue.objects.annotate(quarter=TruncQuarter("first_order_at"))
        .values("quarter")
        .annotate(n=Count("id"), total=Sum("clv"), mean=Avg("clv"))
        .order_by("quarter")
    )
    return [
        Group(
            f"{row['quarter']:%Y}-Q{(row['quarter'].month - 1) // 3 + 1}",
            f"{row['quarter']:%Y} Q{(row['quarter'].month - 1) // 3 + 1}",
            row["n"],
            row["total"] or Decimal(0),
            _cents(row["mean"]),
        )
        for row in rows
    ]


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def latest_fits(limit: int = 10) -> list[ValueModelFit]:
    """Return the most recent model fits, failed ones included."""
    return list(ValueModelFit.objects.order_by("-fitted_at", "-id")[:limit])


def value_totals() -> dict:
    """Return how many customers have scores, their total CLV and when they were scored."""
    return CustomerValue.objects.aggregate(
        customers=Count("id"), total_clv=Sum("clv"), scored_at=Max("scored_at")
    )
