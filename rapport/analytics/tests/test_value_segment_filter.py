"""The customer list's filter by RFM segment, read from the stored customer values."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.analytics.models import CustomerValue, Segment
from rapport.customers.models import Customer
from rapport.customers.queries import filter_customers

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def score(customer, segment: str) -> None:
    CustomerValue.objects.create(
        customer=customer,
        frequency=2,
        recency_days=60,
        age_days=200,
        orders=3,
        total_value=Decimal("150.00"),
        monetary=Decimal("50.00"),
        currency="EUR",
        first_order_at=NOW,
        last_order_at=NOW,
        r_score=3,
        f_score=3,
        m_score=3,
        segment=segment,
        expected_purchases_90d=0.5,
        expected_purchases_1y=1.5,
        p_alive=0.8,
        expected_average_value=Decimal("50.00"),
        clv=Decimal("20.00"),
        at_stake=Decimal("30.00"),
        scored_at=NOW,
    )


def test_filter_customers_keeps_only_the_segment_asked_for(cast):
    score(cast.customer, Segment.CHAMPIONS)
    score(cast.other_customer, Segment.LOST)
    qs = Customer.objects.all()
    assert list(filter_customers(qs, {"segment": "champions"})) == [cast.customer]
    assert filter_customers(qs, {"segment": ""}).count() == 2


def test_the_customer_list_page_filters_by_segment(agent_client, cast):
    score(cast.customer, Segment.CHAMPIONS)
    score(cast.other_customer, Segment.LOST)
    content = agent_client.get("/customers/", {"segment": "lost"}).content.decode()
    assert "Meyer" in content and "Schmidt" not in content


def test_the_customer_list_offers_the_segments_as_a_filter(agent_client, cast):
    content = agent_client.get("/customers/").content.decode()
    assert 'name="segment"' in content and "Cannot lose them" in content


def test_an_unknown_segment_shows_no_customers_and_no_error(agent_client, cast):
    score(cast.customer, Segment.CHAMPIONS)
    response = agent_client.get("/customers/", {"segment": "gold"})
    assert response.status_code == 200
    assert "Schmidt" not in response.content.decode()
