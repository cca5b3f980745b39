"""The same redemption sent twice at the same moment gives one voucher, whichever commits first.

A request that looked for an earlier voucher before the other one committed then meets that
one's ledger entry, the balance it spent or the last item it took; in each case it answers
with the first request's voucher and changes nothing. The deterministic tests stand in for
the moment by hiding the earlier voucher from the first look; the PostgreSQL test runs
real parallel transactions.
"""

import threading

import pytest
from django.db import connection, connections

from rapport.loyalty import actions
from rapport.loyalty.actions import LoyaltyError, vouchers
from rapport.loyalty.models import LedgerEntry, Member, Reward, RewardKind, Voucher
from rapport.loyalty.queries import balance_differences


@pytest.fixture
def late_look(monkeypatch):
    """Make the first look for an earlier voucher miss it, as a look before its commit would."""
    real = vouchers._earlier_voucher
    calls = {"n": 0}

    def look(member, reward, external_ref):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(member, reward, external_ref)

    def arm():
        calls["n"] = 0
        monkeypatch.setattr(vouchers, "_earlier_voucher", look)

    return arm


def rich_member(cast, points=1900):
    member = actions.enroll_customer(customer=cast.customer)
    actions.adjust_points(member=member, points=points, reason="Test", actor=cast.admin)
    member.refresh_from_db()
    return member


@pytest.mark.django_db
def test_a_replay_that_meets_the_first_entry_gets_the_first_voucher(
    cast, programme, voucher_reward, late_look
):
    member = rich_member(cast)
    first = actions.redeem_reward(member=member, reward=voucher_reward, request_ref="same")
    late_look()
    again = actions.redeem_reward(
        member=Member.objects.get(pk=member.pk), reward=voucher_reward, request_ref="same"
    )
    assert again == first
    assert Voucher.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="redeem").count() == 1
    assert Member.objects.get(pk=member.pk).balance == 2000 - 500
    assert balance_differences()[1] == 0


@pytest.mark.django_db
def test_a_replay_that_meets_the_spent_balance_gets_the_first_voucher(
    cast, programme, voucher_reward, late_look
):
    member = rich_member(cast, points=400)  # 500 with the sign-up bonus: one voucher
    first = actions.redeem_reward(member=member, reward=voucher_reward, request_ref="same")
    late_look()
    again = actions.redeem_reward(
        member=Member.objects.get(pk=member.pk), reward=voucher_reward, request_ref="same"
    )
    assert again == first and Voucher.objects.count() == 1


@pytest.mark.django_db
def test_a_replay_that_meets_the_empty_stock_gets_the_first_voucher_and_takes_no_stock(
    cast, programme, late_look
):
    mug = Reward.objects.create(
        programme=programme, name="Mug", kind=RewardKind.PRODUCT, cost=100, stock=1
    )
    member = rich_member(cast)
    first = actions.redeem_reward(member=member, reward=mug, request_ref="same")
    late_look()
    again = actions.redeem_reward(
        member=Member.objects.get(pk=member.pk), reward=mug, request_ref="same"
    )
    assert again == first
    mug.refresh_from_db()
    assert mug.stock == 0 and Voucher.objects.count() == 1


@pytest.mark.django_db
def test_a_real_shortage_is_still_refused_with_its_own_error(cast, programme, voucher_reward):
    member = actions.enroll_customer(customer=cast.customer)  # 100 points
    with pytest.raises(LoyaltyError) as error:
        actions.redeem_reward(member=member, reward=voucher_reward, request_ref="poor")
    assert error.value.code == "insufficient_points"
    assert not Voucher.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)
def test_parallel_copies_of_one_redemption_give_one_voucher(cast, programme, voucher_reward):
    mug = Reward.objects.create(
        programme=programme, name="Mug", kind=RewardKind.PRODUCT, cost=100, stock=5
    )
    member = rich_member(cast)
    count = 8
    barrier = threading.Barrier(count)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            fresh = Member.objects.get(pk=member.pk)
            results.append(actions.redeem_reward(member=fresh, reward=mug, request_ref="once").pk)
        except LoyaltyError as error:
            results.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == count and len(set(results)) == 1, results
    mug.refresh_from_db()
    assert mug.stock == 4
    assert Voucher.objects.count() == 1
    assert Member.objects.get(pk=member.pk).balance == 2000 - 100
    assert balance_differences()[1] == 0
