import pytest
from django.urls import reverse

from rapport.customers import queries
from rapport.customers.actions import set_tags
from rapport.customers.models import ContactKind, ContactPoint
from rapport.factories import CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")


def names(response) -> list[str]:
    return [c.display_name for c in response.context["page"].customers]


def test_list_shows_customers_sorted_by_family_name(agent_client, cast):
    response = agent_client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["Ben Meyer", "Anna Schmidt"]
    assert "anna@example.org" in response.content.decode()


def test_search_by_email_finds_the_customer(agent_client, cast):
    response = agent_client.get(URL, {"q": "ANNA@example.org"})
    assert names(response) == ["Anna Schmidt"]


def test_search_by_phone_in_any_notation_finds_the_customer(agent_client, cast):
    ContactPoint.objects.create(
        customer=cast.other_customer,
        kind=ContactKind.PHONE,
        value="+49301234567",
        normalized="+49301234567",
        is_primary=True,
    )
    response = agent_client.get(URL, {"q": "030 1234567"})
    assert names(response) == ["Ben Meyer"]


def test_search_by_name_prefix_ignores_case_and_accents(agent_client, cast):
    CustomerFactory(given_name="Jörg", family_name="Müller")
    response = agent_client.get(URL, {"q": "mull"})
    assert names(response) == ["Jörg Müller"]
    response = agent_client.get(URL, {"q": "jörg müller"})
    assert names(response) == ["Jörg Müller"]


def test_search_by_organization_name_finds_its_customers(agent_client, cast):
    org = OrganizationFactory(name="Kaffeehaus Berlin")
    CustomerFactory(given_name="Carla", family_name="Zorn", organization=org)
    response = agent_client.get(URL, {"q": "kaffee"})
    assert names(response) == ["Carla Zorn"]


def test_htmx_search_returns_only_the_results_table(agent_client, cast):
    response = agent_client.get(URL, {"q": "Meyer"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "Ben Meyer" in html and "Anna Schmidt" not in html


def test_page_has_live_search_wired_to_the_results(agent_client, cast):
    html = agent_client.get(URL).content.decode()
    assert 'hx-trigger="keyup changed delay:300ms' in html and 'hx-target="#results"' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "AT"}, ["Dora Alt"]),
        ({"language": "fr"}, ["Dora Alt"]),
        ({"lifecycle_stage": "churned"}, ["Dora Alt"]),
        ({"is_vip": "1"}, ["Dora Alt"]),
        ({"tag": "Premium"}, ["Dora Alt"]),
    ],
)
def test_filters_narrow_the_list(agent_client, cast, params, expected):
    dora = CustomerFactory(
        given_name="Dora",
        family_name="Alt",
        country="AT",
        language="fr",
        lifecycle_stage="churned",
        is_vip=True,
    )
    set_tags(customer=dora, names=["Premium"])
    assert names(agent_client.get(URL, params)) == expected


def test_account_manager_filter_shows_their_customers(agent_client, cast):
    CustomerFactory(given_name="Emil", family_name="Berg", account_manager=cast.manager)
    response = agent_client.get(URL, {"account_manager": cast.manager.pk})
    assert names(response) == ["Emil Berg"]


def test_sort_by_name_descending_and_newest_first(agent_client, cast):
    assert names(agent_client.get(URL, {"sort": "-name"})) == ["Anna Schmidt", "Ben Meyer"]
    newest = CustomerFactory(given_name="Zoe", family_name="Adams")
    assert names(agent_client.get(URL, {"sort": "-created"}))[0] == newest.display_name


def test_next_and_previous_cursors_walk_through_the_pages(agent_client, cast):
    for i in range(30):
        CustomerFactory(given_name="P", family_name=f"Page{i:02d}")
    first = agent_client.get(URL)
    page = first.context["page"]
    assert len(page.customers) == 25 and page.next_cursor and page.prev_cursor is None
    assert f"cursor={page.next_cursor}" in first.content.decode()
    second = agent_client.get(URL, {"cursor": page.next_cursor})
    second_names = names(second)
    assert len(second_names) == 7 and set(second_names).isdisjoint(names(first))
    back = agent_client.get(URL, {"cursor": second.context["page"].prev_cursor})
    assert names(back) == names(first)


def test_a_garbage_cursor_shows_the_first_page(agent_client, cast):
    response = agent_client.get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 200 and names(response) == ["Ben Meyer", "Anna Schmidt"]


def test_total_is_capped_and_shown_with_a_plus(agent_client, cast, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    html = agent_client.get(URL).content.decode()
    assert "1+ customers" in html


def test_large_totals_are_shown_with_thousands_separators(agent_client, cast, monkeypatch):
    from rapport.customers.queries import CustomerPage

    real = queries.customer_page

    def capped(*args, **kwargs):
        page = real(*args, **kwargs)
        return CustomerPage(page.customers, page.next_cursor, page.prev_cursor, 10_000, True)

    monkeypatch.setattr(queries, "customer_page", capped)
    assert "10,000+ customers" in agent_client.get(URL).content.decode()


def test_list_query_count_does_not_grow_with_the_rows(
    agent_client, cast, django_assert_max_num_queries
):
    for i in range(40):
        customer = CustomerFactory(family_name=f"Bulk{i:02d}", organization=OrganizationFactory())
        ContactPoint.objects.create(
            customer=customer,
            kind=ContactKind.EMAIL,
            value=f"bulk{i}@example.org",
            normalized=f"bulk{i}@example.org",
            is_primary=True,
        )
        ContactPoint.objects.create(
            customer=customer,
            kind=ContactKind.PHONE,
            value=f"+4930123456{i:02d}",
            normalized=f"+4930123456{i:02d}",
            is_primary=True,
        )
    # session, user, tags, staff users, page, primary contacts, capped count
    with django_assert_max_num_queries(8):
        response = agent_client.get(URL, {"q": "bulk", "sort": "name"})
    assert len(response.context["page"].customers) == 25
    assert "bulk0@example.org" in response.content.decode()
