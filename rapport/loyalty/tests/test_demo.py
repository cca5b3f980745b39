"""The demo programme: customers earn their orders' points, once, and the ledger verifies."""

from decimal import Decimal

from rapport.commerce.models import OrderStatus
from rapport.loyalty.demo import load_demo_loyalty
from rapport.loyalty.models import EntryKind, LedgerEntry, Member, Programme
from rapport.loyalty.queries import balance_differences
from rapport.loyalty.tests.conftest import NOW


def test_demo_customers_earn_the_points_of_their_orders_once(order, cast):
    order(lines=[(Decimal("120.00"), "")], ordered_at=NOW)
    order(lines=[(Decimal("80.00"), "")], status=OrderStatus.CANCELLED)
    order(lines=[(Decimal("50.00"), "")], customer=cast.other_customer)
    stats = load_demo_loyalty(seed=1)
    assert Programme.objects.filter(name="Rapport Club").count() == 1
    assert stats.members == 2 and stats.accruals == 2
    anna = Member.objects.get(customer=cast.customer)
    earned = LedgerEntry.objects.filter(member=anna, kind=EntryKind.EARN, order__isnull=False)
    assert [entry.points for entry in earned] == [120]
    again = load_demo_loyalty(seed=1)
    assert again.members == 0
    assert Programme.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN, order__isnull=False).count() == 2
    assert balance_differences()[1] == 0
