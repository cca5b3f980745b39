"""The points ledger: earning, redeeming, vouchers, returns, adjustments, expiry, tiers, merges.

Every test ends with the kept balances equal to the ledger (``assert_verified``).
"""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rapport.commerce.models import OrderStatus
from rapport.customers.actions import merge_customers
from rapport.loyalty import actions
from rapport.loyalty.actions import LoyaltyError
from rapport.loyalty.models import EntryKind, LedgerEntry, Member, Reward, RewardKind, Voucher
from rapport.loyalty.queries import balance_differences
from rapport.loyalty.tests.conftest import NOW


def assert_verified() -> None:
    checked, differing, shown = balance_differences()
    assert differing == 0, shown


def member_of(customer) -> Member:
    return Member.objects.get(customer=customer)


def give(member: Member, points: int, cast) -> None:
    actions.adjust_points(member=member, points=points, reason="Test credit", actor=cast.admin)
    member.refresh_from_db()


# --- Earning -------------------------------------------------------------------------------


def test_an_order_earns_points_per_euro_with_category_multipliers_and_a_sign_up_bonus(
    programme, order, cast
):
    posted = actions.accrue_order(order=order(lines=[(50, "electronics"), (30, "books")]), now=NOW)
    assert posted.entry.points == 50 * 2 + 30
    member = member_of(cast.customer)
    assert member.balance == 130 + 100  # the sign-up bonus came with joining
    assert member.tier.name == "Bronze"
    assert posted.entry.expires_at == NOW.replace(year=2028)
    assert_verified()


def test_the_same_order_twice_earns_once(programme, order, cast):
    bought = order()
    first = actions.accrue_order(order=bought, now=NOW)
    again = actions.accrue_order(order=bought, now=NOW)
    assert again.replayed and again.entry.pk == first.entry.pk
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN, order=bought).count() == 1
    assert_verified()


def test_a_shop_purchase_replayed_with_the_same_reference_earns_once(programme, cast):
    for _attempt in range(3):
        actions.accrue_purchase(
            customer=cast.customer, amount="19.99", currency="EUR", external_ref="SHOP-1", now=NOW
        )
    assert member_of(cast.customer).balance == 19 + 100
    assert_verified()


@pytest.mark.parametrize(
    "amount", ["-5", "0", "NaN", "nan", "Infinity", "-Infinity", "1e12", "abc", "", None]
)
def test_bad_amounts_are_refused_and_nothing_is_written(programme, cast, amount):
    with pytest.raises(LoyaltyError) as refused:
        actions.accrue_purchase(
            customer=cast.customer, amount=amount, currency="EUR", external_ref="X-1"
        )
    assert refused.value.code == "invalid_amount"
    assert not LedgerEntry.objects.filter(kind=EntryKind.EARN, external_ref="order:X-1").exists()
    assert_verified()


def test_another_currency_than_the_programme_s_is_refused(programme, order, cast):
    with pytest.raises(LoyaltyError) as refused:
        actions.accrue_order(order=order(currency="USD"))
    assert refused.value.code == "wrong_currency"
    assert not Member.objects.exists()


def test_a_cancelled_order_earns_nothing(programme, order):
    with pytest.raises(LoyaltyError) as refused:
        actions.accrue_order(order=order(status=OrderStatus.CANCELLED))
    assert refused.value.code == "order_not_revenue"


def test_a_purchase_needs_a_reference_and_lines_within_the_total(programme, cast):
    with pytest.raises(LoyaltyError, match="reference"):
        actions.accrue_purchase(customer=cast.customer, amount=10, currency="EUR", external_ref=" ")
    with pytest.raises(LoyaltyError) as refused:
        actions.accrue_purchase(
            customer=cast.customer,
            amount=10,
            currency="EUR",
            external_ref="L-1",
            categories=[(8, "electronics"), (8, "")],
        )
    assert refused.value.code == "invalid_amount"


# --- Redeeming and vouchers ----------------------------------------------------------------


def test_redeeming_spends_the_points_and_gives_an_unguessable_voucher(
    programme, voucher_reward, cast
):
    member = actions.enroll_customer(customer=cast.customer)
    give(member, 900, cast)
    voucher = actions.redeem_reward(member=member, reward=voucher_reward, now=NOW)
    member.refresh_from_db()
    assert member.balance == 1000 - 500
    assert len(voucher.code) == 16 and voucher.code.isalnum()
    assert voucher.value == Decimal("5.00") and voucher.currency == "EUR"
    assert voucher.valid_until == NOW + timedelta(days=90)
    other = actions.redeem_reward(member=member, reward=voucher_reward, now=NOW)
    assert other.code != voucher.code
    assert_verified()


