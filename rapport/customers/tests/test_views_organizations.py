import pytest
from django.urls import reverse

from rapport.customers.models import Organization
from rapport.factories import CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:organization_list")


def test_organization_list_searches_by_name_prefix(agent_client, cast):
    OrganizationFactory(name="Müller Bau")
    OrganizationFactory(name="Schulz AG")
    response = agent_client.get(LIST, {"q": "mul"})
    assert [o.name for o in response.context["organizations"]] == ["Müller Bau"]
    assert [o.name for o in agent_client.get(LIST, {"q": "mueller"}).context["organizations"]] == [
        "Müller Bau"
    ]


def test_organization_list_pages_by_cursor(agent_client, cast):
    for i in range(30):
        OrganizationFactory(name=f"Firma {i:02d}")
    first = agent_client.get(LIST)
    assert len(first.context["organizations"]) == 25
    second = agent_client.get(LIST, {"cursor": first.context["next_cursor"]})
    assert [o.name for o in second.context["organizations"]] == [
        f"Firma {i}" for i in range(25, 30)
    ]
    assert second.context["next_cursor"] is None


def test_organization_detail_shows_fields_customers_and_account_manager(agent_client, cast):
    org = OrganizationFactory(name="Acme GmbH", industry="Retail", account_manager=cast.manager)
    CustomerFactory(given_name="Olga", family_name="Orlova", organization=org)
    html = agent_client.get(
        reverse("customers:organization_detail", args=[org.pk])
    ).content.decode()
    assert "Acme GmbH" in html and "Retail" in html and "Olga Orlova" in html
    assert cast.manager.get_full_name() in html


def test_creating_an_organization(agent_client, cast):
    response = agent_client.post(
        reverse("customers:organization_create"),
        {
            "name": "Neue Firma",
            "country": "DE",
            "account_manager": str(cast.manager.pk),
        },
    )
    org = Organization.objects.get(name="Neue Firma")
    assert response.status_code == 302 and org.account_manager == cast.manager


def test_an_organization_needs_a_name_and_a_known_country(agent_client, cast):
    response = agent_client.post(
        reverse("customers:organization_create"), {"name": "", "country": "XX"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "country"}
    assert not Organization.objects.exists()


def test_editing_an_organization(agent_client, cast):
    org = OrganizationFactory(name="Old Name")
    url = reverse("customers:organization_edit", args=[org.pk])
    assert 'value="Old Name"' in agent_client.get(url).content.decode()
    agent_client.post(url, {"name": "New Name", "country": "AT", "industry": "Food"})
    org.refresh_from_db()
    assert (org.name, org.country, org.industry) == ("New Name", "AT", "Food")
