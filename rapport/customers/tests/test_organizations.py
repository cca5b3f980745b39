import pytest
from django.core.exceptions import ValidationError

from rapport.customers.actions import create_organization, update_organization
from rapport.customers.models import Organization

pytestmark = pytest.mark.django_db


def test_organization_is_created_with_normalised_country_and_phone(cast):
    org = create_organization(
        actor=cast.agent, name=" Acme GmbH ", country="de", phone="030 1234567", external_id=""
    )
    assert (org.name, org.country, org.phone, org.external_id, org.name_key) == (
        "Acme GmbH",
        "DE",
        "+49301234567",
        None,
        "acme gmbh",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A", "country": "XX"}, "country"),
        ({"name": "A", "vat_id": "D" * 40}, "vat_id"),
        ({"name": "A", "phone": "123"}, "phone"),
    ],
)
def test_bad_organization_fields_are_named_and_nothing_is_saved(cast, fields, field):
    with pytest.raises(ValidationError) as info:
        create_organization(actor=cast.agent, **fields)
    assert field in info.value.error_dict
    assert not Organization.objects.exists()


def test_an_external_id_cannot_be_taken_twice_on_create_or_update(cast):
    create_organization(actor=cast.agent, name="A", external_id="ORG-1")
    other = create_organization(actor=cast.agent, name="B")
    with pytest.raises(ValidationError):
        create_organization(actor=cast.agent, name="C", external_id="ORG-1")
    with pytest.raises(ValidationError) as info:
        update_organization(actor=cast.agent, organization=other, external_id="ORG-1")
    assert "external_id" in info.value.error_dict
    other.refresh_from_db()
    assert other.external_id is None


def test_update_keeps_fields_not_given(cast):
    org = create_organization(actor=cast.agent, name="A", industry="Retail")
    update_organization(actor=cast.agent, organization=org, name="A2")
    org.refresh_from_db()
    assert (org.name, org.industry) == ("A2", "Retail")
