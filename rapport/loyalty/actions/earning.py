"""Joining the programme and earning points: orders, a shop's purchases (one or a batch), bonus events."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.commerce.models import Order
from rapport.customers.models import Customer
from rapport.loyalty.actions.common import (
    LoyaltyError,
    Posted,
    _active,
    _check_currency,
    _entry_tier,
    _expiry,
    _post,
    clean_amount,
    default_programme,
)
from rapport.loyalty.models import (
    BonusEvent,
    EarnKind,
    EntryKind,
    EntrySource,
    LedgerEntry,
    Member,
    MemberStatus,
    Programme,
)


def category_multipliers(programme: Programme) -> dict[str, Decimal]:
    """Return the programme's category multipliers, read once per programme object.

    A request loads its programme, so a rule changed by an admin counts from the next
    request; a batch that passes one programme object reads the rules once.
    """
    cached = getattr(programme, "_category_multipliers", None)
    if cached is None:
        cached = dict(
            programme.rules.filter(kind=EarnKind.CATEGORY, is_active=True).values_list(
                "category", "multiplier"
            )
        )
        programme._category_multipliers = cached
    return cached


def _points_for(programme: Programme, amount: Decimal, multiplier: Decimal) -> int:
    points = (amount * programme.points_per_unit * multiplier).to_integral_value(ROUND_FLOOR)
    return int(points)


def enroll_customer(*, customer: Customer, programme: Programme | None = None) -> Member:
    """Return the customer's membership, joining the programme (and its sign-up bonus) if new."""
    programme = programme or default_programme()
    member = (
        Member.objects.select_related("tier", "programme")
        .filter(programme=programme, customer=customer)
        .first()
    )
    if member is not None:
        return member
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            programme=programme,
            customer=customer,
            defaults={"tier": _entry_tier(programme)},
        )
        if created:
            award_bonus(
                member=member, event=BonusEvent.SIGN_UP, external_ref=f"sign-up:{member.pk}"
            )
    return member


def accrue_order(
    *,
    order: Order,
    programme: Programme | None = None,
    external_ref: str = "",
    now: datetime | None = None,
) -> Posted:
    """Earn the points of an order once: its lines by category multiplier, times the tier's."""
    programme = programme or default_programme()
    _check_currency(programme, order.currency)
    if not order.counts_as_revenue:
        raise LoyaltyError("order_not_revenue", _("A cancelled or returned order earns nothing."))
    total = clean_amount(order.total)
    lines = list(order.lines.select_related("product"))
    if lines:
        parts = [(line.line_total, line.product.category if line.product else "") for line in lines]
    else:
        parts = [(total, "")]
    return _accrue(
        customer=order.customer,
        programme=programme,
        parts=parts,
        external_ref=external_ref or f"order:{order.pk}",
        order=order,
        amount=total,
        now=now,
    )


def accrue_purchase(
    *,
    customer: Customer,
    amount: Any,
    currency: str,
    external_ref: str,
    programme: Programme | None = None,
    categories: list[tuple[Any, str]] | None = None,
    now: datetime | None = None,
) -> Posted:
    """Earn the points of a purchase a shop reports (``external_ref``: its order number)."""
    programme = programme or default_programme()
    _check_currency(programme, currency)
    total = clean_amount(amount)
    if not (external_ref or "").strip():
        raise LoyaltyError("missing_reference", _("Name the order (a reference) to earn for."))
    parts = [(clean_amount(value), category) for value, category in categories or []]
    if parts and sum(value for value, _category in parts) > total:
        raise LoyaltyError("invalid_amount", _("The lines add up to more than the total."))
    order = Order.objects.filter(customer=customer, number=external_ref.strip()).only("pk").first()
    return _accrue(
        customer=customer,
        programme=programme,
        parts=parts or [(total, "")],
        external_ref=f"order:{external_ref.strip()}",
        order=order,
        amount=total,
        now=now,
    )


def _accrue(*, customer, programme, parts, external_ref, order, amount, now) -> Posted:
    now = now or timezone.now()
    member = _active(enroll_customer(customer=customer, programme=programme))
    multipliers = category_multipliers(programme)
    tier_multiplier = member.tier.earn_multiplier if member.tier else Decimal("1")
    points = sum(
        _points_for(programme, Decimal(value), multipliers.get(category, Decimal("1")))
        for value, category in parts
    )
    points = int((Decimal(points) * tier_multiplier).to_integral_value(ROUND_FLOOR))
    with transaction.atomic():
        if points <= 0:
            raise LoyaltyError("no_points", _("This purchase earns no points."))
        posted = _post(
            member=member,
            kind=EntryKind.EARN,
            points=points,
            reason=_("Purchase %(ref)s") % {"ref": external_ref.removeprefix("order:")},
            source=EntrySource.ORDER,
            external_ref=external_ref,
            order=order,
            amount=amount,
            expires_at=_expiry(programme, now),
            now=now,
        )
    return posted


@dataclass
class Purchase:
    """One purchase of a batch a shop reports: who, how much, its order number."""

    customer_id: Any
    amount: Any
    currency: str
    external_ref: str


@dataclass
class BatchResult:
    """What a batch did: entries written, references already earned, refusals by position."""

    posted: list[LedgerEntry]
    replayed: list[str]
    refused: dict[int, LoyaltyError]


