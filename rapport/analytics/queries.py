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
    high: Decimal | None  # None: the open last bin
    customers: int


def clv_histogram(bins: int = 12) -> list[Bin]:
    """Return the distribution of CLV in at most ``bins`` bins with edges 1, 2, 5, 10, 20, ...

    Customer values spread over orders of magnitude (most customers are worth a little, a few
    a lot): equal-width bins would put nearly everyone into the first. The edges grow by the
    1-2-5 steps up to the largest value; the first bin starts at 0 and the last is open.
    Counted in one query (one filtered count per bin), so no value leaves the database.
    """
    top = CustomerValue.objects.aggregate(top=Max("clv"))["top"]
    if top is None:
        return []
    edges = _stepped_edges(top, bins)
    uppers = edges[1:] + [None]
    counts = CustomerValue.objects.aggregate(
        **{
            f"b{i}": Count(
                "id", filter=Q(clv__gte=low) & (Q(clv__lt=high) if high is not None else Q())
            )
            for i, (low, high) in enumerate(zip(edges, uppers, strict=True))
        }
    )
    return [
        Bin(low, high, counts[f"b{i}"])
        for i, (low, high) in enumerate(zip(edges, uppers, strict=True))
    ]


def _stepped_edges(top: Decimal, bins: int) -> list[Decimal]:
    """Return the lower edges: 0, then 1-2-5 steps up to ``top``, the smallest ones merged
    into the first bin so that there are at most ``bins`` bins."""
    steps: list[Decimal] = []
    power = Decimal(1)
    while not steps or steps[-1] <= top:
        steps += [power, power * 2, power * 5]
        power *= 10
    steps = [edge for edge in steps if edge <= top] or [Decimal(1)]
    return [Decimal(0)] + steps[-(bins - 1) :]


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
