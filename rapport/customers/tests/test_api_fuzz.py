"""Random JSON of the wrong shape never makes the API fail with a 500."""

import json
import random

import pytest

pytestmark = pytest.mark.django_db

VALUES = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    "",
    "x" * 300,
    "\x00\ud7ff",
    "\ud800lone",
    [],
    [1, "a"],
    [{"a": 1}],
    {},
    {"nested": {"deep": [None]}},
    "2024-13-45",
    "1.234,50",
]
FIELDS = {
    "/api/v1/customers": [
        "given_name",
        "family_name",
        "birthday",
        "emails",
        "phones",
        "socials",
        "tags",
        "custom_fields",
        "organization_id",
        "account_manager_id",
        "is_vip",
        "external_id",
        "country",
    ],
    "/api/v1/orders": ["customer_id", "lines", "currency", "status", "ordered_at", "external_id"],
    "/api/v1/products": ["sku", "name", "price", "currency", "is_active"],
    "/api/v1/organizations": ["name", "country", "external_id", "account_manager_id"],
}
RAW_BODIES = [b"{", b"[]", b"\xff\xfe", b'{"a":' * 5000, b"1e999999", b'{"given_name": Infinity}']


def random_body(rng: random.Random, fields: list[str]) -> dict:
    return {name: rng.choice(VALUES) for name in rng.sample(fields, rng.randint(1, len(fields)))}


def test_malformed_bodies_never_give_a_server_error(client, api_token, cast):
    headers = {"Authorization": f"Bearer {api_token}"}
    rng = random.Random(20240607)
    for url, fields in FIELDS.items():
        for _ in range(15):
            body = random_body(rng, fields)
            if url == "/api/v1/orders" and rng.random() < 0.5:
                body["customer_id"] = cast.customer.pk
                body["lines"] = [
                    {"name": "x", "quantity": rng.choice(VALUES), "unit_price": rng.choice(VALUES)}
                ]
            response = client.post(
                url, json.dumps(body), content_type="application/json", headers=headers
            )
            assert response.status_code < 500, (url, body, response.content)
            assert "error" in response.json() or response.status_code in (200, 201)
        for raw in RAW_BODIES:
            response = client.post(url, raw, content_type="application/json", headers=headers)
            assert 400 <= response.status_code < 500, (url, raw, response.content)
    patch_url = f"/api/v1/customers/{cast.customer.pk}"
    for _ in range(15):
        body = random_body(rng, FIELDS["/api/v1/customers"][:4] + ["custom_fields", "is_vip"])
        response = client.patch(
            patch_url, json.dumps(body), content_type="application/json", headers=headers
        )
        assert response.status_code < 500, (body, response.content)
