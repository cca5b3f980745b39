"""Organizations through the API."""

import json

import pytest

from rapport.customers.models import Organization
from rapport.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizations"


@pytest.fixture
def send(client, api_token):
    def send(method, url, data=None):
        return getattr(client, method)(
            url,
            json.dumps(data) if data is not None else None,
            content_type="application/json",
            headers={"Authorization": f"Bearer {api_token}"},
        )

    return send


def test_create_organization(send, cast):
    response = send("post", URL, {"name": "Nordwind GmbH", "country": "de", "vat_id": "DE123"})
    assert response.status_code == 201
    organization = Organization.objects.get(pk=response.json()["id"])
    assert (organization.name, organization.country) == ("Nordwind GmbH", "DE")


def test_organization_with_known_external_id_is_returned_not_duplicated(send, cast):
    first = send("post", URL, {"name": "Nordwind", "external_id": "crm-1"})
    second = send("post", URL, {"name": "Other name", "external_id": "crm-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["name"] == "Nordwind"
    assert Organization.objects.count() == 1


def test_organization_with_invalid_country_is_refused(send, cast):
    response = send("post", URL, {"name": "Nordwind", "country": "QQ"})
    assert response.status_code == 422
    assert "country" in response.json()["error"]["fields"]
    assert not Organization.objects.exists()


def test_organization_without_name_is_refused(send, cast):
    response = send("post", URL, {"country": "DE"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["name"][0]["code"] == "required"


def test_overlong_organization_field_is_refused_not_truncated(send, cast):
    response = send("post", URL, {"name": "Nordwind", "vat_id": "X" * 40})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["vat_id"][0]["code"] == "too_long"


def test_list_and_search_organizations(send, cast):
    OrganizationFactory(name="Älpler AG")
    OrganizationFactory(name="Beta GmbH")
    body = send("get", URL + "?q=alp").json()
    assert [o["name"] for o in body["items"]] == ["Älpler AG"]
    assert send("get", URL).json()["total"] == 2


def test_patch_organization(send, cast):
    organization = OrganizationFactory(name="Nordwind")
    response = send("patch", f"{URL}/{organization.pk}", {"industry": "Shipping"})
    assert response.status_code == 200
    organization.refresh_from_db()
    assert (organization.industry, organization.name) == ("Shipping", "Nordwind")


def test_unknown_organization_gives_404(send, cast):
    assert send("get", f"{URL}/424242").status_code == 404
