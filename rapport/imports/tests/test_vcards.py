from datetime import date

import pytest

from rapport.customers.models import ContactPoint, Customer
from rapport.factories import CustomerFactory, OrganizationFactory
from rapport.imports.actions import import_file
from rapport.imports.exporting import customer_vcards


def _people():
    org = OrganizationFactory(name="ACME, Inc")
    anna = CustomerFactory(
        given_name="Anna", family_name="Müller", title="Dr.", birthday=date(1980, 12, 31),
        organization=org, external_id="K1",
    )  # fmt: skip
    for kind, value, primary in (
        ("email", "anna@example.org", True),
        ("email", "anna.privat@example.org", False),
        ("phone", "+49301234567", True),
    ):
        ContactPoint.objects.create(
            customer=anna, kind=kind, value=value, normalized=value, is_primary=primary
        )
    CustomerFactory(given_name="Ben", family_name="Meyer", birthday=None)


def _snapshot():
    result = []
    for c in Customer.objects.order_by("family_name"):
        points = [
            (p.kind, p.normalized, p.is_primary) for p in c.contact_points.order_by("kind", "id")
        ]
        org = c.organization.name if c.organization else None
        result.append((c.given_name, c.family_name, c.title, c.birthday, org, points))
    return result


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_export_and_import_into_an_empty_database_round_trips(db, version):
    _people()
    before = _snapshot()
    text = "".join(customer_vcards(Customer.objects.all(), version=version))
    assert f"VERSION:{version}" in text
    Customer.objects.all().delete()
    report = import_file(data=text.encode(), kind="customers", file_format="vcard")
    assert report.counts["created"] == 2
    assert _snapshot() == before


def test_vcard_import_matches_existing_customers_by_external_id_and_email(db):
    _people()
    ben = Customer.objects.get(given_name="Ben")
    ContactPoint.objects.create(
        customer=ben, kind="email", value="ben@example.org", normalized="ben@example.org",
        is_primary=True,
    )  # fmt: skip
    text = "".join(customer_vcards(Customer.objects.all(), version="3.0"))
    report = import_file(data=text.encode(), kind="customers", file_format="vcard")
    assert report.counts["created"] == 0
    assert report.counts["unchanged"] == 2
    assert Customer.objects.count() == 2


def test_a_file_that_is_not_a_vcard_is_a_file_error(db):
    from rapport.imports.csvfile import FileError

    with pytest.raises(FileError):
        import_file(data=b"hello", kind="customers", file_format="vcard")
