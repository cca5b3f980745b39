"""Figures of the loyalty programme for managers: members, points, liability, tiers, purchases.

Every figure is computed from the ledger and the orders for a half-open period
(``rapport.metrics.periods.Period``), so a report for a past period does not change when
points move later. Purchases count the way the customer KPIs do (``metrics.customers``):
orders placed in the period, in the programme's currency, that count as revenue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from rapport.commerce.models import NON_REVENUE_STATUSES, Order
from rapport.loyalty.models import EntryKind, LedgerEntry, Member, Programme, TierChange
from rapport.metrics.periods import Period

# The figures in the order the page and the CSV show them: (key, label).
FIGURES = (
    ("members", _("Members")),
    ("active_members", _("Active members (earned or redeemed)")),
    ("points_issued", _("Points issued")),
    ("points_redeemed", _("Points redeemed")),
    ("points_expired", _("Points expired")),
    ("points_reversed", _("Points taken back by returns")),
    ("points_adjusted", _("Points adjusted by staff (net)")),
    ("outstanding_points", _("Outstanding points at the end")),
    ("liability", _("Outstanding liability at the end")),
    ("redemption_rate", _("Redemption rate (redeemed / issued)")),
    ("tiers_up", _("Members who moved up a tier")),
    ("tiers_down", _("Members who moved down a tier")),
    ("member_repeat_rate", _("Repeat purchase rate, members")),
    ("other_repeat_rate", _("Repeat purchase rate, non-members")),
    ("member_order_value", _("Average order value, members")),
    ("other_order_value", _("Average order value, non-members")),
)


@dataclass
class Purchases:
    """Orders, revenue and buyers of one group of customers in a period."""

    orders: int = 0
    revenue: Decimal = Decimal("0")
    buyers: int = 0
    repeat_buyers: int = 0

    @property
    def repeat_rate(self) -> float | None:
        """Return the share of buyers with more than one order, or None without buyers."""
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def order_value(self) -> Decimal | None:
        """Return the average order value, or None without orders."""
        return (self.revenue / self.orders).quantize(Decimal("0.01")) if self.orders else None


@dataclass
class Report:
    """The programme's figures for ``period``."""

    programme: Programme
    period: Period
    members: int = 0
    active_members: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
    points_expired: int = 0
    points_reversed: int = 0
    points_adjusted: int = 0
    outstanding_points: int = 0
    liability: Decimal = Decimal("0")
    tiers_up: int = 0
    tiers_down: int = 0
    # (tier name or "", rank or None, members now), highest tier first.
    tier_distribution: list[tuple[str, int | None, int]] = field(default_factory=list)
    members_buying: Purchases = field(default_factory=Purchases)
    others_buying: Purchases = field(default_factory=Purchases)

    @property
    def redemption_rate(self) -> float | None:
        """Return points redeemed / points issued in the period, or None when none were issued."""
        return self.points_redeemed / self.points_issued if self.points_issued else None

    def values(self) -> dict[str, object]:
        """Return every figure by its key in ``FIGURES``."""
        return {
            "members": self.members,
            "active_members": self.active_members,
            "points_issued": self.points_issued,
            "points_redeemed": self.points_redeemed,
            "points_expired": self.points_expired,
            "points_reversed": self.points_reversed,
            "points_adjusted": self.points_adjusted,
            "outstanding_points": self.outstanding_points,
            "liability": self.liability,
            "redemption_rate": self.redemption_rate,
            "tiers_up": self.tiers_up,
            "tiers_down": self.tiers_down,
            "member_repeat_rate": self.members_buying.repeat_rate,
            "other_repeat_rate": self.others_buying.repeat_rate,
            "member_order_value": self.members_buying.order_value,
            "other_order_value": self.others_buying.order_value,
        }


