"""Stored scores for the page and panel specifications, as a scoring run would leave them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rapport.analytics.models import CustomerValue, Segment

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def stored_value(customer, **fields) -> CustomerValue:
    """Store scores for ``customer`` directly, as a scoring run would have."""
    defaults = {
        "frequency": 4,
        "recency_days": 168,
        "age_days": 410,
        "orders": 5,
        "total_value": Decimal("540.00"),
        "monetary": Decimal("105.00"),
        "currency": "EUR",
        "first_order_at": NOW - timedelta(days=410),
        "last_order_at": NOW - timedelta(days=242),
        "r_score": 2,
        "f_score": 4,
        "m_score": 4,
        "segment": Segment.AT_RISK,
        "expected_purchases_90d": 0.4,
        "expected_purchases_1y": 1.3,
        "p_alive": 0.31,
        "p_alive_previous": 0.62,
        "expected_average_value": Decimal("101.50"),
        "clv": Decimal("61.20"),
        "valuable": True,
        "at_stake": Decimal("372.60"),
        "scored_at": NOW,
    }
    return CustomerValue.objects.create(customer=customer, **(defaults | fields))