def accrue_purchases(
    *, purchases: list[Purchase], programme: Programme | None = None, now: datetime | None = None
) -> BatchResult:
    """Earn the points of many purchases in one transaction (a shop's order feed).

    The same rules as ``accrue_purchase``, set-based: each purchase is checked on its own
    (a refusal names its position, the others still earn); a reference already earned, in an
    earlier batch or twice in this one, earns once. Customers not yet members join first.
    """
    programme = programme or default_programme()
    now = now or timezone.now()
    refused: dict[int, LoyaltyError] = {}
    wanted: list[tuple[int, int, Decimal, str]] = []  # position, customer, amount, reference
    for position, purchase in enumerate(purchases):
        try:
            _check_currency(programme, purchase.currency)
            amount = clean_amount(purchase.amount)
            ref = (purchase.external_ref or "").strip()
            if not ref:
                raise LoyaltyError(
                    "missing_reference", _("Name the order (a reference) to earn for.")
                )
            customer = int(purchase.customer_id)
        except LoyaltyError as error:
            refused[position] = error
            continue
        except (TypeError, ValueError):
            refused[position] = LoyaltyError("unknown_customer", _("There is no such customer."))
            continue
        wanted.append((position, customer, amount, f"order:{ref}"))
    members = _members_for(
        programme, {customer for _p, customer, _a, _r in wanted}, refused, wanted
    )
    multipliers = category_multipliers(programme)
    base = multipliers.get("", Decimal("1"))
    expires_at = _expiry(programme, now)
    with transaction.atomic():
        # Reference -> the customer it earned for (an order number is one customer's).
        earned = dict(
            LedgerEntry.objects.filter(
                programme=programme,
                kind=EntryKind.EARN,
                external_ref__in=[ref for *_rest, ref in wanted],
            ).values_list("external_ref", "member__customer_id")
        )
        entries, replayed, moves = [], [], {}
        for position, customer, amount, ref in wanted:
            member = members.get(customer)
            if member is None:
                continue
            if ref in earned:
                if earned[ref] == customer:
                    replayed.append(ref.removeprefix("order:"))
                else:
                    refused[position] = LoyaltyError(
                        "reference_reused",
                        _("This order number already earned points for another customer."),
                    )
                continue
            multiplier = member.tier.earn_multiplier if member.tier else Decimal("1")
            points = int(
                (Decimal(_points_for(programme, amount, base)) * multiplier).to_integral_value(
                    ROUND_FLOOR
                )
            )
            if points <= 0:
                refused[position] = LoyaltyError("no_points", _("This purchase earns no points."))
                continue
            earned[ref] = customer
            entries.append(
                LedgerEntry(
                    member=member,
                    programme=programme,
                    kind=EntryKind.EARN,
                    points=points,
                    reason=_("Purchase %(ref)s") % {"ref": ref.removeprefix("order:")},
                    source=EntrySource.ORDER,
                    external_ref=ref,
                    amount=amount,
                    expires_at=expires_at,
                    created_at=now,
                )
            )
            moves[member.pk] = moves.get(member.pk, 0) + points
        LedgerEntry.objects.bulk_create(entries, batch_size=500)
        _move_balances(moves)
    return BatchResult(entries, replayed, refused)


def _members_for(programme, customers: set[int], refused, wanted) -> dict[int, Member]:
    """Return the members of ``customers``, enrolling those who are not yet; refuse unknown."""
    found = {
        member.customer_id: member
        for member in Member.objects.select_related("tier").filter(
            programme=programme, customer_id__in=customers
        )
    }
    missing = customers - found.keys()
    if missing:
        known = set(Customer.objects.filter(pk__in=missing).values_list("pk", flat=True))
        for customer in known:
            found[customer] = enroll_customer(customer=Customer(pk=customer), programme=programme)
        for position, customer, _amount, _ref in wanted:
            if customer not in found:
                refused[position] = LoyaltyError(
                    "unknown_customer", _("There is no such customer.")
                )
    for position, customer, _amount, _ref in wanted:
        member = found.get(customer)
        if member is not None and member.status != MemberStatus.ACTIVE:
            refused[position] = LoyaltyError("member_closed", _("This membership is closed."))
    return {c: m for c, m in found.items() if m.status == MemberStatus.ACTIVE}


def _move_balances(moves: dict[int, int]) -> None:
    """Add each member's points to their kept balance: one statement, many rows."""
    if not moves:
        return
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET balance = balance + %s WHERE id = %s",  # noqa: S608
            [(points, pk) for pk, points in moves.items()],
        )


def award_bonus(*, member: Member, event: str, external_ref: str, now=None) -> Posted | None:
    """Give the points of a bonus event once per ``external_ref``; None if the event gives none."""
    if event not in BonusEvent.values:
        raise LoyaltyError("unknown_event", _("There is no such bonus event."))
    rule = member.programme.rules.filter(kind=EarnKind.EVENT, event=event, is_active=True).first()
    if rule is None or not rule.points:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        return _post(
            member=_active(member),
            kind=EntryKind.EARN,
            points=rule.points,
            reason=str(BonusEvent(event).label),
            source=EntrySource.EVENT,
            external_ref=external_ref,
            expires_at=_expiry(member.programme, now),
            data={"event": event},
            now=now,
        )
