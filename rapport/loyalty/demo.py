"""Loyalty demo data, through the real actions: a programme, and points from the demo orders.

The programme "Rapport Club" (EUR, one point per euro, Bronze/Silver/Gold, a few bonus events
and rewards) is created once. The customers with the most recent orders (at most
``MAX_MEMBERS``) join it and earn their orders' points at each order's date, so tiers, expiry
dates and the history look as they would in a running shop; some redeem a voucher. Only
``rapport.demo.management.commands.demo`` calls this module.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from rapport.accounts.models import Role, Team
from rapport.commerce.models import Order
from rapport.customers.models import Customer
from rapport.helpdesk.models import RoutingRule
from rapport.loyalty import actions
from rapport.loyalty.actions import LoyaltyError
from rapport.loyalty.models import (
    BonusEvent,
    EarnKind,
    EarnRule,
    Member,
    Programme,
    Reward,
    RewardKind,
    Tier,
)
from rapport.sla.models import BusinessCalendar, SlaPolicy

# The actions take a few milliseconds per order; a bulk-loaded demo has a million customers.
MAX_MEMBERS = 600
REDEEMING_SHARE = 0.25

TIERS = (
    # rank, name, spend, multiplier, free shipping, early access, account manager
    (0, "Bronze", "0", "1", False, False, False),
    (1, "Silver", "500", "1.25", True, False, False),
    (2, "Gold", "2000", "1.5", True, True, True),
)
# Gold's service benefits use the helpdesk demo's first-level team and office calendar.
FIRST_LEVEL = "First level"
OFFICE_CALENDAR = "Office hours (Berlin)"
KEY_ACCOUNTS = "Key accounts"
KEY_ACCOUNTS_DESCRIPTION = "Account managers of the loyalty programme's Gold members."
CATEGORY_MULTIPLIERS = (("Smartphones", "2"), ("Notebooks", "1.5"))
BONUSES = (
    (BonusEvent.SIGN_UP, 100),
    (BonusEvent.BIRTHDAY, 200),
    (BonusEvent.REVIEW, 50),
    (BonusEvent.SURVEY, 20),
    (BonusEvent.REFERRAL, 250),
)
REWARDS = (
    # name, kind, cost, value, stock, valid days, from tier rank
    ("EUR 5 voucher", RewardKind.VOUCHER, 500, "5", None, 90, None),
    ("EUR 15 voucher", RewardKind.VOUCHER, 1400, "15", None, 90, None),
    ("Free shipping", RewardKind.FREE_SHIPPING, 300, "4.90", None, 60, None),
    ("Donation: 5 trees planted", RewardKind.DONATION, 250, "2.50", None, 30, None),
    ("Rapport travel mug", RewardKind.PRODUCT, 800, "12", 50, 90, None),
    ("Early access: spring collection", RewardKind.PRODUCT, 1000, "0", 20, 30, 2),
)


@dataclass
class LoyaltyDemoStats:
    members: int = 0
    accruals: int = 0
    vouchers: int = 0


def demo_programme() -> Programme:
    """Return the demo programme, creating it with its tiers, rules and rewards once."""
    programme = Programme.objects.filter(name="Rapport Club").first()
    if programme is not None:
        return programme
    programme = Programme.objects.create(
        name="Rapport Club",
        currency="EUR",
        points_per_unit=Decimal("1"),
        point_value=Decimal("0.01"),
        expiry_months=24,
    )
    tiers = {}
    for rank, name, spend, multiplier, shipping, early, manager in TIERS:
        tiers[rank] = Tier.objects.create(
            programme=programme,
            name=name,
            rank=rank,
            min_spend=Decimal(spend),
            earn_multiplier=Decimal(multiplier),
            free_shipping=shipping,
            early_access=early,
            account_manager=manager,
        )
    for category, multiplier in CATEGORY_MULTIPLIERS:
        EarnRule.objects.create(
            programme=programme,
            kind=EarnKind.CATEGORY,
            category=category,
            multiplier=Decimal(multiplier),
        )
    for event, points in BONUSES:
        EarnRule.objects.create(
            programme=programme, kind=EarnKind.EVENT, event=event, points=points
        )
    configure_gold_service(programme, tiers[2])
    for name, kind, cost, value, stock, days, rank in REWARDS:
        Reward.objects.create(
            programme=programme,
            name=name,
            kind=kind,
            cost=cost,
            value=Decimal(value),
            stock=stock,
            valid_days=days,
            min_tier=tiers.get(rank),
        )
    return programme


def configure_gold_service(programme: Programme, gold: Tier) -> None:
    """Give Gold members their service benefits, configured where the helpdesk keeps them.

    An account manager team (two first-level agents), an SLA policy with faster targets for
    the Gold rank and a routing rule that gives Gold members' conversations to their account
    manager. Skipped when the helpdesk demo (its teams and default SLA calendar) is not there.
    """
    first_level = Team.objects.filter(name=FIRST_LEVEL).first()
    office = BusinessCalendar.objects.filter(name=OFFICE_CALENDAR).first()
    if first_level is None:
        return
    team, _created = Team.objects.get_or_create(
        name=KEY_ACCOUNTS, defaults={"description": KEY_ACCOUNTS_DESCRIPTION}
    )
    for agent in first_level.members.filter(is_active=True, role=Role.AGENT).order_by("pk")[:2]:
        agent.teams.add(team)
    Programme.objects.filter(pk=programme.pk).update(account_manager_team=team)
    programme.account_manager_team = team
    RoutingRule.objects.get_or_create(
        name=f"{gold.name} members to their account manager",
        defaults={
            "position": 1,
            "min_loyalty_rank": gold.rank,
            "team": first_level,
            "to_account_manager": True,
        },
    )
    if office is not None:
        SlaPolicy.objects.get_or_create(
            name=f"{gold.name} members",
            defaults={
                "position": 45,  # after phone, chat, urgent and high; before VIP and standard
                "calendar": office,
                "min_loyalty_rank": gold.rank,
                "first_response_minutes": 240,
                "resolution_minutes": 1200,
            },
        )


def load_demo_loyalty(*, seed: int = 0) -> LoyaltyDemoStats:
    """Enrol the customers with the latest orders and earn their orders' points."""
    rnd = random.Random(seed)
    stats = LoyaltyDemoStats()
    programme = demo_programme()
    customers = list(
        Customer.objects.filter(orders__currency=programme.currency)
        .annotate(last_order=Max("orders__ordered_at"))
        .order_by("-last_order", "pk")
        .values_list("pk", flat=True)[:MAX_MEMBERS]
    )
    # The portal demo customers first, so the portal walk-through shows points.
    portal = list(
        Customer.objects.filter(portal_user__isnull=False).values_list("pk", flat=True)[:20]
    )
    chosen = list(dict.fromkeys(portal + customers))
    now = timezone.now()
    voucher = Reward.objects.filter(programme=programme, cost=500).first()
    for customer in Customer.objects.filter(pk__in=chosen).order_by("pk"):
        if Member.objects.filter(programme=programme, customer=customer).exists():
            continue
        member = actions.enroll_customer(customer=customer, programme=programme)
        stats.members += 1
        for order in Order.objects.filter(customer=customer).order_by("ordered_at", "pk"):
            try:
                actions.accrue_order(order=order, programme=programme, now=order.ordered_at)
            except LoyaltyError:
                continue  # another currency, cancelled, returned: earns nothing
            stats.accruals += 1
        member.refresh_from_db()
        actions.recalculate_tier(member=member, now=now)
        if voucher and member.balance >= voucher.cost and rnd.random() < REDEEMING_SHARE:
            actions.redeem_reward(member=member, reward=voucher, request_ref=f"demo-{member.pk}")
            stats.vouchers += 1
    actions.expire_points(now=now)
    return stats
