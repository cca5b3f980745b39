"""Every change of the loyalty programme: joining, earning, redeeming, vouchers, reversals,
adjustments, expiry, tiers, merging.

Points change only here, and always the same way (``_post``): one ledger entry and the kept
balance moved by the same amount in one transaction. A spend is guarded by a conditional
``UPDATE ... WHERE balance >= cost``, so concurrent redemptions never overdraw an account on
SQLite or PostgreSQL; a replayed request finds its first entry by ``external_ref``.
"""

import calendar
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Role
from rapport.commerce.models import Order
from rapport.customers.models import Customer, CustomerMerge
from rapport.loyalty.models import (
    BonusEvent,
    EarnKind,
    EntryKind,
    EntrySource,
    LedgerEntry,
    Member,
    MemberStatus,
    Programme,
    Reward,
    Tier,
    Voucher,
    VoucherStatus,
)

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


# --- Reading the rules ---------------------------------------------------------------------


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
            _("The amount is larger than %(limit)s.") % {"limit": f"{MAX_AMOUNT:,}"},
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
            _("More than %(limit)s points at once are refused.") % {"limit": f"{MAX_POINTS:,}"},
        )
    return int(number)


def _check_currency(programme: Programme, currency: str) -> None:
    if (currency or "").upper() != programme.currency.upper():
        raise LoyaltyError(
            "wrong_currency",
            _("The programme counts in %(programme)s, not %(currency)s.")
            % {"programme": programme.currency, "currency": currency or "?"},
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


# --- Members -------------------------------------------------------------------------------


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


def _entry_tier(programme: Programme) -> Tier | None:
    return programme.tiers.order_by("rank").first()


def _active(member: Member) -> Member:
    if member.status != MemberStatus.ACTIVE:
        raise LoyaltyError("member_closed", _("This membership is closed."))
    return member


# --- The one way points move ---------------------------------------------------------------


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
                    _("The balance does not cover %(points)s points.") % {"points": f"{-points:,}"},
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
    return Posted(entry)


# --- Earning -------------------------------------------------------------------------------


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


def _expiry(programme: Programme, now: datetime) -> datetime | None:
    if not programme.expiry_months:
        return None
    return months_later(now, programme.expiry_months)


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


# --- Spending ------------------------------------------------------------------------------


def redeem_reward(
    *, member: Member, reward: Reward, request_ref: str = "", now: datetime | None = None
) -> Voucher:
    """Spend a reward's points and issue its voucher; a replayed ``request_ref`` gives the same."""
    now = now or timezone.now()
    if not Customer.objects.filter(pk=member.customer_id).exists():
        raise LoyaltyError("unknown_customer", _("There is no such customer."))
    _active(member)
    if reward.programme_id != member.programme_id or not reward.is_active:
        raise LoyaltyError("unknown_reward", _("There is no such reward."))
    if reward.min_tier and (member.tier is None or member.tier.rank < reward.min_tier.rank):
        raise LoyaltyError(
            "tier_too_low",
            _("This reward is for %(tier)s members and above.") % {"tier": reward.min_tier.name},
        )
    ref = (request_ref or "").strip()[:100]
    with transaction.atomic():
        if ref:
            earlier = Voucher.objects.filter(
                entry__programme_id=member.programme_id,
                entry__kind=EntryKind.REDEEM,
                entry__external_ref=f"redeem:{ref}",
            ).first()
            if earlier is not None:
                if earlier.member_id != member.pk or earlier.reward_id != reward.pk:
                    raise LoyaltyError(
                        "reference_reused",
                        _("This request reference was used for another redemption."),
                    )
                return earlier
        if reward.stock is not None and not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(
            stock=F("stock") - 1
        ):
            raise LoyaltyError("out_of_stock", _("This reward is out of stock."))
        posted = _post(
            member=member,
            kind=EntryKind.REDEEM,
            points=-reward.cost,
            reason=reward.name,
            source=EntrySource.REWARD,
            external_ref=f"redeem:{ref}" if ref else "",
            data={"reward": reward.pk},
            now=now,
            guard_balance=True,
        )
        return Voucher.objects.create(
            code=_new_code(),
            member=member,
            reward=reward,
            entry=posted.entry,
            value=reward.value,
            currency=member.programme.currency,
            valid_until=now + timedelta(days=reward.valid_days),
            created_at=now,
        )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def find_voucher(code: Any) -> Voucher:
    """Return the voucher of ``code`` (spaces, dashes and case ignored), or raise LoyaltyError."""
    cleaned = "".join(ch for ch in str(code or "").upper() if ch.isalnum())
    voucher = Voucher.objects.select_related("member", "reward").filter(code=cleaned).first()
    if voucher is None or len(cleaned) != CODE_LENGTH:
        raise LoyaltyError("unknown_voucher", _("There is no such voucher."))
    return voucher


def validate_voucher(*, code: Any, currency: str = "", now: datetime | None = None) -> Voucher:
    """Return the voucher if it can be used now (and in ``currency``), or raise LoyaltyError."""
    voucher = find_voucher(code)
    now = now or timezone.now()
    if voucher.status == VoucherStatus.CONSUMED:
        raise LoyaltyError("voucher_used", _("This voucher was already used."))
    if voucher.status == VoucherStatus.CANCELLED:
        raise LoyaltyError("voucher_cancelled", _("This voucher was cancelled."))
    if voucher.valid_until <= now:
        raise LoyaltyError("voucher_expired", _("This voucher has expired."))
    if currency and currency.upper() != voucher.currency.upper():
        raise LoyaltyError(
            "wrong_currency",
            _("This voucher is in %(voucher)s, not %(currency)s.")
            % {"voucher": voucher.currency, "currency": currency},
        )
    return voucher


def consume_voucher(
    *, code: Any, order_ref: str, currency: str = "", now: datetime | None = None
) -> Voucher:
    """Use a voucher once, for ``order_ref``; the same order again is told it already has it."""
    now = now or timezone.now()
    voucher = find_voucher(code)
    ref = (order_ref or "").strip()[:120]
    if not ref:
        raise LoyaltyError("missing_reference", _("Name the order the voucher is used for."))
    if voucher.status == VoucherStatus.CONSUMED and voucher.consumed_ref == ref:
        return voucher  # a replay of the same checkout
    validate_voucher(code=voucher.code, currency=currency, now=now)
    with transaction.atomic():
        taken = Voucher.objects.filter(
            pk=voucher.pk, status=VoucherStatus.ISSUED, valid_until__gt=now
        ).update(status=VoucherStatus.CONSUMED, consumed_at=now, consumed_ref=ref)
    if not taken:
        raise LoyaltyError("voucher_used", _("This voucher was already used."))
    voucher.refresh_from_db()
    return voucher


# --- Taking back ---------------------------------------------------------------------------


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


def adjust_points(*, member: Member, points: Any, reason: str, actor, now=None) -> Posted:
    """Add or remove points by hand, with a reason; audited as the entry's actor."""
    if not may_adjust(actor):
        raise LoyaltyError("forbidden", _("You may not adjust loyalty points."))
    amount = clean_points(points)
    reason = (reason or "").strip()
    if not reason:
        raise LoyaltyError("missing_reason", _("Give a reason for the adjustment."))
    with transaction.atomic():
        return _post(
            member=_active(member),
            kind=EntryKind.ADJUST,
            points=amount,
            reason=reason,
            source=EntrySource.STAFF,
            actor=actor,
            now=now,
            guard_balance=not member.programme.allow_debt,
        )


# --- Expiry, oldest points first -----------------------------------------------------------


def expiring_points(member: Member, moment: datetime) -> int:
    """Return the points of ``member`` that have expired by ``moment`` and are still there.

    Points are spent oldest first: every redemption, reversal, negative adjustment and
    earlier expiry uses up the oldest earned points still left.
    """
    lots: list[list] = []  # [expires_at or None, points left]
    for points, expires_at in member.entries.order_by("created_at", "pk").values_list(
        "points", "expires_at"
    ):
        if points > 0:
            lots.append([expires_at, points])
            continue
        owed = -points
        for lot in lots:
            used = min(lot[1], owed)
            lot[1] -= used
            owed -= used
            if not owed:
                break
    return sum(left for expires, left in lots if expires is not None and expires <= moment)


def expire_points(*, now: datetime | None = None) -> int:
    """Expire the points past their date, oldest first; return how many members lost points."""
    now = now or timezone.now()
    touched = 0
    members = (
        Member.objects.filter(
            balance__gt=0,
            entries__kind=EntryKind.EARN,
            entries__expires_at__lte=now,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in list(members):
        with transaction.atomic():
            member = Member.objects.select_related("programme").get(pk=pk)
            points = min(expiring_points(member, now), member.balance)
            if points <= 0:
                continue
            _post(
                member=member,
                kind=EntryKind.EXPIRE,
                points=-points,
                reason=_("Points expired"),
                source=EntrySource.SYSTEM,
                external_ref=f"expire:{member.pk}:{now.date().isoformat()}",
                now=now,
                guard_balance=True,
            )
            touched += 1
    return touched


# --- Tiers ---------------------------------------------------------------------------------


def qualifying(member: Member, now: datetime) -> tuple[Decimal, int]:
    """Return the member's spend and points earned in the twelve months before ``now``."""
    since = months_later(now, -12)
    found = member.entries.filter(kind=EntryKind.EARN, created_at__gt=since).aggregate(
        spend=Sum("amount"), points=Sum("points")
    )
    reversed_amounts = member.entries.filter(
        kind=EntryKind.REVERSE, created_at__gt=since
    ).aggregate(points=Sum("points"))
    points = (found["points"] or 0) + (reversed_amounts["points"] or 0)
    return found["spend"] or Decimal("0"), max(points, 0)


def recalculate_tier(*, member: Member, now: datetime | None = None) -> Tier | None:
    """Put the member in the highest tier their last twelve months qualify for."""
    now = now or timezone.now()
    spend, points = qualifying(member, now)
    tiers = list(member.programme.tiers.order_by("-rank"))
    chosen = next(
        (t for t in tiers if spend >= t.min_spend and points >= t.min_points),
        tiers[-1] if tiers else None,
    )
    if chosen is not None and chosen.pk != member.tier_id:
        Member.objects.filter(pk=member.pk).update(tier=chosen, tier_changed_at=now)
        member.tier, member.tier_changed_at = chosen, now
    return member.tier


def next_tier(member: Member, now: datetime | None = None) -> tuple[Tier, Decimal] | None:
    """Return the next tier up and the spend still missing for it, or None at the top."""
    now = now or timezone.now()
    rank = member.tier.rank if member.tier else -1
    higher = member.programme.tiers.filter(rank__gt=rank).order_by("rank").first()
    if higher is None:
        return None
    spend, _points = qualifying(member, now)
    return higher, max(higher.min_spend - spend, Decimal("0"))


# --- Merging customers ---------------------------------------------------------------------


def merge_memberships(*, merged: Customer, survivor: Customer) -> None:
    """Move ``merged``'s memberships to ``survivor`` before the merge deletes ``merged``.

    Where both are members of a programme, the merged member's entries and vouchers move to
    the survivor's membership and its balance is added; the entries themselves are unchanged.
    """
    for member in Member.objects.filter(customer=merged).select_for_update():
        kept = Member.objects.filter(programme=member.programme, customer=survivor).first()
        if kept is None:
            Member.objects.filter(pk=member.pk).update(customer=survivor)
            continue
        LedgerEntry.objects.filter(member=member).update(member=kept)
        Voucher.objects.filter(member=member).update(member=kept)
        Member.objects.filter(pk=kept.pk).update(balance=F("balance") + member.balance)
        member.delete()


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
