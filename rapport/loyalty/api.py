"""The loyalty API for a shop or point of sale (``/api/v1/loyalty/...``).

Accrue the points of an order, read a member's balance and tier, list the rewards, redeem
one for a voucher, validate and consume a voucher at checkout, and take points back for a
return. Every refusal of the programme (``LoyaltyError``) is answered with its stable code and
a status from ``STATUS``; docs/api.md lists them.

Writes are idempotent by the shop's own references (the order number, the redemption's
``request_ref``, the return's ``reference``) and also take the ``Idempotency-Key`` header.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from rapport.accounts.api_idempotency import run_idempotent
from rapport.accounts.models import Role
from rapport.api import (
    ApiError,
    IdempotencyKeyHeader,
    InputSchema,
    Limit,
    Page,
    Timestamp,
    page_response,
)
from rapport.commerce.models import Order
from rapport.loyalty import actions
from rapport.loyalty.actions import LoyaltyError, Posted
from rapport.loyalty.models import EntryKind, LedgerEntry, Member, Programme, Reward, Voucher

router = Router(tags=["loyalty"])

#: The HTTP status of each refusal; codes not listed are 422 (the request itself is wrong).
STATUS = {
    "unknown_customer": 404,
    "not_member": 404,
    "unknown_reward": 404,
    "unknown_voucher": 404,
    "unknown_order": 404,
    "forbidden": 403,
    "customer_merged": 410,
    "voucher_expired": 410,
    "insufficient_points": 409,
    "out_of_stock": 409,
    "voucher_used": 409,
    "voucher_cancelled": 409,
    "member_closed": 409,
    "tier_too_low": 409,
    "reference_reused": 409,
    "replayed": 409,
    "order_not_revenue": 409,
    "nothing_to_reverse": 409,
    "no_programme": 409,
}
#: Roles that may change points (accrue, redeem, consume, return); every staff role may read.
WRITER_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
#: Days ahead for which a member's answer reports the points about to expire.
EXPIRY_WINDOW_DAYS = 30


def _money_value(value: Any) -> Any:
    """Accept money as a string ("49.90") or a whole number, never a float (see docs/api.md)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError(
            "rapport_wrong_type", _('Send the amount as a string such as "49.90".')
        )
    return str(value)


