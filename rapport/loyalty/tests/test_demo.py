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


def test_demo_gold_members_get_an_account_manager_faster_sla_and_routing(order, cast):
    """With the helpdesk demo's team and calendar there, Gold's service is configured."""
    from rapport.helpdesk.models import RoutingRule
    from rapport.sla.models import SlaPolicy

    agent = cast.agent
    agent.teams.add(cast.team_a)  # cast.team_a is "First level", as in the helpdesk demo
    order(lines=[(Decimal("2500.00"), "")], ordered_at=NOW)
    load_demo_loyalty(seed=1)
    anna = Member.objects.select_related("tier", "customer").get(customer=cast.customer)
    assert anna.tier.name == "Gold"
    assert anna.customer.account_manager.teams.filter(name="Key accounts").exists()
    rule = RoutingRule.objects.get(to_account_manager=True)
    assert rule.min_loyalty_rank == anna.tier.rank
    policy = SlaPolicy.objects.get(min_loyalty_rank=anna.tier.rank)
    assert (
        policy.first_response_minutes
        < SlaPolicy.objects.get(name="Standard").first_response_minutes
    )
