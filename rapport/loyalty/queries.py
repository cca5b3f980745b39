"""Reads of the loyalty programme: differences between kept balances and the ledger."""

from datetime import datetime, timedelta
from typing import Any

from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.loyalty.models import (
    LedgerEntry,
    Member,
    MemberStatus,
    Programme,
    Tier,
    Voucher,
    VoucherStatus,
)
from rapport.sla.models import SlaPolicy


def balance_differences(limit: int = 100) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Return (members checked, members differing, the first ``limit`` differences).

    A difference is (member id, kept balance, sum of the member's ledger entries). Two
    ordered streams merged: the members by id, and the ledger summed per member (one scan of
    the ``loyalty_entry_sum`` index, which holds both columns). A join of the two makes
    SQLite build the sums into a temporary table first: ten times slower at 20 million
    entries.
    """
    members = Member._meta.db_table
    entries = LedgerEntry._meta.db_table
    checked, differing, shown = 0, 0, []
    with connections["default"].cursor() as kept, connections["default"].cursor() as summed:
        kept.execute(f"SELECT id, balance FROM {members} ORDER BY id")  # noqa: S608
        summed.execute(
            f"SELECT member_id, SUM(points) FROM {entries}"  # noqa: S608
            " GROUP BY member_id ORDER BY member_id"
        )
        sums = _rows(summed)
        current = next(sums, None)
        for member, balance in _rows(kept):
            checked += 1
            while current is not None and current[0] < member:
                current = next(sums, None)  # entries of a member that no longer exists
            total = int(current[1]) if current is not None and current[0] == member else 0
            if total != balance:
                differing += 1
                if len(shown) < limit:
                    shown.append((member, int(balance), total))
    return checked, differing, shown


def _rows(cursor, size: int = 10_000):
    while True:
        batch = cursor.fetchmany(size)
        if not batch:
            return
        yield from batch


# --- For the helpdesk and the staff pages ----------------------------------------------------

# How far ahead the panel warns of expiring points.
EXPIRING_WITHIN_DAYS = 60
PANEL_ENTRIES = 5


def tier_rank_of(customer) -> int | None:
    """Return the rank of the customer's tier in the active programme, or None.

    None when there is no active programme, the customer is not an active member, or the
    member has no tier yet. The helpdesk's routing rules and SLA policies ask only this.
    """
    if customer is None or customer.pk is None:
        return None
    return (
        Member.objects.filter(
            customer_id=customer.pk,
            status=MemberStatus.ACTIVE,
            programme__is_active=True,
            tier__isnull=False,
        )
        .order_by("programme_id")
        .values_list("tier__rank", flat=True)
        .first()
    )


def member_of(customer) -> Member | None:
    """Return the customer's membership in the active programme (the first), or None."""
    if customer is None or customer.pk is None:
        return None
    return (
        Member.objects.filter(customer_id=customer.pk, programme__is_active=True)
        .select_related("programme", "tier", "customer", "customer__account_manager")
        .order_by("programme_id")
        .first()
    )


def tier_benefits(tier: Tier | None) -> list[str]:
    """Return the benefits of ``tier`` as short labels, for staff."""
    if tier is None:
        return []
    benefits = []
    if tier.earn_multiplier != 1:
        benefits.append(_("%(multiplier)s× points") % {"multiplier": f"{tier.earn_multiplier:g}"})
    if tier.free_shipping:
        benefits.append(_("free shipping"))
    if tier.early_access:
        benefits.append(_("early access"))
    if tier.account_manager:
        benefits.append(_("dedicated account manager"))
    for policy in service_policies(tier):
        benefits.append(_("SLA policy: %(name)s") % {"name": policy})
    return benefits


def service_policies(tier: Tier) -> list[str]:
    """Return the names of the helpdesk's SLA policies that apply for ``tier`` and above.

    Faster service is the helpdesk's configuration (a policy with "loyalty tier at least");
    this only reads it, so staff see what a tier gets where they see the tier.
    """
    return list(
        SlaPolicy.objects.filter(is_active=True, min_loyalty_rank__lte=tier.rank)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )


def loyalty_panel(customer, now: datetime | None = None) -> dict[str, Any]:
    """Return what the agents' loyalty panel shows for ``customer``.

    Only read by staff (the template tag and the member page check who asks).
    """
    from rapport.loyalty.actions import expiring_points

    now = now or timezone.now()
    member = member_of(customer)
    if member is None:
        # Without a programme there is nothing to say; with one, say the customer is not in it.
        running = Programme.objects.filter(is_active=True).exists()
        return {"member": None, "customer": customer, "show": running}
    soon = now + timedelta(days=EXPIRING_WITHIN_DAYS)
    expiring = 0
    # Walking the ledger (oldest points first) only pays when some points fall due soon.
    if member.entries.filter(expires_at__gt=now, expires_at__lte=soon).exists():
        expiring = expiring_points(member, soon) - expiring_points(member, now)
    expiring = min(max(expiring, 0), max(member.balance, 0))
    return {
        "member": member,
        "customer": customer,
        "programme": member.programme,
        "tier": member.tier,
        "benefits": tier_benefits(member.tier),
        "balance": member.balance,
        "balance_value": member.balance * member.programme.point_value,
        "expiring": expiring,
        "expiring_by": soon,
        "entries": list(
            member.entries.select_related("actor").order_by("-created_at", "-id")[:PANEL_ENTRIES]
        ),
        "vouchers": list(
            Voucher.objects.filter(member=member, status=VoucherStatus.ISSUED, valid_until__gt=now)
            .select_related("reward")
            .order_by("valid_until", "id")
        ),
    }


def member_entries(member: Member):
    """Return the member's whole ledger, newest first, for the staff history page."""
    return member.entries.select_related("actor", "order").order_by("-created_at", "-id")
