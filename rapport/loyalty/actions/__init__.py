"""Every change of the loyalty programme: joining, earning, redeeming, vouchers, reversals,
adjustments, expiry, tiers, merging.

Points change only here, and always the same way (``_post``): one ledger entry and the kept
balance moved by the same amount in one transaction. A spend is guarded by a conditional
``UPDATE ... WHERE balance >= cost``, so concurrent redemptions never overdraw an account on
SQLite or PostgreSQL; a replayed request finds its first entry by ``external_ref``.

The actions live in modules by concept (``common``, ``earning``, ``vouchers``,
``corrections``, ``expiry``, ``tiers``, ``merging``); import them from here.
"""

from rapport.loyalty.actions.common import (
    CODE_LENGTH,
    MAX_AMOUNT,
    MAX_POINTS,
    LoyaltyError,
    Posted,
    balance_of,
    clean_amount,
    clean_points,
    default_programme,
    live_customer,
    months_later,
)
from rapport.loyalty.actions.corrections import (
    adjust_points,
    may_adjust,
    reverse_order,
    reverse_purchase,
)
from rapport.loyalty.actions.earning import (
    BatchResult,
    Purchase,
    accrue_order,
    accrue_purchase,
    accrue_purchases,
    award_bonus,
    category_multipliers,
    enroll_customer,
)
from rapport.loyalty.actions.expiry import expire_points, expiring_points
from rapport.loyalty.actions.merging import merge_memberships
from rapport.loyalty.actions.tiers import (
    assign_account_manager,
    next_tier,
    qualifying,
    recalculate_tier,
)
from rapport.loyalty.actions.vouchers import (
    consume_voucher,
    find_voucher,
    redeem_reward,
    validate_voucher,
)

__all__ = [
    "CODE_LENGTH",
    "MAX_AMOUNT",
    "MAX_POINTS",
    "BatchResult",
    "LoyaltyError",
    "Posted",
    "Purchase",
    "accrue_order",
    "accrue_purchase",
    "accrue_purchases",
    "adjust_points",
    "award_bonus",
    "balance_of",
    "category_multipliers",
    "clean_amount",
    "clean_points",
    "consume_voucher",
    "default_programme",
    "enroll_customer",
    "expire_points",
    "expiring_points",
    "find_voucher",
    "live_customer",
    "may_adjust",
    "merge_memberships",
    "months_later",
    "next_tier",
    "qualifying",
    "assign_account_manager",
    "recalculate_tier",
    "redeem_reward",
    "reverse_order",
    "reverse_purchase",
    "validate_voucher",
]
