import pytest
from django.core.exceptions import ValidationError

from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.models import ContactPoint, Customer
from rapport.customers.queries import identify_customer
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_create_customer_stores_contact_points_normalised_with_one_primary_each(cast):
    customer = create_customer(
        actor=cast.agent,
        profile={
            "given_name": "Jörg",
            "family_name": "Müller",
            "country": "de",
            "language": "DE",
            "time_zone": "Europe/Berlin",
        },
        contacts=ContactInput(
            emails=["Joerg@Example.ORG", "j.mueller@example.com"], phones=["030 1234567"]
        ),
        tags=["VIP", "Newsletter"],
    )
    points = {(p.kind, p.normalized, p.is_primary) for p in customer.contact_points.all()}
    assert points == {
        ("email", "joerg@example.org", True),
        ("email", "j.mueller@example.com", False),
        ("phone", "+49301234567", True),
    }
    assert customer.country == "DE" and customer.language == "de"
    assert customer.family_key == "muller"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["Newsletter", "VIP"]
    assert TimelineEvent.objects.filter(customer=customer, kind="profile").count() == 1


def test_any_contact_point_identifies_the_customer_later(cast):
    customer = create_customer(
        actor=cast.agent,
        profile={"family_name": "Lee", "country": "GB"},
        contacts=ContactInput(
            emails=["lee@example.co.uk", "second@example.co.uk"], phones=["+44 20 7946 0958"]
        ),
    )
    assert identify_customer(email="SECOND@example.co.uk") == customer
    assert identify_customer(phone="+442079460958") == customer
    assert identify_customer(email="nobody@example.co.uk") is None


@pytest.mark.parametrize(
    ("profile", "contacts", "field"),
    [
        ({"family_name": "X"}, ContactInput(emails=["not-an-email"]), "emails"),
        ({"family_name": "X"}, ContactInput(phones=["12"]), "phones"),
        ({"family_name": "X", "time_zone": "Mars/Olympus"}, None, "time_zone"),
        ({"family_name": "X", "language": "xx"}, None, "language"),
        ({"family_name": "X", "country": "ZZ"}, None, "country"),
        ({"given_name": "", "family_name": ""}, None, "family_name"),
    ],
)
def test_invalid_input_is_rejected_with_the_field_named_and_nothing_saved(
    cast, profile, contacts, field
):
    before = Customer.objects.count(), ContactPoint.objects.count(), TimelineEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        create_customer(actor=cast.agent, profile=profile, contacts=contacts)
    assert field in info.value.error_dict
    assert (
        Customer.objects.count(),
        ContactPoint.objects.count(),
        TimelineEvent.objects.count(),
    ) == before


def test_create_customers_in_bulk_validates_each_entry(db):
    from django.core.exceptions import ValidationError

    from rapport.customers.actions import ContactInput, NewCustomer, create_customers
    from rapport.customers.models import ContactPoint, Customer
    from rapport.timeline.models import TimelineEvent

    results = create_customers(
        actor=None,
        entries=[
            NewCustomer(
                {"given_name": "Jürgen", "family_name": "Öztürk"},
                ContactInput(emails=["J@Example.de", "j@example.de"]),
            ),
            NewCustomer({"given_name": "Kaputt"}, ContactInput(emails=["not an address"])),
            NewCustomer({"given_name": "Extern", "external_id": "X-1"}, ContactInput()),
        ],
        source="email",
    )
    created, bad_email, external = results
    assert isinstance(created, Customer) and created.pk
    assert created.family_key == "ozturk"
    assert list(
        ContactPoint.objects.filter(customer=created).values_list("normalized", "is_primary")
    ) == [("j@example.de", True)]
    assert TimelineEvent.objects.filter(customer=created, data__source="email").count() == 1
    assert isinstance(bad_email, ValidationError) and "emails" in bad_email.message_dict
    assert isinstance(external, ValidationError) and "external_id" in external.message_dict
    assert Customer.objects.count() == 1
