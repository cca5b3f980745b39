"""After the demo loads, every demo customer with a purchase has scores and an explanation."""

import pytest
from django.core.management import call_command

from rapport.accounts.models import Role
from rapport.analytics import queries
from rapport.analytics.models import CustomerValue
from rapport.commerce.models import NON_REVENUE_STATUSES, Order
from rapport.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_scores_every_customer_with_revenue_orders_and_fills_the_at_risk_list():
    call_command("demo", customers=150, seed=4, conversations=0, verbosity=0)
    buyers = set(
        Order.objects.exclude(status__in=NON_REVENUE_STATUSES).values_list("customer_id", flat=True)
    )
    scored = set(CustomerValue.objects.values_list("customer_id", flat=True))
    assert buyers and scored == buyers
    assert all(value.explanation() for value in CustomerValue.objects.all()[:50])
    manager = UserFactory(username="value-manager", role=Role.MANAGER)
    assert queries.at_risk_values(manager).exists()
