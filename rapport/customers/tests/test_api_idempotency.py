"""Creates through the API are idempotent by external_id or by an Idempotency-Key header."""

import json

import pytest

from rapport.accounts.actions import create_api_token
from rapport.accounts.models import IdempotencyKey
from rapport.customers.models import Customer
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"
PAYLOAD = {"given_name": "Clara", "family_name": "Wolf", "emails": ["clara@example.org"]}


@pytest.fixture
def post(client, api_token):
    def post(url, data, key=None, token=api_token):
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return client.post(url, json.dumps(data), content_type="application/json", headers=headers)

    return post


def test_same_external_id_returns_the_existing_customer_with_200_unchanged(post, cast):
    first = post(URL, {**PAYLOAD, "external_id": "shop-17"})
    second = post(URL, {**PAYLOAD, "external_id": "shop-17", "family_name": "Fuchs"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["family_name"] == "Wolf"
    assert Customer.objects.filter(external_id="shop-17").count() == 1
    assert TimelineEvent.objects.filter(customer_id=first.json()["id"]).count() == 1


def test_repeat_with_the_same_idempotency_key_replays_the_first_response(post, cast):
    first = post(URL, PAYLOAD, key="0f8e1c1a-create-clara")
    second = post(URL, PAYLOAD, key="0f8e1c1a-create-clara")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert Customer.objects.filter(family_name="Wolf").count() == 1


def test_same_key_with_a_different_body_is_refused(post, cast):
    post(URL, PAYLOAD, key="k-1")
    response = post(URL, {**PAYLOAD, "given_name": "Carla"}, key="k-1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Customer.objects.filter(family_name="Wolf").count() == 1


def test_same_key_on_a_different_endpoint_is_refused(post, cast):
    post(URL, PAYLOAD, key="k-2")
    response = post(f"{URL}/{cast.customer.pk}/notes", {"body": "hello"}, key="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_key_order_of_json_fields_does_not_matter(post, cast):
    first = post(URL, {"given_name": "Clara", "family_name": "Wolf"}, key="k-3")
    second = post(URL, {"family_name": "Wolf", "given_name": "Clara"}, key="k-3")
    assert second.json() == first.json()


def test_keys_belong_to_one_user(post, cast):
    _token, other = create_api_token(user=cast.manager, name="other")
    post(URL, PAYLOAD, key="shared")
    response = post(URL, PAYLOAD, key="shared", token=other)
    assert response.status_code == 201
    assert Customer.objects.filter(family_name="Wolf").count() == 2


def test_failed_request_does_not_use_up_the_key(post, cast):
    refused = post(URL, {**PAYLOAD, "country": "XX"}, key="k-4")
    assert refused.status_code == 422
    assert not IdempotencyKey.objects.exists()
    corrected = post(URL, {**PAYLOAD, "country": "DE"}, key="k-4")
    assert corrected.status_code == 201


def test_overlong_idempotency_key_is_refused(post, cast):
    response = post(URL, PAYLOAD, key="x" * 300)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not Customer.objects.filter(family_name="Wolf").exists()


def test_idempotency_key_makes_notes_idempotent_too(post, cast):
    url = f"{URL}/{cast.customer.pk}/notes"
    post(url, {"body": "Called back"}, key="note-1")
    post(url, {"body": "Called back"}, key="note-1")
    assert TimelineEvent.objects.filter(customer=cast.customer, kind="note").count() == 1
