import csv
import io

from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from rapport.customers.models import ContactPoint, Customer, CustomFieldDefinition, Tag
from rapport.factories import CustomerFactory
from rapport.imports.exporting import customer_csv_lines


def _rows(lines):
    return list(csv.DictReader(io.StringIO("".join(lines).lstrip("\ufeff"))))


def test_export_puts_the_primary_email_first_and_joins_contacts(db):
    customer = CustomerFactory(given_name="Anna", family_name="Schmidt", external_id="K1")
    for value, primary in (("b@example.org", False), ("a@example.org", True)):
        ContactPoint.objects.create(
            customer=customer, kind="email", value=value, normalized=value, is_primary=primary
        )
    customer.tags.add(Tag.objects.create(name="vip"))
    (row,) = _rows(customer_csv_lines(Customer.objects.all()))
    assert row["emails"] == "a@example.org | b@example.org"
    assert (row["external_id"], row["given_name"], row["tags"]) == ("K1", "Anna", "vip")


def test_export_has_custom_field_columns(db):
    CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="decimal")
    CustomerFactory(custom_fields={"budget": "12.50"})
    (row,) = _rows(customer_csv_lines(Customer.objects.all()))
    assert row["budget"] == "12.50"


def test_export_with_semicolon_and_bom_for_excel(db):
    CustomerFactory()
    text = "".join(customer_csv_lines(Customer.objects.all(), delimiter=";", bom=True))
    assert text.startswith("\ufeffid;external_id;")


def test_export_reads_customers_in_chunks_with_a_fixed_number_of_queries(db):
    for _ in range(30):
        ContactPoint.objects.create(
            customer=CustomerFactory(),
            kind="email",
            value="x@example.org",
            normalized="x@example.org",
        )
    with CaptureQueriesContext(connection) as queries:
        lines = list(customer_csv_lines(Customer.objects.all()))
    assert len(lines) == 31
    assert len(queries) <= 5


def test_exported_csv_imports_back_into_an_empty_database(db):
    from rapport.imports.actions import import_file

    customer = CustomerFactory(given_name="Jürgen", family_name="Müller", external_id="K1")
    ContactPoint.objects.create(
        customer=customer, kind="phone", value="+49301234567", normalized="+49301234567",
        is_primary=True,
    )  # fmt: skip
    text = "".join(customer_csv_lines(Customer.objects.all()))
    Customer.objects.all().delete()
    report = import_file(data=text.encode(), kind="customers")
    assert report.counts["created"] == 1
    assert set(report.ignored_columns) == {"id", "created_at"}
    restored = Customer.objects.get()
    assert (restored.given_name, restored.external_id) == ("Jürgen", "K1")
    assert restored.contact_points.get().normalized == "+49301234567"


def test_export_page_streams_csv_to_staff(client, cast):
    client.force_login(cast.marketer)
    response = client.get("/imports/export/customers/", {"format": "csv", "delimiter": ";"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("id;external_id;")
    assert "anna@example.org" in body


def test_export_page_is_refused_to_portal_customers(client, cast):
    client.force_login(cast.portal_user)
    assert client.get("/imports/export/customers/", {"format": "csv"}).status_code == 403


def test_export_keeps_spreadsheets_from_running_formulas_and_import_reads_them_back(db):
    from rapport.imports.actions import import_file

    CustomerFactory(given_name="=HYPERLINK(1)", family_name="@evil")
    text = "".join(customer_csv_lines(Customer.objects.all()))
    (row,) = _rows([text])
    assert (row["given_name"], row["family_name"]) == ("'=HYPERLINK(1)", "'@evil")
    Customer.objects.all().delete()
    import_file(data=text.encode(), kind="customers")
    assert Customer.objects.get().given_name == "=HYPERLINK(1)"