Money = Annotated[
    str, BeforeValidator(_money_value), Field(description='An amount such as "49.90"')
]
Reference = Annotated[str, Field(min_length=1, max_length=100)]
Currency = Annotated[str, Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR")]


# --- Schemas --------------------------------------------------------------------------------


class LineIn(InputSchema):
    amount: Money
    category: str = Field("", max_length=100)


class AccrualIn(InputSchema):
    customer: int = Field(description="The customer's id in Rapport")
    order: Reference = Field(description="The shop's order number; earns once")
    amount: Money
    currency: Currency
    lines: list[LineIn] = Field([], max_length=500)


class AccrualOut(Schema):
    entry_id: int
    customer: int
    order: str
    points: int
    balance: int
    replayed: bool = Field(description="True when this order had already earned its points")
    created_at: Timestamp


class TierOut(Schema):
    id: int
    name: str
    rank: int
    earn_multiplier: str
    free_shipping: bool
    early_access: bool
    account_manager: bool


class NextTierOut(Schema):
    id: int
    name: str
    spend_missing: str
    currency: str


class MemberOut(Schema):
    customer: int
    status: str
    balance: int
    point_value: str = Field(description="What one point is worth, in the programme's currency")
    currency: str
    tier: TierOut | None
    next_tier: NextTierOut | None
    expiring_points: int = Field(description="Points that expire in the next 30 days")
    expiring_before: Timestamp
    joined_at: Timestamp


class RewardOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    cost: int = Field(description="Points")
    value: str
    currency: str
    stock: int | None = Field(description="null: unlimited")
    valid_days: int
    min_tier: str | None


class RedemptionIn(InputSchema):
    customer: int
    reward: int
    request_ref: str | None = Field(
        None, max_length=100, description="Your id of this request (or send Idempotency-Key)"
    )


class VoucherOut(Schema):
    code: str
    status: str
    reward: int
    reward_name: str
    kind: str
    value: str
    currency: str
    valid_until: Timestamp
    customer: int


class RedemptionOut(VoucherOut):
    balance: int
    replayed: bool


class ValidateIn(InputSchema):
    code: str = Field(max_length=64)
    currency: Currency | None = None


class ValidOut(VoucherOut):
    valid: bool


class ConsumeIn(InputSchema):
    code: str = Field(max_length=64)
    order: Reference
    currency: Currency | None = None


class ConsumedOut(VoucherOut):
    consumed: bool
    consumed_at: Timestamp
    order: str
    replayed: bool


class ReturnIn(InputSchema):
    order: Reference = Field(description="The shop's order number the points were earned for")
    customer: int | None = Field(
        None, description="The customer's id: finds orders Rapport only knows from accruals"
    )
    share: Money = Field("1", description="The returned part, more than 0 and at most 1")
    reference: Reference = Field(description="Your id of this return; takes points back once")


class ReturnOut(Schema):
    order: str
    points: int = Field(description="Points taken back (0: nothing was earned or left)")
    shortfall: int = Field(description="Points that could not be taken back (balance too low)")
    balance: int | None
    replayed: bool


class PurchaseIn(InputSchema):
    customer: int = Field(description="The customer's id in Rapport")
    order: Reference = Field(description="The shop's order number; earns once")
    amount: Money
    currency: Currency


class BatchIn(InputSchema):
    purchases: list[PurchaseIn] = Field(min_length=1, max_length=500)


class RefusedOut(Schema):
    position: int = Field(description="Index of the purchase in the request, from 0")
    code: str
    message: str


class BatchOut(Schema):
    earned: int = Field(description="Purchases that earned points now")
    points: int = Field(description="Points they earned together")
    replayed: list[str] = Field(description="Order numbers that had already earned")
    refused: list[RefusedOut]


# --- Helpers --------------------------------------------------------------------------------


def _refusal(error: LoyaltyError) -> ApiError:
    return ApiError(STATUS.get(error.code, 422), error.code, error.message)


def _call(function, *args, **kwargs):
    """Run an action; answer its refusal as an API error, retrying once a lost race.

    ``replayed`` means a concurrent request with the same reference committed first: run
    again, and the action finds that request's result and returns it as a replay.
    """
    for attempt in range(2):
        try:
            return function(*args, **kwargs)
        except LoyaltyError as error:
            if error.code == "replayed" and attempt == 0:
                continue
            raise _refusal(error) from None
    raise AssertionError("unreachable")


def _require_writer(request) -> None:
    if request.auth.role not in WRITER_ROLES:
        raise PermissionDenied


def _programme() -> Programme:
    return _call(actions.default_programme)


def _member(customer_id: int, programme: Programme) -> Member:
    """Return the membership of a live customer (merged and unknown customers are refused)."""
    customer = _call(actions.live_customer, customer_id)
    member = (
        Member.objects.select_related("tier", "programme")
        .filter(programme=programme, customer=customer)
        .first()
    )
    if member is None:
        raise ApiError(
            404, "not_member", _("This customer has not joined the loyalty programme yet.")
        )
    return member


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def voucher_fields(voucher: Voucher) -> dict[str, Any]:
    return {
        "code": voucher.code,
        "status": voucher.status,
        "reward": voucher.reward_id,
        "reward_name": voucher.reward.name,
        "kind": voucher.reward.kind,
        "value": _money(voucher.value),
        "currency": voucher.currency,
        "valid_until": voucher.valid_until,
        "customer": voucher.member.customer_id,
    }


def _load_voucher(pk: int) -> Voucher:
    return Voucher.objects.select_related("reward", "member").get(pk=pk)


def member_out(member: Member, now: datetime) -> MemberOut:
    programme = member.programme
    tier = member.tier
    upcoming = actions.next_tier(member, now)
    window = now + timedelta(days=EXPIRY_WINDOW_DAYS)
    return MemberOut(
        customer=member.customer_id,
        status=member.status,
        balance=member.balance,
        point_value=str(programme.point_value),
        currency=programme.currency,
        tier=None
        if tier is None
        else TierOut(
            id=tier.pk,
            name=tier.name,
            rank=tier.rank,
            earn_multiplier=str(tier.earn_multiplier),
            free_shipping=tier.free_shipping,
            early_access=tier.early_access,
            account_manager=tier.account_manager,
        ),
        next_tier=None
        if upcoming is None
        else NextTierOut(
            id=upcoming[0].pk,
            name=upcoming[0].name,
            spend_missing=_money(upcoming[1]),
            currency=programme.currency,
        ),
        # Never more than the balance: what was already spent cannot expire.
        expiring_points=max(0, min(actions.expiring_points(member, window), member.balance)),
        expiring_before=window,
        joined_at=member.joined_at,
    )


def reward_out(reward: Reward) -> RewardOut:
    return RewardOut(
        id=reward.pk,
        name=reward.name,
        description=reward.description,
        kind=reward.kind,
        cost=reward.cost,
        value=_money(reward.value),
        currency=reward.programme.currency,
        stock=reward.stock,
        valid_days=reward.valid_days,
        min_tier=reward.min_tier.name if reward.min_tier else None,
    )


# --- Endpoints ------------------------------------------------------------------------------


@router.post("/loyalty/accruals", response={200: AccrualOut, 201: AccrualOut})
def post_accrual(request, payload: AccrualIn, idempotency_key: IdempotencyKeyHeader = None):
    """Earn the points of an order once (201); the same order again answers 200, unchanged."""
    _require_writer(request)

    def run():
        programme = _programme()
        customer = _call(actions.live_customer, payload.customer)
        posted: Posted = _call(
            actions.accrue_purchase,
            customer=customer,
            amount=payload.amount,
            currency=payload.currency,
            external_ref=payload.order,
            programme=programme,
            categories=[(line.amount, line.category) for line in payload.lines],
        )
        entry = posted.entry
        member = Member.objects.get(pk=entry.member_id)
        if member.customer_id != customer.pk:
            # Another customer's order number: never show or change their account.
            raise ApiError(
                409,
                "reference_reused",
                _("This order number already earned points for another customer."),
            )
        body = AccrualOut(
            entry_id=entry.pk,
            customer=customer.pk,
            order=payload.order.strip(),
            points=entry.points,
            balance=member.balance,
            replayed=posted.replayed,
            created_at=entry.created_at,
        )
        return (200 if posted.replayed else 201), body

    return run_idempotent(request, idempotency_key, run)


@router.post("/loyalty/accruals/batch", response=BatchOut)
def post_accrual_batch(request, payload: BatchIn):
    """Earn the points of up to 500 purchases at once (a shop's order feed).

    Each purchase is checked on its own: the refused ones are listed by position, the others
    earn, each order number once. Safe to send again: earned orders come back as replayed.
    """
    _require_writer(request)
    programme = _programme()
    result = _call(
        actions.accrue_purchases,
        purchases=[
            actions.Purchase(p.customer, p.amount, p.currency, p.order) for p in payload.purchases
        ],
        programme=programme,
    )
    return BatchOut(
        earned=len(result.posted),
        points=sum(entry.points for entry in result.posted),
        replayed=result.replayed,
        refused=[
            RefusedOut(position=position, code=error.code, message=error.message)
            for position, error in sorted(result.refused.items())
        ],
    )


@router.get("/loyalty/members/{customer_id}", response=MemberOut)
def get_member(request, customer_id: int):
    """Return a customer's balance, tier, the spend missing to the next tier and expiring points."""
    return member_out(_member(customer_id, _programme()), timezone.now())


@router.get("/loyalty/rewards", response=Page[RewardOut])
def list_rewards(request, cursor: str | None = Query(None, max_length=1000), limit: Limit = 25):
    """List the active rewards of the programme, cheapest first."""
    qs = Reward.objects.filter(programme=_programme(), is_active=True).select_related(
        "programme", "min_tier"
    )
    return page_response(qs, ("cost", "id"), cursor=cursor, limit=limit, serialize=reward_out)


@router.post("/loyalty/redemptions", response={200: RedemptionOut, 201: RedemptionOut})
def post_redemption(request, payload: RedemptionIn, idempotency_key: IdempotencyKeyHeader = None):
    """Spend a reward's points for a voucher (201); the same ``request_ref`` again answers 200."""
    _require_writer(request)
    ref = (payload.request_ref or idempotency_key or "").strip()
    if not ref:
        message = _(
            "Send a request_ref (or an Idempotency-Key) so that a retry cannot spend twice."
        )
        raise ApiError(
            422,
            "missing_reference",
            message,
            {"request_ref": [{"code": "required", "message": message}]},
        )

    def run():
        programme = _programme()
        member = _member(payload.customer, programme)
        reward = Reward.objects.filter(pk=payload.reward, programme=programme).first()
        if reward is None:
            raise ApiError(404, "unknown_reward", _("There is no such reward."))
        now = timezone.now()
        voucher = _call(
            actions.redeem_reward, member=member, reward=reward, request_ref=ref, now=now
        )
        replayed = voucher.created_at != now
        member.refresh_from_db(fields=["balance"])
        body = RedemptionOut(
            **voucher_fields(_load_voucher(voucher.pk)), balance=member.balance, replayed=replayed
        )
        return (200 if replayed else 201), body

    return run_idempotent(request, idempotency_key, run)


@router.post("/loyalty/vouchers/validate", response=ValidOut)
def validate_voucher(request, payload: ValidateIn):
    """Tell whether a voucher can be used now (and in ``currency``); refusals name the reason."""
    voucher = _call(actions.validate_voucher, code=payload.code, currency=payload.currency or "")
    return ValidOut(**voucher_fields(voucher), valid=True)


@router.post("/loyalty/vouchers/consume", response=ConsumedOut)
def consume_voucher(request, payload: ConsumeIn, idempotency_key: IdempotencyKeyHeader = None):
    """Use a voucher once, for an order; the same order again answers the same (``replayed``)."""
    _require_writer(request)

    def run():
        now = timezone.now()
        voucher = _call(
            actions.consume_voucher,
            code=payload.code,
            order_ref=payload.order,
            currency=payload.currency or "",
            now=now,
        )
        voucher = _load_voucher(voucher.pk)
        body = ConsumedOut(
            **voucher_fields(voucher),
            consumed=True,
            consumed_at=voucher.consumed_at,
            order=voucher.consumed_ref,
            replayed=voucher.consumed_at != now,
        )
        return 200, body

    return run_idempotent(request, idempotency_key, run)


@router.post("/loyalty/returns", response=ReturnOut)
def post_return(request, payload: ReturnIn, idempotency_key: IdempotencyKeyHeader = None):
    """Take back the points of a returned order, all or ``share`` of them, once per reference."""
    _require_writer(request)

    def run():
        number = payload.order.strip()
        if payload.customer is not None:
            # The shop names the customer: the order number as its accrual was made.
            customer = _call(actions.live_customer, payload.customer)
            if (
                not LedgerEntry.objects.filter(
                    kind=EntryKind.EARN, external_ref=f"order:{number}", member__customer=customer
                ).exists()
                and not Order.objects.filter(number=number, customer=customer).exists()
            ):
                raise ApiError(404, "unknown_order", _("There is no order with this number."))
            posted = _call(
                actions.reverse_purchase,
                customer=customer,
                order_number=number,
                share=payload.share,
                external_ref=payload.reference,
            )
        else:
            order = Order.objects.filter(number=number).order_by("pk").first()
            if order is None:
                raise ApiError(404, "unknown_order", _("There is no order with this number."))
            posted = _call(
                actions.reverse_order,
                order=order,
                share=payload.share,
                external_ref=payload.reference,
            )
        if posted is None:
            body = ReturnOut(order=number, points=0, shortfall=0, balance=None, replayed=False)
            return 200, body
        entry = posted.entry
        body = ReturnOut(
            order=number,
            points=-entry.points,
            shortfall=int(entry.data.get("shortfall", 0)),
            balance=Member.objects.values_list("balance", flat=True).get(pk=entry.member_id),
            replayed=posted.replayed,
        )
        return 200, body

    return run_idempotent(request, idempotency_key, run)
