"""Many redemptions at once on one account never overdraw it (PostgreSQL: parallel transactions).

The API-level version against a running server, on SQLite and PostgreSQL, comes with the API.
"""

import threading

import pytest
from django.db import connection, connections

from rapport.loyalty import actions
from rapport.loyalty.actions import LoyaltyError
from rapport.loyalty.models import Member, Voucher
from rapport.loyalty.queries import balance_differences

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def test_parallel_redemptions_spend_at_most_the_balance(programme, voucher_reward, cast):
    member = actions.enroll_customer(customer=cast.customer)
    actions.adjust_points(member=member, points=1900, reason="Test", actor=cast.admin)
    threads_count = 10
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            fresh = Member.objects.get(pk=member.pk)
            actions.redeem_reward(member=fresh, reward=voucher_reward, request_ref=f"r-{index}")
            outcomes.append("ok")
        except LoyaltyError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 4
    assert outcomes.count("insufficient_points") == 6
    member.refresh_from_db()
    assert member.balance == 0
    assert Voucher.objects.count() == 4
    assert balance_differences()[1] == 0
