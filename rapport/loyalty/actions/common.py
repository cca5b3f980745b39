"""Shared by every loyalty action: errors, input cleaning, and the one way points move."""

import calendar
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.commerce.models import Order
from rapport.customers.models import Customer, CustomerMerge
from rapport.loyalty.models import (
    BonusEvent,
    EntryKind,
    EntrySource,
    LedgerEntry,
    Member,
    MemberStatus,
    Programme,
    Tier,
)
from rapport.timeline.actions import record_event
from rapport.timeline.messages import label, message
from rapport.timeline.models import EventKind

# No single order or adjustment moves more than this (a typo or an attack, not a purchase).
MAX_AMOUNT = Decimal("1000000")


MAX_POINTS = 100_000_000


# Voucher codes: 16 characters of an alphabet without look-alikes (80 bits).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


CODE_LENGTH = 16


class LoyaltyError(ValueError):
    """A request the programme refuses; ``code`` is stable for API clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Posted:
    """The entry a request made, and whether it was made now or by an earlier identical one."""

    entry: LedgerEntry
    replayed: bool = False


def default_programme() -> Programme:
    """Return the active programme (the first one), or raise LoyaltyError."""
    programme = Programme.objects.filter(is_active=True).order_by("pk").first()
    if programme is None:
        raise LoyaltyError("no_programme", _("There is no active loyalty programme."))
    return programme


def clean_amount(value: Any) -> Decimal:
    """Return ``value`` as a positive amount of money, or raise LoyaltyError."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise LoyaltyError("invalid_amount", _("The amount is not a number.")) from None
    if not amount.is_finite():
        raise LoyaltyError("invalid_amount", _("The amount is not a number."))
    if amount <= 0:
        raise LoyaltyError("invalid_amount", _("The amount must be more than zero."))
    if amount > MAX_AMOUNT:
        raise LoyaltyError(
            "invalid_amount",
            _("The amount is larger than %(limit)s.")
            % {"limit": number_format(MAX_AMOUNT, force_grouping=True)},
        )
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def clean_points(value: Any) -> int:
    """Return ``value`` as a whole number of points other than zero, or raise LoyaltyError."""
    if isinstance(value, bool):
        raise LoyaltyError("invalid_points", _("Points must be a whole number."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise LoyaltyError("invalid_points", _("Points must be a whole number.")) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise LoyaltyError("invalid_points", _("Points must be a whole number."))
    if number == 0:
        raise LoyaltyError("invalid_points", _("Points must not be zero."))
    if abs(number) > MAX_POINTS:
        raise LoyaltyError(
            "invalid_points",
            _("More than %(limit)s points at once are refused.")
            % {"limit": number_format(MAX_POINTS, force_grouping=True)},
        )
    return int(number)


def _check_currency(programme: Programme, currency: str) -> None:
    if (currency or "").upper() != programme.currency.upper():
        raise LoyaltyError(
            "wrong_currency",
            _("The programme counts in %(programme)s, not %(currency)s.")
            % {"programme": programme.currency, "currency": currency or "?"},
        )


def live_customer(customer_id: Any) -> Customer:
    """Return the customer, or raise LoyaltyError saying it is unknown or was merged."""
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise LoyaltyError("unknown_customer", _("There is no such customer.")) from None
    customer = Customer.objects.filter(pk=pk).first()
    if customer is not None:
        return customer
    merge = CustomerMerge.objects.filter(merged_customer_id=pk).order_by("-merged_at").first()
    if merge is not None:
        raise LoyaltyError(
            "customer_merged",
            _("Customer %(old)s was merged into customer %(new)s; use that customer.")
            % {"old": pk, "new": merge.survivor_id},
        )
    raise LoyaltyError("unknown_customer", _("There is no such customer."))


def _entry_tier(programme: Programme) -> Tier | None:
    return programme.tiers.order_by("rank").first()


def _active(member: Member) -> Member:
    if member.status != MemberStatus.ACTIVE:
        raise LoyaltyError("member_closed", _("This membership is closed."))
    return member


def _post(
    *,
    member: Member,
    kind: str,
    points: int,
    reason: str,
    source: str,
    external_ref: str = "",
    order: Order | None = None,
    actor=None,
    amount: Decimal | None = None,
    expires_at: datetime | None = None,
    data: dict | None = None,
    now: datetime | None = None,
    guard_balance: bool = False,
) -> Posted:
    """Write one entry and move the kept balance by its points, in the caller's transaction.

    With ``guard_balance`` the balance must cover a negative ``points`` (else LoyaltyError
    "insufficient_points"): the check and the change are one ``UPDATE``. With an
    ``external_ref`` already used for this kind, nothing is written and the first entry is
    returned, marked replayed.
    """
    changed = Member.objects.filter(pk=member.pk)
    if guard_balance and points < 0:
        changed = changed.filter(balance__gte=-points)
    try:
        # One savepoint: a replayed reference (the unique constraint) undoes the balance
        # change with the entry, with no lookup before every new entry.
        with transaction.atomic():
            if not changed.update(balance=F("balance") + points):
                raise LoyaltyError(
                    "insufficient_points",
                    _("The balance does not cover %(points)s points.")
                    % {"points": number_format(-points, force_grouping=True)},
                )
            entry = LedgerEntry.objects.create(
                member=member,
                programme_id=member.programme_id,
                kind=kind,
                points=points,
                reason=reason[:255],
                source=source,
                external_ref=external_ref,
                order=order,
                actor=actor,
                amount=amount,
                expires_at=expires_at,
                data=data or {},
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        earlier = LedgerEntry.objects.filter(
            programme_id=member.programme_id, kind=kind, external_ref=external_ref
        ).first()
        if not external_ref or earlier is None:
            raise
        return Posted(earlier, replayed=True)
    member.balance += points
    if not (kind == EntryKind.EARN and source == EntrySource.ORDER):
        _record_in_timeline(member, entry)
    return Posted(entry)


# How ledger entries read in the customer's timeline. Points earned for an order are not
# repeated there: the order is (and the member page lists every entry).
TIMELINE_TEXTS = {
    EntryKind.EARN: gettext_noop("Earned %(points)s loyalty points: %(reason)s"),
    EntryKind.REDEEM: gettext_noop("Redeemed %(points)s loyalty points for %(reason)s"),
    EntryKind.EXPIRE: gettext_noop("%(points)s loyalty points expired"),
    EntryKind.REVERSE: gettext_noop("%(points)s loyalty points taken back: %(reason)s"),
    EntryKind.ADJUST: gettext_noop("Loyalty points adjusted by %(points)s: %(reason)s"),
}


def _reason_param(entry: LedgerEntry):
    """Return a bonus event as its label (shown in the reader's language), else the reason."""
    event = (entry.data or {}).get("event")
    return label(BonusEvent, event) if event in BonusEvent.values else entry.reason


def _record_in_timeline(member: Member, entry: LedgerEntry) -> None:
    points = entry.points if entry.kind == EntryKind.ADJUST else abs(entry.points)
    record_event(
        customer=Customer(pk=member.customer_id),
        kind=EventKind.LOYALTY,
        message=message(
            TIMELINE_TEXTS[entry.kind],
            points=f"{points:+d}" if entry.kind == EntryKind.ADJUST else points,
            reason=_reason_param(entry),
        ),
        actor=entry.actor,
        occurred_at=entry.created_at,
        source=entry,
        data={"entry": entry.pk, "points": entry.points},
    )


def _expiry(programme: Programme, now: datetime) -> datetime | None:
    if not programme.expiry_months:
        return None
    return months_later(now, programme.expiry_months)


def balance_of(member: Member) -> int:
    """Return the member's balance summed from the ledger (what ``verify`` compares)."""
    return int(member.entries.aggregate(n=Sum("points"))["n"] or 0)


def months_later(moment: datetime, months: int) -> datetime:
    """Return ``moment`` ``months`` calendar months later (or earlier), on the same day where
    the month has it, else its last day (31 January + 1 month: 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