def test_redeeming_more_than_the_balance_is_refused_and_nothing_changes(
    programme, voucher_reward, cast
):
    member = actions.enroll_customer(customer=cast.customer)
    with pytest.raises(LoyaltyError) as refused:
        actions.redeem_reward(member=member, reward=voucher_reward)
    assert refused.value.code == "insufficient_points"
    member.refresh_from_db()
    assert member.balance == 100
    assert not Voucher.objects.exists()
    assert_verified()


def test_a_replayed_redemption_gives_the_same_voucher_and_spends_once(
    programme, voucher_reward, cast
):
    member = actions.enroll_customer(customer=cast.customer)
    give(member, 1900, cast)
    first = actions.redeem_reward(member=member, reward=voucher_reward, request_ref="req-1")
    again = actions.redeem_reward(member=member, reward=voucher_reward, request_ref="req-1")
    assert again.pk == first.pk
    member.refresh_from_db()
    assert member.balance == 1500
    assert_verified()


def test_a_reward_out_of_stock_is_refused_and_costs_nothing(programme, cast):
    member = actions.enroll_customer(customer=cast.customer)
    give(member, 5000, cast)
    mug = Reward.objects.create(
        programme=programme, name="Mug", kind=RewardKind.PRODUCT, cost=300, stock=1
    )
    actions.redeem_reward(member=member, reward=mug)
    with pytest.raises(LoyaltyError) as refused:
        actions.redeem_reward(member=member, reward=mug)
    assert refused.value.code == "out_of_stock"
    member.refresh_from_db()
    assert member.balance == 5100 - 300
    assert_verified()


def test_a_reward_for_a_higher_tier_is_refused(programme, cast):
    member = actions.enroll_customer(customer=cast.customer)
    give(member, 5000, cast)
    gold_only = Reward.objects.create(
        programme=programme,
        name="Lounge",
        kind=RewardKind.PRODUCT,
        cost=100,
        min_tier=programme.tiers.get(name="Gold"),
    )
    with pytest.raises(LoyaltyError) as refused:
        actions.redeem_reward(member=member, reward=gold_only)
    assert refused.value.code == "tier_too_low"


def test_a_voucher_is_validated_and_consumed_once(programme, voucher_reward, cast):
    member = actions.enroll_customer(customer=cast.customer)
    give(member, 400, cast)
    voucher = actions.redeem_reward(member=member, reward=voucher_reward, now=NOW)
    spaced = "-".join(voucher.code[i : i + 4] for i in range(0, 16, 4)).lower()
    assert actions.validate_voucher(code=spaced, currency="EUR", now=NOW).pk == voucher.pk
    used = actions.consume_voucher(code=voucher.code, order_ref="SHOP-9", now=NOW)
    assert used.status == "consumed" and used.consumed_ref == "SHOP-9"
    # The same checkout again is a replay; another order is refused.
    assert actions.consume_voucher(code=voucher.code, order_ref="SHOP-9", now=NOW).pk == voucher.pk
    with pytest.raises(LoyaltyError) as refused:
        actions.consume_voucher(code=voucher.code, order_ref="SHOP-10", now=NOW)
    assert refused.value.code == "voucher_used"


@pytest.mark.parametrize(
    "code,moment,currency,expected",
    [
        ("NOSUCHCODE234567", 0, "EUR", "unknown_voucher"),
        ("short", 0, "EUR", "unknown_voucher"),
        ("", 0, "EUR", "unknown_voucher"),
        (None, 91, "EUR", "voucher_expired"),
        (None, 0, "USD", "wrong_currency"),
    ],
)
def test_unknown_expired_or_foreign_vouchers_are_refused(
    programme, voucher_reward, cast, code, moment, currency, expected
):
    member = actions.enroll_customer(customer=cast.customer)
    give(member, 400, cast)
    voucher = actions.redeem_reward(member=member, reward=voucher_reward, now=NOW)
    with pytest.raises(LoyaltyError) as refused:
        actions.consume_voucher(
            code=voucher.code if code is None else code,
            order_ref="SHOP-1",
            currency=currency,
            now=NOW + timedelta(days=moment),
        )
    assert refused.value.code == expected
    voucher.refresh_from_db()
    assert voucher.status == "issued"


