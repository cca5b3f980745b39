from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rapport.commerce.actions import LineInput, change_order_status, record_order, save_product
from rapport.commerce.models import Order
from rapport.commerce.money import Money, format_money, parse_amount
from rapport.commerce.queries import purchase_summary
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_order_total_is_the_exact_sum_of_its_lines_and_appears_in_the_timeline(cast):
    product, _ = save_product(
        actor=cast.admin, sku="HP-1", name="Headphones", price="0.10", category="Audio"
    )
    order, created = record_order(
        actor=cast.agent,
        customer=cast.customer,
        number="R-1",
        lines=[LineInput(sku="HP-1", quantity=3), LineInput(name="Cable", unit_price="0,20")],
    )
    assert created and order.total == Decimal("0.50")
    event = TimelineEvent.objects.get(customer=cast.customer, kind="order")
    assert event.data["total"] == "0.50" and "R-1" in event.title
    cast.customer.refresh_from_db()
    assert cast.customer.lifecycle_stage == "customer"


def test_the_same_external_order_twice_is_recorded_once(cast):
    for _ in range(2):
        record_order(
            actor=None,
            customer=cast.customer,
            external_id="shop-42",
            lines=[LineInput(name="X", unit_price="5")],
        )
    assert Order.objects.filter(external_id="shop-42").count() == 1
    assert TimelineEvent.objects.filter(kind="order").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"status": "lost"}, "status"),
        ({"lines": []}, "lines"),
        ({"lines": [LineInput(name="X", unit_price="abc")]}, "lines.0.unit_price"),
        ({"lines": [LineInput(name="X", unit_price="1", quantity=0)]}, "lines.0.quantity"),
        ({"lines": [LineInput(sku="UNKNOWN")]}, "lines.0.unit_price"),
    ],
)
def test_bad_orders_are_rejected_naming_the_field_and_nothing_is_saved(cast, kwargs, field):
    args = {"lines": [LineInput(name="X", unit_price="1")], **kwargs}
    with pytest.raises(ValidationError) as info:
        record_order(actor=None, customer=cast.customer, **args)
    assert field in info.value.error_dict
    assert not Order.objects.exists() and not TimelineEvent.objects.filter(kind="order").exists()


def test_purchase_summary_sums_revenue_per_currency_and_skips_cancelled_orders(cast):
    c = cast.customer
    record_order(actor=None, customer=c, lines=[LineInput(name="A", unit_price="10.00")])
    record_order(
        actor=None, customer=c, lines=[LineInput(name="B", unit_price="20.00", quantity=2)]
    )
    cancelled, _ = record_order(
        actor=None, customer=c, lines=[LineInput(name="C", unit_price="99.00")]
    )
    change_order_status(actor=cast.agent, order=cancelled, status="cancelled")
    record_order(
        actor=None, customer=c, currency="CHF", lines=[LineInput(name="D", unit_price="5.00")]
    )
    summary = purchase_summary(c)
    assert summary.order_count == 4
    assert summary.revenue == [Money(Decimal("5.00"), "CHF"), Money(Decimal("50.00"), "EUR")]
    assert summary.average_order[1] == Money(Decimal("25.00"), "EUR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("12,5", "12.50"),
        ("0.105", "0.11"),
        ("-3", "-3.00"),
        ("1 234,00", "1234.00"),
    ],
)
def test_amounts_are_parsed_in_german_and_english_notation(text, expected):
    assert parse_amount(text) == Decimal(expected)


def test_floats_and_garbage_are_not_amounts():
    for bad in (1.5, "abc", "", "NaN", "Infinity"):
        with pytest.raises(ValidationError):
            parse_amount(bad)


def test_money_is_formatted_for_the_locale():
    assert format_money(Decimal("1234.5"), "EUR", "de") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
