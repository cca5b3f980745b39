"""Taking points back: returns and cancellations, and adjustments by hand."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Role
from rapport.commerce.models import Order
from rapport.customers.models import Customer
from rapport.loyalty.actions.common import (
    LoyaltyError,
    Posted,
    _active,
    _post,
    clean_points,
)
from rapport.loyalty.models import (
    EntryKind,
    EntrySource,
    LedgerEntry,
    Member,
)


def reverse_order(
    *, order: Order, share: Any = 1, external_ref: str, now: datetime | None = None
) -> Posted | None:
    """Take back the points an order earned, all or ``share`` (0-1) of them for a partial return.

    Never more than the order earned minus what was taken back before. Without the
    programme's debt rule a balance does not go below zero: what cannot be taken back is
    recorded on the entry as ``shortfall``.
    """
    earned = LedgerEntry.objects.filter(
        Q(order=order)
        | Q(external_ref=f"order:{order.number}", member__customer=order.customer_id),
        kind=EntryKind.EARN,
    )
    return _reverse(earned, order.number, share, external_ref, now, order=order)


def reverse_purchase(
    *,
    customer: Customer,
    order_number: str,
    share: Any = 1,
    external_ref: str,
    now: datetime | None = None,
) -> Posted | None:
    """Take back the points a shop's purchase earned (``accrue_purchase``), by its number."""
    number = (order_number or "").strip()
    earned = LedgerEntry.objects.filter(
        kind=EntryKind.EARN, external_ref=f"order:{number}", member__customer=customer
    )
    return _reverse(earned, number, share, external_ref, now, order=None)


def _reverse(earned_entries, number, share, external_ref, now, *, order) -> Posted | None:
    try:
        fraction = Decimal(str(share))
    except (InvalidOperation, ValueError):
        raise LoyaltyError(
            "invalid_share", _("The returned share must be between 0 and 1.")
        ) from None
    if not fraction.is_finite() or not 0 < fraction <= 1:
        raise LoyaltyError("invalid_share", _("The returned share must be between 0 and 1."))
    if not (external_ref or "").strip():
        raise LoyaltyError("missing_reference", _("Name the return (a reference)."))
    now = now or timezone.now()
    with transaction.atomic():
        first = earned_entries.order_by("pk").first()
        if first is None:
            return None
        member = Member.objects.select_related("programme").get(pk=first.member_id)
        ref = f"return:{external_ref.strip()}"
        earlier = LedgerEntry.objects.filter(
            programme_id=member.programme_id, kind=EntryKind.REVERSE, external_ref=ref
        ).first()
        if earlier is not None:
            return Posted(earlier, replayed=True)
        earned = earned_entries.aggregate(n=Sum("points"))["n"] or 0
        taken = -(
            LedgerEntry.objects.filter(
                member=member, kind=EntryKind.REVERSE, data__returned=number
            ).aggregate(n=Sum("points"))["n"]
            or 0
        )
        wanted = min(
            int((Decimal(earned) * fraction).to_integral_value(ROUND_HALF_UP)), earned - taken
        )
        if wanted <= 0:
            return None
        points, shortfall = wanted, 0
        if not member.programme.allow_debt:
            points = min(wanted, max(member.balance, 0))
            shortfall = wanted - points
        if points <= 0:
            raise LoyaltyError(
                "nothing_to_reverse",
                _("The member has no points left to take back (%(points)s owed).")
                % {"points": shortfall},
            )
        return _post(
            member=member,
            kind=EntryKind.REVERSE,
            points=-points,
            reason=_("Return of %(ref)s") % {"ref": number},
            source=EntrySource.ORDER,
            external_ref=ref,
            order=order or first.order,
            data={"share": str(fraction), "shortfall": shortfall, "returned": number},
            now=now,
            guard_balance=not member.programme.allow_debt,
        )


def may_adjust(user) -> bool:
    """Return whether ``user`` may adjust points by hand."""
    return bool(
        user
        and user.is_active
        and (user.role in (Role.ADMIN, Role.MANAGER) or user.has_perm("loyalty.adjust_points"))
    )


def adjust_points(
    *, member: Member, points: Any, reason: str, actor, request_ref: str = "", now=None
) -> Posted:
    """Add or remove points by hand, with a reason; audited as the entry's actor.

    The form sends a ``request_ref`` made when it was shown: submitting it twice (a double
    click, a resent POST) adjusts once, and the second gets the first entry, marked replayed.
    """
    if not may_adjust(actor):
        raise LoyaltyError("forbidden", _("You may not adjust loyalty points."))
    amount = clean_points(points)
    reason = (reason or "").strip()
    if not reason:
        raise LoyaltyError("missing_reason", _("Give a reason for the adjustment."))
    ref = (request_ref or "").strip()[:100]
    with transaction.atomic():
        posted = _post(
            member=_active(member),
            kind=EntryKind.ADJUST,
            points=amount,
            reason=reason,
            source=EntrySource.STAFF,
            external_ref=f"adjust:{ref}" if ref else "",
            actor=actor,
            now=now,
            guard_balance=not member.programme.allow_debt,
        )
    if posted.replayed and (posted.entry.member_id != member.pk or posted.entry.points != amount):
        raise LoyaltyError(
            "reference_reused", _("This request reference was used for another adjustment.")
        )
    return posted
