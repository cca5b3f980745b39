"""Orders through the API: totals in Decimal, timeline events, status changes, idempotency."""

import json
from decimal import Decimal

import pytest

from rapport.commerce.models import Order
from rapport.factories import CustomerFactory, OrderFactory, ProductFactory
from rapport.timeline.models import EventKind, TimelineEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders"


@pytest.fixture
def auth(api_token):
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture
def post(client, auth):
    def post(url, data):
        return client.post(url, json.dumps(data), content_type="application/json", headers=auth)

    return post


def order(customer, **fields):
    return {
        "customer_id": customer.pk,
        "currency": "EUR",
        "ordered_at": "2024-05-03T10:15:00+02:00",
        "lines": [
            {"name": "Headphones", "quantity": 2, "unit_price": "49.90"},
            {"name": "Cable", "quantity": 3, "unit_price": "0.10"},
        ],
        **fields,
    }


def test_create_order_computes_the_total_in_decimal(post, cast):
    response = post(URL, order(cast.customer))
    assert response.status_code == 201
    body = response.json()
    assert (body["total"], body["currency"]) == ("100.10", "EUR")
    assert [line["line_total"] for line in body["lines"]] == ["99.80", "0.30"]
    assert Order.objects.get(pk=body["id"]).total == Decimal("100.10")
    assert body["ordered_at"].startswith("2024-05-03T08:15:00")


def test_create_order_lands_in_the_customer_timeline(post, cast):
    body = post(URL, order(cast.customer)).json()
    event = TimelineEvent.objects.get(customer=cast.customer, kind=EventKind.ORDER)
    assert event.data["order_id"] == body["id"]
    assert event.data["total"] == "100.10"


def test_line_with_known_sku_takes_name_and_price_from_the_product(post, cast):
    ProductFactory(sku="HP-1", name="Headphones", price=Decimal("49.90"))
    body = post(URL, order(cast.customer, lines=[{"sku": "HP-1", "quantity": 1}])).json()
    assert body["lines"][0]["name"] == "Headphones"
    assert body["total"] == "49.90"


def test_same_external_id_returns_the_existing_order(post, cast):
    first = post(URL, order(cast.customer, external_id="shop-1001"))
    second = post(URL, order(cast.customer, external_id="shop-1001"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"lines": [{"name": "x", "quantity": 0, "unit_price": "1"}]}, "lines.0.quantity"),
        ({"lines": [{"name": "x", "quantity": 1, "unit_price": "abc"}]}, "lines.0.unit_price"),
        ({"lines": [{"name": "x", "quantity": 1, "unit_price": 9.99}]}, "lines.0.unit_price"),
        ({"lines": [{"name": "x", "quantity": "many", "unit_price": "1"}]}, "lines.0.quantity"),
        ({"lines": []}, "lines"),
        ({"status": "lost"}, "status"),
        ({"ordered_at": "2024-05-03T10:15:00"}, "ordered_at"),
    ],
)
def test_invalid_order_gives_422_naming_the_field_and_saves_nothing(post, cast, change, field):
    response = post(URL, order(cast.customer, **change))
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not Order.objects.exists()
    assert not TimelineEvent.objects.filter(kind=EventKind.ORDER).exists()


def test_order_total_too_large_for_storage_is_refused(post, cast):
    lines = [{"name": "Gold", "quantity": 1_000_000, "unit_price": "999999999.00"}]
    response = post(URL, order(cast.customer, lines=lines))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["lines"][0]["code"] == "amount_too_large"


def test_order_for_unknown_customer_gives_422_naming_customer_id(post, cast):
    response = post(URL, order(cast.customer, customer_id=987654))
    assert response.status_code == 422
    assert "customer_id" in response.json()["error"]["fields"]


def test_change_order_status_records_it_in_the_timeline(post, cast):
    existing = OrderFactory(customer=cast.customer)
    response = post(f"{URL}/{existing.pk}/status", {"status": "shipped"})
    assert response.status_code == 200
    assert response.json()["status"] == "shipped"
    assert TimelineEvent.objects.filter(customer=cast.customer, kind=EventKind.ORDER).exists()


def test_unknown_status_is_refused(post, cast):
    existing = OrderFactory(customer=cast.customer)
    response = post(f"{URL}/{existing.pk}/status", {"status": "teleported"})
    assert response.status_code == 422
    existing.refresh_from_db()
    assert existing.status == "paid"


def test_unknown_order_gives_404(client, auth, cast):
    assert client.get(f"{URL}/999999", headers=auth).status_code == 404


def test_list_orders_filters_by_customer_status_and_date(client, auth, cast):
    mine = OrderFactory(customer=cast.customer, ordered_at="2024-03-01T12:00:00+00:00")
    OrderFactory(customer=cast.customer, status="cancelled", ordered_at="2024-04-01T12:00:00+00:00")
    OrderFactory(customer=CustomerFactory(), ordered_at="2024-03-15T12:00:00+00:00")
    body = client.get(
        URL,
        {
            "customer_id": cast.customer.pk,
            "status": "paid",
            "ordered_before": "2024-03-10T00:00:00Z",
        },
        headers=auth,
    ).json()
    assert [o["id"] for o in body["items"]] == [mine.pk]
    body = client.get(URL, {"ordered_after": "2024-03-10T00:00:00Z"}, headers=auth).json()
    assert len(body["items"]) == 2


def test_customer_orders_are_listed_newest_first_with_cursor(client, auth, cast):
    ids = [
        OrderFactory(customer=cast.customer, ordered_at=f"2024-0{m}-01T12:00:00+00:00").pk
        for m in range(1, 6)
    ]
    OrderFactory(customer=cast.other_customer)
    url = f"/api/v1/customers/{cast.customer.pk}/orders"
    first = client.get(url, {"limit": 3}, headers=auth).json()
    second = client.get(url, {"limit": 3, "cursor": first["next_cursor"]}, headers=auth).json()
    assert [o["id"] for o in first["items"] + second["items"]] == ids[::-1]
    assert first["total"] == 5


def test_orders_of_unknown_customer_give_404(client, auth, cast):
    assert client.get("/api/v1/customers/999999/orders", headers=auth).status_code == 404


def test_order_list_query_count_is_bounded(client, auth, cast, django_assert_max_num_queries):
    for _ in range(20):
        OrderFactory(customer=cast.customer)
    client.get(URL, headers=auth)
    with django_assert_max_num_queries(5):
        body = client.get(URL, {"limit": 20}, headers=auth).json()
    assert len(body["items"]) == 20
