"""GET /api/v1/customers: cursor pagination, filters, search, and a bounded number of queries."""

import pytest

from rapport.customers.models import ContactKind, ContactPoint, LifecycleStage, Tag
from rapport.factories import CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


@pytest.fixture
def get(client, api_token):
    def get(params=None):
        return client.get(URL, params or {}, headers={"Authorization": f"Bearer {api_token}"})

    return get


def make_customers(n: int, **fields):
    customers = []
    for i in range(n):
        customer = CustomerFactory(family_name=f"Zeta{i:03d}", given_name="Test", **fields)
        ContactPoint.objects.create(
            customer=customer,
            kind=ContactKind.EMAIL,
            value=f"zeta{i}@example.org",
            normalized=f"zeta{i}@example.org",
            is_primary=True,
        )
        customers.append(customer)
    return customers


def test_list_pages_through_all_customers_with_cursors(get, cast):
    make_customers(12)
    seen, cursor, pages = [], None, 0
    while True:
        body = get({"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
        assert body["total"] == 14 and body["total_capped"] is False
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 14


def test_list_items_carry_primary_email_and_phone(get, cast):
    body = get({"q": "anna@example.org"}).json()
    assert [item["primary_email"] for item in body["items"]] == ["anna@example.org"]
    assert body["items"][0]["primary_phone"] is None


def test_search_by_email_finds_the_customer(get, cast):
    body = get({"q": "BEN@example.org"}).json()
    assert [item["id"] for item in body["items"]] == [cast.other_customer.pk]


def test_search_by_name_prefix(get, cast):
    body = get({"q": "schm"}).json()
    assert [item["id"] for item in body["items"]] == [cast.customer.pk]


def test_filters_narrow_the_list(get, cast):
    organization = OrganizationFactory(name="Acme")
    vip = CustomerFactory(
        family_name="Vogel",
        country="AT",
        language="en",
        is_vip=True,
        lifecycle_stage=LifecycleStage.CUSTOMER,
        organization=organization,
        account_manager=cast.manager,
    )
    vip.tags.add(Tag.objects.create(name="gold"))
    for params in (
        {"country": "at"},
        {"language": "en"},
        {"is_vip": "true"},
        {"lifecycle_stage": "customer"},
        {"tag": "gold"},
        {"organization": organization.pk},
        {"account_manager": cast.manager.pk},
    ):
        body = get(params).json()
        assert [item["id"] for item in body["items"]] == [vip.pk], params


def test_sort_by_newest_first(get, cast):
    ids = [item["id"] for item in get({"sort": "-created"}).json()["items"]]
    assert ids == [cast.other_customer.pk, cast.customer.pk]


def test_limit_above_100_is_refused(get, cast):
    response = get({"limit": 101})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["fields"]


def test_unknown_sort_is_refused(get, cast):
    assert get({"sort": "password"}).status_code == 422


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjpbMV0sImQiOiJuZXh0In0", "W1tdXQ", "%%%"])
def test_forged_cursor_gives_400(get, cast, cursor):
    response = get({"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_list_query_count_does_not_grow_with_page_size(get, cast, django_assert_max_num_queries):
    make_customers(30, organization=OrganizationFactory())
    get()  # the token's last use is recorded once, outside the measured request
    with django_assert_max_num_queries(5):
        body = get({"limit": 30}).json()
    assert len(body["items"]) == 30
    assert all(
        item["organization"] for item in body["items"] if item["family_name"].startswith("Zeta")
    )
