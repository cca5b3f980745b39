"""Products through the API: upsert by SKU, money as strings."""

import json

import pytest

from rapport.commerce.models import Product
from rapport.factories import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"


@pytest.fixture
def auth(api_token):
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture
def post(client, auth):
    def post(data):
        return client.post(URL, json.dumps(data), content_type="application/json", headers=auth)

    return post


def test_create_product_returns_price_as_string(post, cast):
    response = post({"sku": "HP-1", "name": "Headphones", "price": "49.90", "currency": "eur"})
    assert response.status_code == 201
    body = response.json()
    assert (body["price"], body["currency"]) == ("49.90", "EUR")


def test_posting_a_known_sku_updates_the_product_with_200(post, cast):
    post({"sku": "HP-1", "name": "Headphones", "price": "49.90"})
    response = post({"sku": "HP-1", "name": "Headphones II", "price": "1.234,50"})
    assert response.status_code == 200
    product = Product.objects.get(sku="HP-1")
    assert (product.name, str(product.price)) == ("Headphones II", "1234.50")


def test_float_price_is_refused(post, cast):
    response = post({"sku": "HP-1", "name": "Headphones", "price": 49.9})
    assert response.status_code == 422
    assert "price" in response.json()["error"]["fields"]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("price", "abc"), ("price", "-5"), ("currency", "EURO"), ("currency", "XYZ")],
)
def test_invalid_price_or_currency_gives_422_naming_the_field(post, cast, field, value):
    response = post({"sku": "HP-1", "name": "Headphones", "price": "10", field: value})
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not Product.objects.exists()


def test_price_too_large_for_storage_is_refused(post, cast):
    response = post({"sku": "HP-1", "name": "Yacht", "price": "1" + "0" * 15})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["price"][0]["code"] == "amount_too_large"


def test_get_product_by_sku_or_id(client, auth, cast):
    product = ProductFactory(sku="HP-1")
    assert client.get(f"{URL}/HP-1", headers=auth).json()["id"] == product.pk
    assert client.get(f"{URL}/{product.pk}", headers=auth).json()["sku"] == "HP-1"
    assert client.get(f"{URL}/NOPE", headers=auth).status_code == 404


def test_list_products_filters_by_category_and_search(client, auth, cast):
    ProductFactory(name="Headphones", category="Audio")
    ProductFactory(name="Speaker", category="Audio")
    ProductFactory(name="Cable", category="Accessories")
    body = client.get(URL, {"category": "Audio"}, headers=auth).json()
    assert [p["name"] for p in body["items"]] == ["Headphones", "Speaker"]
    body = client.get(URL, {"q": "phone"}, headers=auth).json()
    assert [p["name"] for p in body["items"]] == ["Headphones"]


def test_list_products_pages_with_cursor(client, auth, cast):
    for i in range(5):
        ProductFactory(name=f"P{i}")
    first = client.get(URL, {"limit": 3}, headers=auth).json()
    second = client.get(URL, {"limit": 3, "cursor": first["next_cursor"]}, headers=auth).json()
    names = [p["name"] for p in first["items"] + second["items"]]
    assert names == ["P0", "P1", "P2", "P3", "P4"]
    assert second["next_cursor"] is None
