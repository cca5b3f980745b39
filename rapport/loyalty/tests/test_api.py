"""The loyalty API: accrue, balance, rewards, redeem, validate and consume vouchers, returns.

Every bad input is answered with a stable code, and every test ends with the kept balances
equal to the ledger.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.accounts.actions import create_api_token
from rapport.customers.actions import merge_customers
from rapport.loyalty import actions
from rapport.loyalty.models import (
    EntryKind,
    LedgerEntry,
    Member,
    Reward,
    RewardKind,
    Voucher,
    VoucherStatus,
)
from rapport.loyalty.queries import balance_differences

API = "/api/v1/loyalty"


@pytest.fixture(autouse=True)
def _verified_after_each_test(db):
    yield
    checked, differing, shown = balance_differences()
    assert differing == 0, shown


@pytest.fixture
def call(client, api_token):
    """Return a function that sends JSON to the loyalty API with the agent's token."""

    def send(method: str, path: str, body=None, token: str = "", **headers):
        return getattr(client, method)(
            API + path,
            json.dumps(body) if body is not None else None,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token or api_token}", **headers},
        )

    return send


@pytest.fixture
def member(programme, cast):
    """Return Anna's membership with 1,100 points (100 sign-up + 1,000 by hand)."""
    joined = actions.enroll_customer(customer=cast.customer)
    actions.adjust_points(member=joined, points=1000, reason="Test credit", actor=cast.admin)
    joined.refresh_from_db()
    return joined


def accrual(cast, **fields):
    body = {"customer": cast.customer.pk, "order": "W-1", "amount": "120.00", "currency": "EUR"}
    body.update(fields)
    return body


def error_code(response) -> str:
    return response.json()["error"]["code"]


def redeem(call, cast, reward, ref, **headers):
    body = {"customer": cast.customer.pk, "reward": reward.pk, "request_ref": ref}
    return call("post", "/redemptions", body, **headers)


# --- Accruals -------------------------------------------------------------------------------


def test_an_accrual_earns_the_orders_points_and_answers_the_new_balance(call, programme, cast):
    response = call("post", "/accruals", accrual(cast))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["points"] == 120
    assert body["balance"] == 220  # with the 100 points for joining
    assert body["replayed"] is False
    assert body["order"] == "W-1"


def test_the_same_order_twice_earns_once_and_answers_200_replayed(call, programme, cast):
    first = call("post", "/accruals", accrual(cast)).json()
    again = call("post", "/accruals", accrual(cast))
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["entry_id"] == first["entry_id"]
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN, external_ref="order:W-1").count() == 1
    assert Member.objects.get(customer=cast.customer).balance == 220


def test_accrual_lines_earn_by_their_category_multiplier(call, programme, cast):
    body = accrual(
        cast,
        amount="150.00",
        lines=[{"amount": "100.00", "category": "electronics"}, {"amount": 50}],
    )
    response = call("post", "/accruals", body)
    assert response.status_code == 201
    assert response.json()["points"] == 250


def test_a_replayed_idempotency_key_returns_the_first_answer(call, programme, cast):
    first = call("post", "/accruals", accrual(cast), **{"Idempotency-Key": "k-1"})
    again = call("post", "/accruals", accrual(cast), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN, external_ref="order:W-1").count() == 1


