"""Spending points on rewards, and the vouchers a shop validates and consumes at checkout."""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.customers.models import Customer
from rapport.loyalty.actions.common import (
    CODE_ALPHABET,
    CODE_LENGTH,
    LoyaltyError,
    _active,
    _post,
)
from rapport.loyalty.models import (
    EntryKind,
    EntrySource,
    Member,
    Reward,
    Voucher,
    VoucherStatus,
)


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
    external_ref = f"redeem:{ref}" if ref else ""
    earlier = _earlier_voucher(member, reward, external_ref)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            if reward.stock is not None and not Reward.objects.filter(
                pk=reward.pk, stock__gt=0
            ).update(stock=F("stock") - 1):
                raise LoyaltyError("out_of_stock", _("This reward is out of stock."))
            posted = _post(
                member=member,
                kind=EntryKind.REDEEM,
                points=-reward.cost,
                reason=reward.name,
                source=EntrySource.REWARD,
                external_ref=external_ref,
                data={"reward": reward.pk},
                now=now,
                guard_balance=True,
            )
            if posted.replayed:
                raise _SameRequest  # undoes this request's stock change with the savepoint
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
    except (_SameRequest, LoyaltyError) as error:
        # The same request running at the same moment committed first: its voucher is the
        # answer, whether this one met its ledger entry, the balance it spent or the last
        # item in stock.
        earlier = _earlier_voucher(member, reward, external_ref)
        if earlier is not None:
            return earlier
        if isinstance(error, LoyaltyError):
            raise
        raise LoyaltyError(
            "reference_reused", _("This request reference was used for another redemption.")
        ) from None


class _SameRequest(Exception):
    """Raised inside the redemption's transaction when its reference was posted already."""


def _earlier_voucher(member: Member, reward: Reward, external_ref: str) -> Voucher | None:
    """Return the voucher an earlier request with ``external_ref`` got, if it was this one."""
    if not external_ref:
        return None
    earlier = Voucher.objects.filter(
        entry__programme_id=member.programme_id,
        entry__kind=EntryKind.REDEEM,
        entry__external_ref=external_ref,
    ).first()
    if earlier is not None and (earlier.member_id != member.pk or earlier.reward_id != reward.pk):
        raise LoyaltyError(
            "reference_reused", _("This request reference was used for another redemption.")
        )
    return earlier


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