# --- Returns -------------------------------------------------------------------------------


def test_a_partial_return_takes_back_its_share_and_never_more_than_was_earned(
    programme, order, cast
):
    bought = order(lines=[(200, "")])
    actions.accrue_order(order=bought, now=NOW)
    half = actions.reverse_order(order=bought, share="0.5", external_ref="R-1", now=NOW)
    assert half.entry.points == -100
    again = actions.reverse_order(order=bought, share="0.5", external_ref="R-1", now=NOW)
    assert again.replayed
    rest = actions.reverse_order(order=bought, share="1", external_ref="R-2", now=NOW)
    assert rest.entry.points == -100  # only what was left of the 200
    assert actions.reverse_order(order=bought, share="1", external_ref="R-3", now=NOW) is None
    assert member_of(cast.customer).balance == 100  # the sign-up bonus stays
    assert_verified()


def test_a_return_never_drives_a_balance_negative_without_the_debt_rule(
    programme, order, voucher_reward, cast
):
    bought = order(lines=[(600, "")])
    actions.accrue_order(order=bought, now=NOW)
    member = member_of(cast.customer)
    actions.redeem_reward(member=member, reward=voucher_reward)  # 700 - 500 = 200 left
    posted = actions.reverse_order(order=bought, external_ref="R-1", now=NOW)
    assert posted.entry.points == -200
    assert posted.entry.data["shortfall"] == 400
    assert member_of(cast.customer).balance == 0
    programme.allow_debt = True
    programme.save()
    other = order(lines=[(600, "")])
    actions.accrue_order(order=other, now=NOW)  # 600
    actions.redeem_reward(member=member_of(cast.customer), reward=voucher_reward, now=NOW)
    posted = actions.reverse_order(order=other, external_ref="R-2", now=NOW)
    assert posted.entry.points == -600 and posted.entry.data["shortfall"] == 0
    assert member_of(cast.customer).balance == 100 - 600
    assert_verified()


@pytest.mark.parametrize("share", ["0", "-0.5", "1.5", "NaN", "half"])
def test_a_return_share_outside_zero_to_one_is_refused(programme, order, share):
    bought = order()
    actions.accrue_order(order=bought)
    with pytest.raises(LoyaltyError) as refused:
        actions.reverse_order(order=bought, share=share, external_ref="R-1")
    assert refused.value.code == "invalid_share"


# --- Adjustments ---------------------------------------------------------------------------


def test_an_adjustment_needs_the_permission_and_a_reason_and_is_audited(programme, cast):
    member = actions.enroll_customer(customer=cast.customer)
    with pytest.raises(LoyaltyError) as refused:
        actions.adjust_points(member=member, points=50, reason="Goodwill", actor=cast.agent)
    assert refused.value.code == "forbidden"
    with pytest.raises(LoyaltyError) as refused:
        actions.adjust_points(member=member, points=50, reason="  ", actor=cast.manager)
    assert refused.value.code == "missing_reason"
    posted = actions.adjust_points(
        member=member, points="50", reason="Goodwill", actor=cast.manager
    )
    assert posted.entry.actor == cast.manager and posted.entry.reason == "Goodwill"
    assert_verified()


@pytest.mark.parametrize("points", [0, "0", 1.5, "abc", "NaN", 10**12, True])
def test_bad_adjustments_are_refused(programme, cast, points):
    member = actions.enroll_customer(customer=cast.customer)
    with pytest.raises(LoyaltyError) as refused:
        actions.adjust_points(member=member, points=points, reason="x", actor=cast.admin)
    assert refused.value.code == "invalid_points"


def test_a_negative_adjustment_beyond_the_balance_is_refused(programme, cast):
    member = actions.enroll_customer(customer=cast.customer)
    with pytest.raises(LoyaltyError) as refused:
        actions.adjust_points(member=member, points=-101, reason="Fix", actor=cast.admin)
    assert refused.value.code == "insufficient_points"
    assert_verified()


# --- Expiry and tiers ----------------------------------------------------------------------


def test_points_expire_oldest_first_after_their_date(programme, order, voucher_reward, cast):
    actions.accrue_order(order=order(lines=[(400, "")]), now=NOW - timedelta(days=800))
    actions.accrue_order(order=order(lines=[(300, "")]), now=NOW - timedelta(days=1))
    member = member_of(cast.customer)
    # 500 spent: the 400 that expire first, then 100 of the newer 300.
    actions.redeem_reward(member=member, reward=voucher_reward, now=NOW)
    member.refresh_from_db()
    assert member.balance == 400 + 300 + 100 - 500
    assert actions.expiring_points(member, NOW) == 0
    assert actions.expire_points(now=NOW) == 0
    assert_verified()