def test_another_customers_order_number_is_refused_without_showing_their_account(
    call, programme, cast
):
    call("post", "/accruals", accrual(cast))
    response = call("post", "/accruals", accrual(cast, customer=cast.other_customer.pk))
    assert response.status_code == 409
    assert error_code(response) == "reference_reused"
    assert "balance" not in response.json()


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-5", "invalid_amount"),
        ("0", "invalid_amount"),
        (0, "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("Infinity", "invalid_amount"),
        ("1e30", "invalid_amount"),
        (10**20, "invalid_amount"),
        ("twelve", "invalid_amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_earned(call, programme, cast, amount, code):
    response = call("post", "/accruals", accrual(cast, amount=amount))
    assert response.status_code == 422
    assert error_code(response) == code
    assert not LedgerEntry.objects.filter(kind=EntryKind.EARN, external_ref="order:W-1").exists()


def test_a_float_amount_is_refused_as_the_wrong_type(call, programme, cast):
    response = call("post", "/accruals", accrual(cast, amount=12.5))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["amount"][0]["code"] == "wrong_type"


def test_a_bare_nan_in_the_body_is_not_json(client, api_token, programme, cast):
    response = client.post(
        API + "/accruals",
        '{"customer": 1, "order": "W-1", "amount": NaN, "currency": "EUR"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


def test_a_currency_other_than_the_programmes_is_refused(call, programme, cast):
    response = call("post", "/accruals", accrual(cast, currency="USD"))
    assert response.status_code == 422
    assert error_code(response) == "wrong_currency"
    assert "EUR" in response.json()["error"]["message"]
    assert not LedgerEntry.objects.filter(kind=EntryKind.EARN, external_ref="order:W-1").exists()


def test_lines_adding_up_to_more_than_the_total_are_refused(call, programme, cast):
    body = accrual(cast, amount="10", lines=[{"amount": "20", "category": ""}])
    response = call("post", "/accruals", body)
    assert response.status_code == 422
    assert error_code(response) == "invalid_amount"


def test_an_unknown_field_or_missing_order_is_a_validation_error(call, programme, cast):
    typo = call("post", "/accruals", {**accrual(cast), "ammount": "5"})
    assert (typo.status_code, error_code(typo)) == (422, "unknown_field")
    body = accrual(cast)
    del body["order"]
    missing = call("post", "/accruals", body)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"]["order"][0]["code"] == "required"


def test_accruing_for_an_unknown_customer_is_404(call, programme, cast):
    response = call("post", "/accruals", accrual(cast, customer=999_999))
    assert (response.status_code, error_code(response)) == (404, "unknown_customer")


def test_accruing_for_a_merged_customer_names_the_survivor_and_earns_nothing(call, programme, cast):
    merged_id = cast.other_customer.pk
    merge_customers(actor=cast.admin, survivor=cast.customer, merged=cast.other_customer)
    response = call("post", "/accruals", accrual(cast, customer=merged_id))
    assert (response.status_code, error_code(response)) == (410, "customer_merged")
    assert str(cast.customer.pk) in response.json()["error"]["message"]
    assert not LedgerEntry.objects.filter(kind=EntryKind.EARN, external_ref="order:W-1").exists()


def test_without_a_programme_an_accrual_is_refused(call, cast):
    response = call("post", "/accruals", accrual(cast))
    assert (response.status_code, error_code(response)) == (409, "no_programme")


# --- Who may call ---------------------------------------------------------------------------


def test_a_request_without_a_token_is_401(client, programme, cast):
    response = client.get(f"{API}/members/{cast.customer.pk}")
    assert (response.status_code, error_code(response)) == (401, "unauthenticated")


def test_a_portal_customers_token_is_refused(call, member, cast):
    _token, raw = create_api_token(user=cast.portal_user, name="mine")
    response = call("get", f"/members/{cast.customer.pk}", token=raw)
    assert response.status_code == 401
    response = call("post", "/accruals", accrual(cast), token=raw)
    assert response.status_code == 401


def test_a_marketer_may_read_but_not_change_points(call, member, voucher_reward, cast):
    _token, raw = create_api_token(user=cast.marketer, name="reports")
    assert call("get", f"/members/{cast.customer.pk}", token=raw).status_code == 200
    response = call("post", "/accruals", accrual(cast), token=raw)
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    response = call(
        "post",
        "/redemptions",
        {"customer": cast.customer.pk, "reward": voucher_reward.pk, "request_ref": "r"},
        token=raw,
    )
    assert response.status_code == 403
    assert Member.objects.get(pk=member.pk).balance == 1100


# --- Members --------------------------------------------------------------------------------


def test_a_member_shows_balance_tier_next_tier_and_expiring_points(call, programme, cast):
    call("post", "/accruals", accrual(cast, amount="120.00"))
    response = call("get", f"/members/{cast.customer.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["balance"] == 220
    assert body["tier"]["name"] == "Bronze"
    assert body["next_tier"] == {
        "id": programme.tiers.get(name="Silver").pk,
        "name": "Silver",
        "spend_missing": "380.00",
        "currency": "EUR",
    }
    assert body["expiring_points"] == 0


def test_points_expiring_within_30_days_are_reported(call, member, cast):
    LedgerEntry.objects.filter(member=member, kind=EntryKind.EARN).update(
        expires_at=timezone.now() + timedelta(days=10)
    )
    body = call("get", f"/members/{cast.customer.pk}").json()
    assert body["expiring_points"] == 100


def test_a_customer_who_has_not_joined_is_404_not_member(call, programme, cast):
    response = call("get", f"/members/{cast.other_customer.pk}")
    assert (response.status_code, error_code(response)) == (404, "not_member")


def test_an_unknown_customer_is_404(call, programme):
    response = call("get", "/members/424242")
    assert (response.status_code, error_code(response)) == (404, "unknown_customer")


# --- Rewards --------------------------------------------------------------------------------


def test_rewards_lists_the_active_ones_cheapest_first(call, programme, voucher_reward):
    gold = programme.tiers.get(name="Gold")
    Reward.objects.create(
        programme=programme,
        name="Lounge",
        kind=RewardKind.PRODUCT,
        cost=100,
        value=20,
        stock=3,
        min_tier=gold,
    )
    Reward.objects.create(
        programme=programme, name="Old", kind=RewardKind.VOUCHER, cost=1, value=1, is_active=False
    )
    body = call("get", "/rewards").json()
    assert [item["name"] for item in body["items"]] == ["Lounge", "EUR 5 off"]
    assert body["items"][0]["stock"] == 3
    assert body["items"][0]["min_tier"] == "Gold"
    assert body["items"][1]["value"] == "5.00"
    assert body["items"][1]["currency"] == "EUR"
    assert body["total"] == 2


# --- Redemptions ----------------------------------------------------------------------------


def test_a_redemption_spends_the_points_and_returns_a_voucher(call, member, voucher_reward, cast):
    response = redeem(call, cast, voucher_reward, "r-1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["code"]) == 16
    assert (body["value"], body["currency"], body["balance"]) == ("5.00", "EUR", 600)
    assert body["valid_until"].endswith("Z")
    assert body["replayed"] is False


def test_a_replayed_redemption_returns_the_same_voucher_and_spends_once(
    call, member, voucher_reward, cast
):
    first = redeem(call, cast, voucher_reward, "r-1").json()
    again = redeem(call, cast, voucher_reward, "r-1")
    assert again.status_code == 200
    assert again.json()["code"] == first["code"]
    assert again.json()["replayed"] is True
    assert Voucher.objects.count() == 1
    assert Member.objects.get(pk=member.pk).balance == 600


def test_the_idempotency_key_serves_as_the_request_ref(call, member, voucher_reward, cast):
    body = {"customer": cast.customer.pk, "reward": voucher_reward.pk}
    first = call("post", "/redemptions", body, **{"Idempotency-Key": "pos-7"})
    again = call("post", "/redemptions", body, **{"Idempotency-Key": "pos-7"})
    assert first.status_code == 201
    assert again.json()["code"] == first.json()["code"]
    assert Voucher.objects.count() == 1


def test_a_redemption_without_a_reference_is_refused(call, member, voucher_reward, cast):
    body = {"customer": cast.customer.pk, "reward": voucher_reward.pk}
    response = call("post", "/redemptions", body)
    assert (response.status_code, error_code(response)) == (422, "missing_reference")
    assert Voucher.objects.count() == 0


def test_redeeming_more_than_the_balance_is_409_and_spends_nothing(
    call, member, voucher_reward, cast
):
    assert redeem(call, cast, voucher_reward, "r-1").status_code == 201
    assert redeem(call, cast, voucher_reward, "r-2").status_code == 201
    response = redeem(call, cast, voucher_reward, "r-3")
    assert (response.status_code, error_code(response)) == (409, "insufficient_points")
    assert Member.objects.get(pk=member.pk).balance == 100
    assert Voucher.objects.count() == 2


def test_a_reward_out_of_stock_is_409_and_spends_nothing(call, member, voucher_reward, cast):
    Reward.objects.filter(pk=voucher_reward.pk).update(stock=0)
    response = redeem(call, cast, voucher_reward, "r-1")
    assert (response.status_code, error_code(response)) == (409, "out_of_stock")
    assert Member.objects.get(pk=member.pk).balance == 1100


def test_a_request_ref_reused_for_another_reward_is_refused(call, member, voucher_reward, cast):
    other = Reward.objects.create(
        programme=voucher_reward.programme,
        name="Ship",
        kind=RewardKind.FREE_SHIPPING,
        cost=10,
        value=4,
    )
    redeem(call, cast, voucher_reward, "r-1")
    response = redeem(call, cast, other, "r-1")
    assert (response.status_code, error_code(response)) == (409, "reference_reused")
    assert Voucher.objects.count() == 1


def test_an_unknown_or_inactive_reward_is_404(call, member, voucher_reward, cast):
    response = call(
        "post", "/redemptions", {"customer": cast.customer.pk, "reward": 99999, "request_ref": "r"}
    )
    assert (response.status_code, error_code(response)) == (404, "unknown_reward")
    Reward.objects.filter(pk=voucher_reward.pk).update(is_active=False)
    response = redeem(call, cast, voucher_reward, "r-2")
    assert (response.status_code, error_code(response)) == (404, "unknown_reward")


def test_a_reward_above_the_members_tier_is_refused(call, member, voucher_reward, cast):
    Reward.objects.filter(pk=voucher_reward.pk).update(
        min_tier=voucher_reward.programme.tiers.get(name="Gold")
    )
    response = redeem(call, cast, voucher_reward, "r-1")
    assert (response.status_code, error_code(response)) == (409, "tier_too_low")


def test_redeeming_for_a_merged_customer_names_the_survivor(call, programme, voucher_reward, cast):
    merged_id = cast.other_customer.pk
    actions.enroll_customer(customer=cast.other_customer)
    merge_customers(actor=cast.admin, survivor=cast.customer, merged=cast.other_customer)
    body = {"customer": merged_id, "reward": voucher_reward.pk, "request_ref": "r-1"}
    response = call("post", "/redemptions", body)
    assert (response.status_code, error_code(response)) == (410, "customer_merged")
    assert Voucher.objects.count() == 0


def test_redeeming_for_a_deleted_customer_is_404(call, programme, voucher_reward, cast):
    body = {"customer": 987_654, "reward": voucher_reward.pk, "request_ref": "r-1"}
    response = call("post", "/redemptions", body)
    assert (response.status_code, error_code(response)) == (404, "unknown_customer")


def test_redeeming_for_a_closed_membership_is_refused(call, member, voucher_reward, cast):
    Member.objects.filter(pk=member.pk).update(status="closed")
    response = redeem(call, cast, voucher_reward, "r-1")
    assert (response.status_code, error_code(response)) == (409, "member_closed")


# --- Vouchers -------------------------------------------------------------------------------


@pytest.fixture
def code(call, member, voucher_reward, cast) -> str:
    return redeem(call, cast, voucher_reward, "r-1").json()["code"]


def test_a_voucher_validates_with_its_value(call, code):
    response = call("post", "/vouchers/validate", {"code": code.lower(), "currency": "EUR"})
    assert response.status_code == 200
    assert (response.json()["valid"], response.json()["value"]) == (True, "5.00")


def test_a_voucher_is_consumed_once_and_its_replay_answers_the_same(call, code):
    first = call("post", "/vouchers/consume", {"code": code, "order": "W-9"})
    assert first.status_code == 200
    assert (first.json()["consumed"], first.json()["replayed"]) == (True, False)
    again = call("post", "/vouchers/consume", {"code": code, "order": "W-9"})
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    other = call("post", "/vouchers/consume", {"code": code, "order": "W-10"})
    assert (other.status_code, error_code(other)) == (409, "voucher_used")
    assert Voucher.objects.get(code=code).consumed_ref == "W-9"


def test_a_used_voucher_does_not_validate(call, code):
    call("post", "/vouchers/consume", {"code": code, "order": "W-9"})
    response = call("post", "/vouchers/validate", {"code": code})
    assert (response.status_code, error_code(response)) == (409, "voucher_used")


def test_an_expired_voucher_is_410(call, code):
    Voucher.objects.filter(code=code).update(valid_until=timezone.now() - timedelta(days=1))
    response = call("post", "/vouchers/validate", {"code": code})
    assert (response.status_code, error_code(response)) == (410, "voucher_expired")
    response = call("post", "/vouchers/consume", {"code": code, "order": "W-9"})
    assert (response.status_code, error_code(response)) == (410, "voucher_expired")
    assert Voucher.objects.get(code=code).status == VoucherStatus.ISSUED


def test_an_unknown_voucher_is_404(call, programme):
    response = call("post", "/vouchers/validate", {"code": "AAAABBBBCCCCDDDD"})
    assert (response.status_code, error_code(response)) == (404, "unknown_voucher")
    response = call("post", "/vouchers/consume", {"code": "nope", "order": "W-9"})
    assert (response.status_code, error_code(response)) == (404, "unknown_voucher")


def test_a_voucher_in_another_currency_is_refused(call, code):
    response = call("post", "/vouchers/consume", {"code": code, "order": "W-9", "currency": "CHF"})
    assert (response.status_code, error_code(response)) == (422, "wrong_currency")
    assert Voucher.objects.get(code=code).status == VoucherStatus.ISSUED


def test_consuming_without_an_order_is_a_validation_error(call, code):
    response = call("post", "/vouchers/consume", {"code": code, "order": ""})
    assert response.status_code == 422
    assert Voucher.objects.get(code=code).status == VoucherStatus.ISSUED


# --- Returns --------------------------------------------------------------------------------


def test_a_partial_return_takes_back_its_share_once(call, programme, order, cast):
    made = order(lines=((Decimal("200.00"), ""),))
    actions.accrue_order(order=made)
    body = {"order": made.number, "share": "0.5", "reference": "ret-1"}
    response = call("post", "/returns", body)
    assert response.status_code == 200, response.json()
    assert response.json()["points"] == 100
    assert response.json()["balance"] == 200
    again = call("post", "/returns", body)
    assert (again.json()["points"], again.json()["replayed"]) == (100, True)
    assert Member.objects.get(customer=cast.customer).balance == 200


def test_a_return_of_an_unknown_order_or_with_a_bad_share_is_refused(call, programme, order):
    response = call("post", "/returns", {"order": "nope", "share": "1", "reference": "r"})
    assert (response.status_code, error_code(response)) == (404, "unknown_order")
    made = order()
    actions.accrue_order(order=made)
    for share in ("0", "1.5", "NaN", "-1"):
        response = call(
            "post", "/returns", {"order": made.number, "share": share, "reference": "r"}
        )
        assert (response.status_code, error_code(response)) == (422, "invalid_share")


def test_the_openapi_schema_lists_every_loyalty_endpoint(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert sorted(p.removeprefix(API) for p in paths if p.startswith(API)) == [
        "/accruals",
        "/accruals/batch",
        "/members/{customer_id}",
        "/redemptions",
        "/returns",
        "/rewards",
        "/vouchers/consume",
        "/vouchers/validate",
    ]


def test_a_batch_of_purchases_earns_each_once_and_lists_the_refused_by_position(
    call, programme, cast
):
    purchases = [
        {"customer": cast.customer.pk, "order": "B-1", "amount": "80.00", "currency": "EUR"},
        {"customer": cast.customer.pk, "order": "B-2", "amount": "-1", "currency": "EUR"},
        {"customer": cast.other_customer.pk, "order": "B-3", "amount": "20", "currency": "USD"},
        {"customer": cast.other_customer.pk, "order": "B-1", "amount": "80.00", "currency": "EUR"},
    ]
    response = call("post", "/accruals/batch", {"purchases": purchases})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["earned"] == 1 and body["points"] == 80
    assert [(r["position"], r["code"]) for r in body["refused"]] == [
        (1, "invalid_amount"),
        (2, "wrong_currency"),
        (3, "reference_reused"),
    ]
    again = call("post", "/accruals/batch", {"purchases": purchases[:1]}).json()
    assert again["earned"] == 0 and again["replayed"] == ["B-1"]
    assert Member.objects.get(customer=cast.customer).balance == 100 + 80


def test_an_empty_or_oversized_batch_is_refused(call, programme):
    assert call("post", "/accruals/batch", {"purchases": []}).status_code == 422
    many = [
        {"customer": 1, "order": f"O-{n}", "amount": "1", "currency": "EUR"} for n in range(501)
    ]
    assert call("post", "/accruals/batch", {"purchases": many}).status_code == 422


def test_a_return_of_a_shop_order_rapport_knows_only_from_its_accrual_takes_points_back(
    call, programme, cast
):
    call("post", "/accruals", accrual(cast, order="TILL-7", amount="200.00"))
    body = {"order": "TILL-7", "customer": cast.customer.pk, "share": "0.25", "reference": "RT-1"}
    response = call("post", "/returns", body)
    assert response.status_code == 200, response.content
    assert response.json()["points"] == 50
    again = call("post", "/returns", body).json()
    assert again["replayed"] is True
    rest = call("post", "/returns", {**body, "share": "1", "reference": "RT-2"}).json()
    assert rest["points"] == 150
    other = call("post", "/returns", {**body, "customer": cast.other_customer.pk, "reference": "X"})
    assert (other.status_code, error_code(other)) == (404, "unknown_order")
    assert Member.objects.get(customer=cast.customer).balance == 100
