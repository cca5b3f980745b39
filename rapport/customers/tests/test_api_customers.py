"""The customer endpoints of the REST API: create, read, change, contact points, consent."""

import json

import pytest

from rapport.customers.models import ConsentRecord, ContactPoint, Customer, CustomFieldDefinition
from rapport.factories import OrganizationFactory
from rapport.timeline.models import EventKind, TimelineEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


@pytest.fixture
def auth(api_token):
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture
def post(client, auth):
    def post(url, data, **kwargs):
        body = data if isinstance(data, bytes | str) else json.dumps(data)
        return client.post(url, body, content_type="application/json", headers=auth, **kwargs)

    return post


@pytest.fixture
def patch(client, auth):
    def patch(url, data):
        return client.patch(url, json.dumps(data), content_type="application/json", headers=auth)

    return patch


def error(response) -> dict:
    return response.json()["error"]


VALID = {
    "given_name": "Jörg",
    "family_name": "Müller",
    "country": "DE",
    "language": "de",
    "time_zone": "Europe/Berlin",
    "emails": ["Joerg@Example.org"],
    "phones": ["030 1234567"],
    "socials": [{"platform": "instagram", "handle": "@joerg"}],
    "tags": ["vip-event"],
}


def test_create_customer_returns_201_with_normalised_contact_points(post, cast):
    response = post(URL, VALID)
    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.family_name == "Müller"
    kinds = {p["kind"]: p["value"] for p in body["contact_points"]}
    assert kinds == {"email": "Joerg@Example.org", "phone": "+49301234567", "social": "@joerg"}
    assert body["tags"] == ["vip-event"]
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_create_customer_records_a_timeline_event_by_the_token_owner(post, cast):
    body = post(URL, VALID).json()
    event = TimelineEvent.objects.get(customer_id=body["id"])
    assert event.kind == EventKind.PROFILE
    assert event.actor == cast.agent
    assert event.data["source"] == "api"
    assert event.data["message"] == {"text": "Customer created", "params": {}}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("emails", ["not-an-address"], "invalid_email"),
        ("phones", ["12"], "invalid_phone"),
        ("time_zone", "Mars/Olympus", "invalid_time_zone"),
        ("language", "klingon", "invalid_language"),
        ("country", "XX", "invalid_country"),
    ],
)
def test_invalid_value_gives_422_naming_the_field_and_saves_nothing(post, cast, field, value, code):
    before = Customer.objects.count(), ContactPoint.objects.count(), TimelineEvent.objects.count()
    response = post(URL, {**VALID, field: value})
    assert response.status_code == 422
    err = error(response)
    assert err["code"] == "validation_error"
    assert list(err["fields"]) == [field]
    assert err["fields"][field][0]["code"] == code
    assert err["fields"][field][0]["message"]
    after = Customer.objects.count(), ContactPoint.objects.count(), TimelineEvent.objects.count()
    assert after == before


def test_customer_without_any_name_is_refused(post, cast):
    response = post(URL, {"emails": ["x@example.org"]})
    assert response.status_code == 422
    assert "family_name" in error(response)["fields"]


def test_unknown_field_gives_422_unknown_field(post, cast):
    response = post(URL, {**VALID, "favourite_colour": "blue"})
    assert response.status_code == 422
    err = error(response)
    assert err["code"] == "unknown_field"
    assert err["fields"]["favourite_colour"][0]["code"] == "unknown_field"


def test_unknown_field_in_a_nested_object_is_refused(post, cast):
    response = post(URL, {**VALID, "socials": [{"platform": "x", "handle": "a", "extra": 1}]})
    assert response.status_code == 422
    assert "socials.0.extra" in error(response)["fields"]


def test_wrong_type_gives_422_naming_the_field(post, cast):
    response = post(URL, {**VALID, "emails": "joerg@example.org", "is_vip": {"yes": True}})
    assert response.status_code == 422
    fields = error(response)["fields"]
    assert fields["emails"][0]["code"] == "wrong_type"
    assert fields["is_vip"][0]["code"] == "wrong_type"
    assert not Customer.objects.filter(family_name="Müller").exists()


def test_malformed_json_gives_400(post, cast):
    response = post(URL, b'{"given_name": "Anna",')
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_json"


def test_json_that_is_not_an_object_gives_400(post, cast):
    for body in (b"[]", b'"text"', b"42", b"null"):
        response = post(URL, body)
        assert response.status_code == 400, body
        assert error(response)["code"] == "invalid_body"


def test_nan_is_not_accepted_as_json(post, cast):
    response = post(URL, b'{"given_name": NaN}')
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_json"


def test_empty_body_gives_422(post, cast):
    response = post(URL, b"")
    assert response.status_code == 422


def test_oversized_body_gives_413_json(post, cast):
    body = json.dumps({**VALID, "given_name": "x" * (3 * 1024 * 1024)})
    response = post(URL, body)
    assert response.status_code == 413
    assert error(response)["code"] == "payload_too_large"
    assert not Customer.objects.filter(family_name="Müller").exists()


def test_organization_and_account_manager_are_given_by_id(post, cast):
    organization = OrganizationFactory(name="Nordwind GmbH")
    body = post(
        URL, {**VALID, "organization_id": organization.pk, "account_manager_id": cast.manager.pk}
    ).json()
    assert body["organization"] == {"id": organization.pk, "name": "Nordwind GmbH"}
    assert body["account_manager_id"] == cast.manager.pk


