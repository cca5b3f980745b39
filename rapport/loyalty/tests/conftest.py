"""A programme with tiers, rules and rewards, and a member with points, for the specifications."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.commerce.models import Order, OrderLine, Product
from rapport.loyalty.models import (
    BonusEvent,
    EarnKind,
    EarnRule,
    Programme,
    Reward,
    RewardKind,
    Tier,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def programme(db):
    programme = Programme.objects.create(
        name="Rapport Club",
        currency="EUR",
        points_per_unit=Decimal("1"),
        point_value=Decimal("0.01"),
        expiry_months=24,
    )
    for rank, name, spend, multiplier in (
        (0, "Bronze", "0", "1"),
        (1, "Silver", "500", "1.25"),
        (2, "Gold", "2000", "1.5"),
    ):
        Tier.objects.create(
            programme=programme,
            name=name,
            rank=rank,
            min_spend=Decimal(spend),
            earn_multiplier=Decimal(multiplier),
        )
    EarnRule.objects.create(
        programme=programme, kind=EarnKind.CATEGORY, category="electronics", multiplier=2
    )
    EarnRule.objects.create(
        programme=programme, kind=EarnKind.EVENT, event=BonusEvent.SIGN_UP, points=100
    )
    return programme


@pytest.fixture
def voucher_reward(programme):
    return Reward.objects.create(
        programme=programme, name="EUR 5 off", kind=RewardKind.VOUCHER, cost=500, value=5
    )


@pytest.fixture
def order(cast):
    """Return a builder of paid EUR orders of Anna's (lines: (amount, category))."""
    counter = iter(range(1, 100_000))

    def build(lines=((Decimal("100.00"), ""),), **fields) -> Order:
        total = sum(Decimal(str(amount)) for amount, _category in lines)
        fields.setdefault("customer", cast.customer)
        fields.setdefault("currency", "EUR")
        fields.setdefault("ordered_at", NOW)
        made = Order.objects.create(number=f"A-{next(counter)}", total=total, **fields)
        for amount, category in lines:
            product = None
            if category:
                product, _created = Product.objects.get_or_create(
                    sku=f"sku-{category}",
                    defaults={
                        "name": category,
                        "category": category,
                        "price": 1,
                        "currency": "EUR",
                    },
                )
            OrderLine.objects.create(
                order=made,
                product=product,
                name=category or "item",
                quantity=1,
                unit_price=Decimal(str(amount)),
                line_total=Decimal(str(amount)),
            )
        return made

    return build