def loyalty_report(programme: Programme, period: Period) -> Report:
    """Return the figures of ``programme`` for ``period``."""
    report = Report(programme=programme, period=period)
    members = Member.objects.filter(programme=programme)
    report.members = members.filter(joined_at__lt=period.end).count()

    entries = LedgerEntry.objects.filter(programme=programme)
    in_period = entries.filter(created_at__gte=period.start, created_at__lt=period.end)
    report.active_members = (
        in_period.filter(kind__in=(EntryKind.EARN, EntryKind.REDEEM))
        .values("member")
        .distinct()
        .count()
    )
    sums = in_period.aggregate(
        **{
            kind: Sum("points", filter=Q(kind=kind))
            for kind in ("earn", "redeem", "expire", "reverse", "adjust")
        }
    )
    report.points_issued = sums["earn"] or 0
    report.points_redeemed = -(sums["redeem"] or 0)
    report.points_expired = -(sums["expire"] or 0)
    report.points_reversed = -(sums["reverse"] or 0)
    report.points_adjusted = sums["adjust"] or 0

    report.outstanding_points = outstanding_points(programme, period)
    report.liability = (report.outstanding_points * programme.point_value).quantize(Decimal("0.01"))
    report.tier_distribution = tier_distribution(programme)
    report.tiers_up, report.tiers_down = tier_movement(programme, period)
    report.members_buying, report.others_buying = purchases(programme, period)
    return report


def outstanding_points(programme: Programme, period: Period) -> int:
    """Return the points members held at the end of ``period`` (debts count as none)."""
    held = (
        LedgerEntry.objects.filter(programme=programme, created_at__lt=period.end)
        .values("member")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .values_list("total", flat=True)
    )
    return int(sum(held))


def tier_distribution(programme: Programme) -> list[tuple[str, int | None, int]]:
    """Return (tier name, rank, members) for every tier now, highest first; "" is no tier."""
    counts = dict(
        Member.objects.filter(programme=programme)
        .values("tier")
        .annotate(n=Count("pk"))
        .values_list("tier", "n")
    )
    rows = [
        (tier.name, tier.rank, counts.get(tier.pk, 0)) for tier in programme.tiers.order_by("-rank")
    ]
    if counts.get(None):
        rows.append(("", None, counts[None]))
    return rows


def tier_movement(programme: Programme, period: Period) -> tuple[int, int]:
    """Return how many members moved up and how many down a tier in ``period``.

    Counted from the kept tier changes; a member who moved up and later down in the period
    counts in both. Entering the first tier is joining, not a move.
    """
    changes = TierChange.objects.filter(
        member__programme=programme,
        changed_at__gte=period.start,
        changed_at__lt=period.end,
        from_rank__isnull=False,
        to_rank__isnull=False,
    )
    up = changes.filter(to_rank__gt=F("from_rank")).values("member").distinct().count()
    down = changes.filter(to_rank__lt=F("from_rank")).values("member").distinct().count()
    return up, down


def purchases(programme: Programme, period: Period) -> tuple[Purchases, Purchases]:
    """Return the purchases of members and of non-members in ``period``.

    Members are the customers with a membership that began before the end of the period.
    """
    orders = Order.objects.filter(
        ordered_at__gte=period.start,
        ordered_at__lt=period.end,
        currency=programme.currency,
    ).exclude(status__in=NON_REVENUE_STATUSES)
    member_ids = Member.objects.filter(programme=programme, joined_at__lt=period.end).values(
        "customer_id"
    )
    return (
        _purchases(orders.filter(customer_id__in=member_ids)),
        _purchases(orders.exclude(customer_id__in=member_ids)),
    )


def _purchases(orders) -> Purchases:
    totals = orders.aggregate(orders=Count("pk"), revenue=Sum("total"))
    per_buyer = orders.values("customer").annotate(n=Count("pk"))
    counts = list(per_buyer.values_list("n", flat=True))
    return Purchases(
        orders=totals["orders"] or 0,
        revenue=totals["revenue"] or Decimal("0"),
        buyers=len(counts),
        repeat_buyers=sum(1 for n in counts if n > 1),
    )