def test_unknown_organization_id_gives_422_naming_it(post, cast):
    response = post(URL, {**VALID, "organization_id": 987654})
    assert response.status_code == 422
    assert error(response)["fields"]["organization_id"][0]["code"] == "does_not_exist"


def test_portal_user_cannot_be_account_manager(post, cast):
    response = post(URL, {**VALID, "account_manager_id": cast.portal_user.pk})
    assert response.status_code == 422
    assert "account_manager_id" in error(response)["fields"]


def test_custom_field_values_are_validated(post, cast):
    CustomFieldDefinition.objects.create(key="shoe_size", label="Shoe size", field_type="number")
    response = post(URL, {**VALID, "custom_fields": {"shoe_size": "big"}})
    assert response.status_code == 422
    assert "custom_fields.shoe_size" in error(response)["fields"]
    body = post(URL, {**VALID, "custom_fields": {"shoe_size": "43"}}).json()
    assert body["custom_fields"] == {"shoe_size": 43}


def test_get_customer_returns_the_profile(client, auth, cast):
    response = client.get(f"{URL}/{cast.customer.pk}", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Anna Schmidt"
    assert body["contact_points"][0]["value"] == "anna@example.org"


def test_unknown_customer_id_gives_404_json(client, auth, cast):
    response = client.get(f"{URL}/999999", headers=auth)
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


@pytest.mark.parametrize("customer_id", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_odd_customer_ids_give_4xx_json(client, auth, cast, customer_id):
    response = client.get(f"{URL}/{customer_id}", headers=auth)
    assert response.status_code in (404, 422)
    assert "error" in response.json()


def test_unknown_api_path_gives_404_json(client, auth, cast):
    response = client.get("/api/v1/no-such-thing/1", headers=auth)
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_patch_changes_only_given_fields_and_records_the_change(patch, cast):
    customer = cast.customer
    response = patch(f"{URL}/{customer.pk}", {"preferred_name": "Anni", "is_vip": True})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.preferred_name, customer.is_vip, customer.family_name) == (
        "Anni",
        True,
        "Schmidt",
    )
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.PROFILE)
    assert set(event.data["changes"]) == {"preferred_name", "is_vip"}


def test_patch_with_invalid_value_changes_nothing(patch, cast):
    response = patch(f"{URL}/{cast.customer.pk}", {"preferred_name": "Anni", "country": "ZZ"})
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["country"]
    cast.customer.refresh_from_db()
    assert cast.customer.preferred_name == ""


def test_patch_refuses_unknown_fields(patch, cast):
    response = patch(f"{URL}/{cast.customer.pk}", {"emails": ["a@example.org"]})
    assert response.status_code == 422
    assert error(response)["code"] == "unknown_field"


def test_patch_of_unknown_customer_gives_404(patch, cast):
    assert patch(f"{URL}/999999", {"title": "Dr."}).status_code == 404


def test_patch_merges_custom_fields_and_null_removes_one(patch, cast):
    CustomFieldDefinition.objects.create(key="size", label="Size", field_type="text")
    CustomFieldDefinition.objects.create(key="team", label="Team", field_type="text")
    cast.customer.custom_fields = {"size": "M", "team": "blue"}
    cast.customer.save()
    body = patch(f"{URL}/{cast.customer.pk}", {"custom_fields": {"size": "L", "team": None}}).json()
    assert body["custom_fields"] == {"size": "L"}


def test_add_contact_point_to_customer(post, cast):
    response = post(
        f"{URL}/{cast.customer.pk}/contact-points", {"kind": "phone", "value": "+49 30 1234567"}
    )
    assert response.status_code == 201
    assert response.json()["value"] == "+49301234567"
    assert cast.customer.contact_points.filter(kind="phone").exists()


def test_invalid_contact_point_gives_422_naming_value(post, cast):
    response = post(f"{URL}/{cast.customer.pk}/contact-points", {"kind": "email", "value": "x@"})
    assert response.status_code == 422
    assert error(response)["fields"]["value"][0]["code"] == "invalid_email"


def test_record_consent_through_the_api(post, cast):
    response = post(
        f"{URL}/{cast.customer.pk}/consents",
        {"purpose": "newsletter", "granted": True, "wording_version": "2024-05"},
    )
    assert response.status_code == 201
    record = ConsentRecord.objects.get(customer=cast.customer)
    assert (record.source, record.recorded_by) == ("api", cast.agent)


def test_unknown_consent_purpose_gives_422(post, cast):
    response = post(
        f"{URL}/{cast.customer.pk}/consents",
        {"purpose": "telepathy", "granted": True, "wording_version": "1"},
    )
    assert response.status_code == 422
    assert "purpose" in error(response)["fields"]
    assert not ConsentRecord.objects.exists()


def test_unsupported_method_gives_405_json(client, auth, cast):
    response = client.delete(f"{URL}/{cast.customer.pk}", headers=auth)
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    assert "PATCH" in response["Allow"]
    assert Customer.objects.filter(pk=cast.customer.pk).exists()


def test_empty_patch_changes_nothing(patch, cast):
    response = patch(f"{URL}/{cast.customer.pk}", {})
    assert response.status_code == 200
    assert not TimelineEvent.objects.filter(customer=cast.customer).exists()


def test_invalid_query_parameter_gives_422(client, auth, cast):
    response = client.get(URL, {"is_vip": "maybe"}, headers=auth)
    assert response.status_code == 422
    assert "is_vip" in error(response)["fields"]