def test_expired_points_leave_the_balance_once(programme, order, cast):
    actions.accrue_order(order=order(lines=[(400, "")]), now=NOW - timedelta(days=800))
    member = member_of(cast.customer)
    assert actions.expiring_points(member, NOW) == 400
    assert actions.expire_points(now=NOW) == 1
    assert actions.expire_points(now=NOW) == 0
    member.refresh_from_db()
    assert member.balance == 100  # the sign-up bonus was given now, not 800 days ago
    assert_verified()


def test_a_member_rises_to_the_tier_their_twelve_months_of_spend_qualify_for(
    programme, order, cast
):
    actions.accrue_order(order=order(lines=[(600, "")]), now=NOW)
    member = member_of(cast.customer)
    assert actions.recalculate_tier(member=member, now=NOW).name == "Silver"
    nxt, missing = actions.next_tier(member, NOW)
    assert nxt.name == "Gold" and missing == Decimal("1400.00")


# --- Customers merged or deleted -----------------------------------------------------------


def test_merging_two_members_keeps_every_point_and_entry(programme, cast):
    anna = actions.enroll_customer(customer=cast.customer)
    ben = actions.enroll_customer(customer=cast.other_customer)
    give(anna, 50, cast)
    give(ben, 70, cast)
    merge_customers(actor=cast.admin, survivor=cast.customer, merged=cast.other_customer)
    assert Member.objects.count() == 1
    assert member_of(cast.customer).balance == 150 + 170
    assert_verified()


def test_redeeming_for_a_merged_customer_names_the_survivor(programme, cast):
    gone = cast.other_customer.pk
    merge_customers(actor=cast.admin, survivor=cast.customer, merged=cast.other_customer)
    with pytest.raises(LoyaltyError) as refused:
        actions.live_customer(gone)
    assert refused.value.code == "customer_merged"
    assert str(cast.customer.pk) in refused.value.message
    with pytest.raises(LoyaltyError) as refused:
        actions.live_customer(999_999)
    assert refused.value.code == "unknown_customer"


# --- Verify --------------------------------------------------------------------------------


def test_verify_reports_a_kept_balance_that_differs_from_its_ledger(programme, cast):
    member = actions.enroll_customer(customer=cast.customer)
    out = StringIO()
    call_command("loyalty", "verify", stdout=out)
    assert "1 members checked" in out.getvalue() and "0 differences" in out.getvalue()
    Member.objects.filter(pk=member.pk).update(balance=999)
    with pytest.raises(CommandError, match="1 differences"):
        call_command("loyalty", "verify", stdout=StringIO())


# --- A shop's order feed, in batches -------------------------------------------------------


def test_a_batch_earns_each_good_purchase_once_and_names_the_refused_ones(programme, cast):
    batch = [
        actions.Purchase(cast.customer.pk, "120.50", "EUR", "F-1"),
        actions.Purchase(cast.customer.pk, "NaN", "EUR", "F-2"),
        actions.Purchase(cast.other_customer.pk, "40", "USD", "F-3"),
        actions.Purchase(cast.other_customer.pk, "40", "EUR", "F-4"),
        actions.Purchase(cast.customer.pk, "120.50", "EUR", "F-1"),  # twice in one batch
        actions.Purchase(999_999, "10", "EUR", "F-5"),
        actions.Purchase(cast.customer.pk, "10", "EUR", " "),
    ]
    result = actions.accrue_purchases(purchases=batch, now=NOW)
    assert [entry.points for entry in result.posted] == [120, 40]
    assert {position: error.code for position, error in result.refused.items()} == {
        1: "invalid_amount",
        2: "wrong_currency",
        5: "unknown_customer",
        6: "missing_reference",
    }
    assert result.replayed == ["F-1"]
    assert member_of(cast.customer).balance == 100 + 120
    assert member_of(cast.other_customer).balance == 100 + 40
    again = actions.accrue_purchases(purchases=batch[:1], now=NOW)
    assert again.posted == [] and again.replayed == ["F-1"]
    single = actions.accrue_purchase(
        customer=cast.customer, amount="120.50", currency="EUR", external_ref="F-1"
    )
    assert single.replayed
    assert_verified()
