from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.commerce.models import Order, OrderLine
from rapport.customers.models import Customer
from rapport.imports.csvfile import FileError
from rapport.timeline.models import EventKind, TimelineEvent

LINES = (
    "Bestellnummer;E-Mail;Datum;Artikel;Menge;Einzelpreis;Währung\n"
    "B-1;anna@example.org;31.12.2024;Kopfhörer;2;1.234,50;EUR\n"
    "B-2;ben@example.org;01.01.2025;Kabel;1;9,99;EUR\n"
    "B-1;anna@example.org;31.12.2024;Tasche;1;19,90;EUR\n"
)


def test_rows_are_grouped_into_orders_with_decimal_totals(run_import, cast):
    report = run_import(LINES, kind="orders")
    assert report.counts["created"] == 2
    order = Order.objects.get(external_id="B-1")
    assert order.customer == cast.customer
    assert order.total == Decimal("2488.90")
    assert sorted(order.lines.values_list("name", "quantity", "unit_price")) == [
        ("Kopfhörer", 2, Decimal("1234.50")),
        ("Tasche", 1, Decimal("19.90")),
    ]
    assert timezone.localtime(order.ordered_at).date().isoformat() == "2024-12-31"


def test_each_imported_order_lands_in_the_timeline_and_makes_a_lead_a_customer(run_import, cast):
    run_import(LINES, kind="orders")
    events = TimelineEvent.objects.filter(kind=EventKind.ORDER, customer=cast.customer)
    assert events.count() == 1
    assert events.get().dedupe_key == f"order:{Order.objects.get(external_id='B-1').pk}"
    cast.customer.refresh_from_db()
    assert cast.customer.lifecycle_stage == "customer"


def test_importing_orders_twice_records_each_order_once(run_import, cast):
    run_import(LINES, kind="orders")
    report = run_import(LINES, kind="orders")
    assert report.counts["created"] == 0
    assert report.counts["unchanged"] == 2
    assert Order.objects.count() == 2
    assert OrderLine.objects.count() == 3


def test_one_row_per_order_with_a_total_is_imported(run_import, cast):
    run_import(
        "order_id,customer_email,total,currency\nX1,ben@example.org,99.95,EUR\n", kind="orders"
    )
    order = Order.objects.get(external_id="X1")
    assert (order.total, order.customer) == (Decimal("99.95"), cast.other_customer)


def test_unknown_customer_is_a_row_issue_not_a_new_customer(run_import, cast):
    report = run_import(
        "order_id;customer_email;total\nX1;stranger@example.org;10,00\nX2;ben@example.org;5,00\n",
        kind="orders",
    )
    assert report.counts == {
        "created": 1, "updated": 0, "unchanged": 0, "invalid": 1, "duplicate": 0, "empty": 0
    }  # fmt: skip
    assert report.issues[0].code == "unknown_customer"
    assert not Customer.objects.filter(contact_points__normalized="stranger@example.org").exists()


def test_unknown_customer_is_created_when_asked(run_import, cast):
    run_import(
        "order_id;customer_email;Vorname;Nachname;total\nX1;neu@example.org;Nina;Neu;10,00\n"
        "X2;neu@example.org;Nina;Neu;12,00\n",
        kind="orders",
        create_customers=True,
    )
    customer = Customer.objects.get(family_name="Neu")
    assert customer.orders.count() == 2


def test_an_order_with_one_bad_line_is_not_half_saved(run_import, cast):
    report = run_import(
        "order_id;customer_email;product_name;quantity;unit_price\n"
        "X1;anna@example.org;Gut;1;10,00\nX1;anna@example.org;Schlecht;zwei;10,00\n",
        kind="orders",
    )
    assert report.counts["invalid"] == 1
    assert report.issues[0].row == 3
    assert report.issues[0].column == "quantity"
    assert not Order.objects.exists()


def test_identical_order_rows_are_reported_as_duplicates(run_import, cast):
    report = run_import(
        "order_id;customer_email;product_name;unit_price\n"
        "X1;anna@example.org;Kabel;5,00\nX1;anna@example.org;Kabel;5,00\n",
        kind="orders",
    )
    assert report.counts["duplicate"] == 1
    assert Order.objects.get().total == Decimal("5.00")


def test_orders_file_without_order_id_is_a_file_error(run_import, cast):
    with pytest.raises(FileError) as exc:
        run_import("customer_email;total\nanna@example.org;5\n", kind="orders")
    assert exc.value.code == "missing_column"


def test_order_dry_run_writes_nothing(run_import, cast):
    report = run_import(LINES, kind="orders", dry_run=True)
    assert report.counts["created"] == 2
    assert not Order.objects.exists()


def test_a_customer_that_cannot_be_created_makes_the_order_invalid(run_import, cast):
    report = run_import(
        "order_id;customer_email;total\nX1;kaputt;10,00\n", kind="orders", create_customers=True
    )
    assert report.counts["invalid"] == 1
    assert report.issues[0].code == "invalid_email"
    assert not Order.objects.exists()
