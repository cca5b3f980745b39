"""Customer KPIs: customers at a date, retention, churn, purchases, repeat rate and CLTV."""

from decimal import Decimal

import pytest

from rapport.commerce.actions import LineInput, record_order
from rapport.commerce.models import OrderStatus
from rapport.factories import CustomerFactory, OrderFactory
from rapport.helpdesk.models import Conversation
from rapport.metrics.queries import drill_records, report
from rapport.metrics.tests.conftest import OCTOBER, at


@pytest.fixture
def book(cast, settings):
    """Six customers around October with a 30-day inactivity rule (see docs/kpis.md).

    At the start (1 October): A (ordered 15 September), B (wrote 20 September), C (created
    10 September). At the end: A (ordered 20 October), D (new on 10 October), E (back with
    orders on 15 and 16 October). Lost: B and C. F was never active.
    """
    settings.METRICS_CHURN_INACTIVE_DAYS = 30
    settings.RAPPORT_DEFAULT_CURRENCY = "EUR"
    people = {
        name: CustomerFactory(given_name=name, created_at=created, country=country)
        for name, created, country in (
            ("A", at(1, 1), "DE"),
            ("B", at(1, 1), "DE"),
            ("C", at(9, 10), "AT"),
            ("D", at(10, 10), "AT"),
            ("E", at(1, 1), "DE"),
            ("F", at(1, 1), "DE"),
        )
    }
    OrderFactory(customer=people["A"], ordered_at=at(9, 15), total=Decimal("10"))
    record_order(
        actor=cast.agent,
        customer=people["A"],
        lines=[LineInput(name="Speaker", unit_price="100.00")],
        currency="EUR",
        ordered_at=at(10, 20),
    )
    OrderFactory(customer=people["A"], ordered_at=at(10, 21), currency="USD", total=Decimal("7"))
    Conversation.objects.create(customer=people["B"], subject="Hello", created_at=at(9, 20))
    OrderFactory(
        customer=people["D"],
        ordered_at=at(10, 12),
        status=OrderStatus.CANCELLED,
        total=Decimal("999"),
    )
    OrderFactory(customer=people["E"], ordered_at=at(10, 15), total=Decimal("50"))
    OrderFactory(customer=people["E"], ordered_at=at(10, 16), total=Decimal("30"))
    return people


def figures(**kwargs):
    return report(OCTOBER, **kwargs).total.figures


def test_customers_at_start_and_end_follow_the_inactivity_rule(book):
    found = figures()
    assert found["customers_at_start"].value == 3
    assert found["customers_at_end"].value == 3
    assert found["new_customers"].value == 1
    assert found["lost_customers"].value == 2


def test_retention_rate_is_end_minus_new_over_start(book):
    retention = figures()["retention_rate"]
    assert retention.value == pytest.approx(200 / 3)
    assert (retention.numerator, retention.denominator, retention.n) == (2, 3, 3)


def test_churn_rate_is_lost_over_start(book):
    churn = figures()["churn_rate"]
    assert churn.value == pytest.approx(200 / 3)
    assert churn.numerator == 2


def test_average_purchase_value_counts_revenue_orders_in_the_default_currency(book):
    value = figures()["average_purchase_value"]
    assert value.value == pytest.approx(60.0)  # (100 + 50 + 30) / 3
    assert value.n == 3
    assert value.unit == "EUR"


def test_purchase_frequency_is_orders_per_purchasing_customer(book):
    assert figures()["purchase_frequency"].value == pytest.approx(1.5)


def test_repeat_purchase_rate_is_the_share_of_purchasers_with_more_than_one_order(book):
    repeat = figures()["repeat_purchase_rate"]
    assert repeat.value == 50.0
    assert (repeat.numerator, repeat.denominator) == (1, 2)


def test_cltv_is_value_times_frequency_times_lifespan(book):
    found = figures()
    assert found["average_customer_lifespan"].value == pytest.approx(1.5)  # 1 / (2/3)
    assert found["customer_lifetime_value"].value == pytest.approx(135.0)  # 60 * 1.5 * 1.5


def test_cltv_has_no_value_without_churn(cast, settings):
    settings.METRICS_CHURN_INACTIVE_DAYS = 3650
    customer = CustomerFactory(created_at=at(1, 1))
    OrderFactory(customer=customer, ordered_at=at(10, 2))
    found = figures()
    assert found["churn_rate"].value == 0.0
    assert found["customer_lifetime_value"].value is None
    assert found["customer_lifetime_value"].note


def test_inactivity_days_default_to_a_year(cast):
    customer = CustomerFactory(created_at=at(1, 1))
    Conversation.objects.create(customer=customer, subject="Hi", created_at=at(1, 2))
    # Active on 1 October (wrote in January, within 365 days), still active at the end.
    found = figures()
    assert found["customers_at_start"].value == 1
    assert found["lost_customers"].value == 0


def test_customer_kpis_slice_by_country(book):
    groups = {g.value: g for g in report(OCTOBER, by="country").groups}
    assert groups["AT"].figures["customers_at_start"].value == 1  # C
    assert groups["AT"].figures["churn_rate"].value == 100.0
    assert groups["DE"].figures["repeat_purchase_rate"].value == 50.0


def test_customer_kpis_are_left_out_of_slices_they_cannot_reach(book):
    groups = report(OCTOBER, by="team").groups
    assert all("churn_rate" not in group.figures for group in groups)
    assert "churn_rate" not in figures(filters={"channel": "email"})
    assert "churn_rate" in figures()


def test_empty_period_has_no_rates(db):
    found = figures()
    assert found["retention_rate"].value is None
    assert found["churn_rate"].value is None
    assert found["average_purchase_value"].value is None
    assert found["customer_lifetime_value"].value is None
    assert found["customer_lifetime_value"].n == 0


def test_drill_down_lists_the_lost_customers(book, cast):
    drill = figures()["churn_rate"].drill
    lost = drill_records(cast.manager, drill, numerator=True)
    assert {c.given_name for c in lost} == {"B", "C"}
    assert drill_records(cast.manager, drill).count() == 3


def test_drill_down_lists_the_repeat_purchasers(book, cast):
    drill = figures()["repeat_purchase_rate"].drill
    assert [c.given_name for c in drill_records(cast.manager, drill, numerator=True)] == ["E"]


def test_drill_down_lists_the_orders_behind_the_purchase_value(book, cast):
    drill = figures()["average_purchase_value"].drill
    totals = sorted(o.total for o in drill_records(cast.manager, drill))
    assert totals == [Decimal("30"), Decimal("50"), Decimal("100")]
