import pytest

from rapport.customers.actions import ContactInput, create_customer, create_organization
from rapport.customers.models import Customer
from rapport.customers.queries import (
    COUNT_CAP,
    customer_page,
    filter_customers,
    get_customer,
    search_customers,
    visible_customers,
)

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(c.display_name for c in qs)


def test_portal_customer_sees_only_their_own_profile(cast):
    assert list(visible_customers(cast.portal_user)) == [cast.customer]
    with pytest.raises(Customer.DoesNotExist):
        get_customer(cast.portal_user, cast.other_customer.pk)


def test_staff_of_every_role_see_customers_and_anonymous_sees_none(cast):
    from django.contrib.auth.models import AnonymousUser

    for user in (cast.admin, cast.manager, cast.agent, cast.marketer):
        assert visible_customers(user).count() == 2
    assert visible_customers(AnonymousUser()).count() == 0
    cast.agent.is_active = False
    assert visible_customers(cast.agent).count() == 0


def test_get_customer_rejects_ids_that_are_not_numbers(cast):
    with pytest.raises(Customer.DoesNotExist):
        get_customer(cast.agent, "1; DROP TABLE")


def test_search_finds_by_name_prefix_ignoring_case_and_accents(cast):
    create_customer(actor=cast.agent, profile={"given_name": "Jörg", "family_name": "Müller"})
    create_customer(
        actor=cast.agent, profile={"given_name": "Zoë", "family_name": "Mueller-Lüdenscheidt"}
    )
    create_customer(actor=cast.agent, profile={"given_name": "Ana", "family_name": "Muñoz"})
    qs = Customer.objects.all()
    assert names(search_customers(qs, "mueller")) == ["Jörg Müller", "Zoë Mueller-Lüdenscheidt"]
    assert names(search_customers(qs, "MÜLL")) == ["Jörg Müller", "Zoë Mueller-Lüdenscheidt"]
    assert names(search_customers(qs, "muller")) == ["Jörg Müller"]
    assert names(search_customers(qs, "jörg mü")) == ["Jörg Müller"]
    assert names(search_customers(qs, "muller jorg")) == ["Jörg Müller"]
    assert names(search_customers(qs, "munoz")) == ["Ana Muñoz"]
    assert names(search_customers(qs, "an")) == ["Ana Muñoz", "Anna Schmidt"]
    assert names(search_customers(qs, "schmidt anna")) == ["Anna Schmidt"]
    assert names(search_customers(qs, "zoe")) == ["Zoë Mueller-Lüdenscheidt"]


def test_search_finds_by_any_email_or_phone_in_any_notation(cast):
    c = create_customer(
        actor=cast.agent,
        profile={"family_name": "Novak", "country": "PL"},
        contacts=ContactInput(
            emails=["a@example.pl", "Second@Example.pl"], phones=["+48 601 234 567"]
        ),
    )
    qs = Customer.objects.all()
    assert list(search_customers(qs, "second@example.PL")) == [c]
    assert list(search_customers(qs, "+48601234567")) == [c]
    assert list(search_customers(qs, "0048 601 234 567")) == [c]


def test_search_finds_customers_by_their_organization(cast):
    org = create_organization(actor=cast.agent, name="Bäckerei Schulz GmbH")
    c = create_customer(actor=cast.agent, profile={"family_name": "Kurz", "organization": org})
    assert list(search_customers(Customer.objects.all(), "backerei")) == [c]
    assert list(search_customers(Customer.objects.all(), "baeckerei schulz")) == [c]


def test_filters_narrow_by_tag_country_language_and_stage(cast):
    fr = create_customer(
        actor=cast.agent,
        profile={"family_name": "Blanc", "country": "FR", "language": "fr"},
        tags=["vip"],
    )
    qs = Customer.objects.all()
    assert list(filter_customers(qs, {"country": "fr"})) == [fr]
    assert list(filter_customers(qs, {"language": "FR"})) == [fr]
    assert list(filter_customers(qs, {"tag": "vip"})) == [fr]
    assert filter_customers(qs, {"lifecycle_stage": "lead"}).count() == 3


def test_pages_walk_forward_and_back_without_gaps_or_repeats(cast):
    for i in range(23):
        create_customer(
            actor=cast.agent, profile={"given_name": f"P{i:02d}", "family_name": "Same"}
        )
    qs = Customer.objects.filter(family_name="Same")
    seen = []
    page = customer_page(qs, sort="name", page_size=5)
    pages = [page]
    while page.next_cursor:
        page = customer_page(qs, sort="name", page_size=5, cursor=page.next_cursor)
        pages.append(page)
    for p in pages:
        seen.extend(c.given_name for c in p.customers)
    assert seen == [f"P{i:02d}" for i in range(23)]
    assert pages[0].total == 23 and not pages[0].total_capped
    back = customer_page(qs, sort="name", page_size=5, cursor=pages[2].prev_cursor)
    assert [c.given_name for c in back.customers] == [c.given_name for c in pages[1].customers]


def test_descending_sort_by_creation_pages_correctly(cast):
    for i in range(7):
        create_customer(actor=cast.agent, profile={"given_name": f"Q{i}", "family_name": "Order"})
    qs = Customer.objects.filter(family_name="Order")
    first = customer_page(qs, sort="-created", page_size=4)
    second = customer_page(qs, sort="-created", page_size=4, cursor=first.next_cursor)
    ids = [c.pk for c in first.customers + second.customers]
    assert ids == sorted(ids, reverse=True) and len(ids) == 7


def test_a_garbled_cursor_gives_the_first_page(cast):
    page = customer_page(Customer.objects.all(), cursor="not-a-cursor!!")
    assert len(page.customers) == 2


def test_the_count_is_capped(cast, monkeypatch):
    import rapport.customers.queries as queries

    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    page = queries.customer_page(Customer.objects.all())
    assert page.total == 1 and page.total_capped
    assert COUNT_CAP == 10_000


def walk(qs_or_none=None, *, sort="name", page_size=3, **kwargs):
    """Return the ids of every page of the list, following the next cursors, and the total."""
    from rapport.customers.queries import customer_list_page

    base = qs_or_none if qs_or_none is not None else Customer.objects.all()
    page = customer_list_page(base, sort=sort, page_size=page_size, **kwargs)
    ids, total = [c.pk for c in page.customers], page.total
    while page.next_cursor:
        page = customer_list_page(
            base, sort=sort, page_size=page_size, cursor=page.next_cursor, **kwargs
        )
        ids += [c.pk for c in page.customers]
    return ids, total


def expected_order(customers, sort):
    key = {
        "name": lambda c: (c.family_key, c.given_key, c.pk),
        "-name": lambda c: (c.family_key, c.given_key, c.pk),
        "created": lambda c: (c.created_at, c.pk),
        "-created": lambda c: (c.created_at, c.pk),
    }[sort]
    return [c.pk for c in sorted(customers, key=key, reverse=sort.startswith("-"))]


@pytest.fixture
def tagged(cast):
    """Eleven customers with the tag "b2b" (some with equal names), four without."""
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(days=30)
    with_tag = []
    for i, (given, family) in enumerate(
        [("Jan", "Abel"), ("Jan", "Abel"), ("Eva", "Zorn"), ("Ida", "Müller"), ("Ole", "Mueller")]
        + [("Kai", f"Name{i}") for i in range(6)]
    ):
        customer = create_customer(
            actor=cast.agent,
            profile={"given_name": given, "family_name": family, "is_vip": i % 2 == 0},
            tags=["b2b"],
        )
        with_tag.append(customer)
    for i in range(4):
        create_customer(actor=cast.agent, profile={"given_name": "No", "family_name": f"Tag{i}"})
    # Equal creation times for some, so that the id decides between them.
    for n, customer in enumerate(with_tag):
        Customer.objects.filter(pk=customer.pk).update(created_at=start + timedelta(days=n // 2))
    return list(Customer.objects.filter(pk__in=[c.pk for c in with_tag]))


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_tag_filter_gives_the_same_pages_for_a_large_and_a_small_tag(tagged, sort, monkeypatch):
    import rapport.customers.queries as queries

    small = walk(sort=sort, filters={"tag": "b2b"})
    monkeypatch.setattr(queries, "LARGE_TAG", 5)  # now "b2b" is a large tag: EXISTS, not IN
    large = walk(sort=sort, filters={"tag": "b2b"})
    assert small == large == (expected_order(tagged, sort), 11)


def test_a_large_tag_pages_with_exists_and_a_small_tag_with_in(tagged, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import rapport.customers.queries as queries

    def page_sql():
        with CaptureQueriesContext(connection) as captured:
            queries.customer_list_page(Customer.objects.all(), filters={"tag": "b2b"})
        return next(q["sql"] for q in captured if "ORDER BY" in q["sql"] and "LIMIT 26" in q["sql"])

    assert "EXISTS" not in page_sql()
    monkeypatch.setattr(queries, "LARGE_TAG", 5)
    assert "EXISTS" in page_sql()


def test_tag_filter_with_other_filters_and_a_search_stays_exact(tagged, monkeypatch):
    import rapport.customers.queries as queries

    vips = [c for c in tagged if c.is_vip and c.family_key.startswith("mu")]
    expected = (expected_order(vips, "name"), len(vips))
    for large_tag in (5_000, 5):
        monkeypatch.setattr(queries, "LARGE_TAG", large_tag)
        assert walk(query="müller", filters={"tag": "b2b", "is_vip": "1"}) == expected
    assert walk(filters={"tag": "unknown"}) == ([], 0)


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_vip_filter_pages_through_the_vips_in_every_sort_order(tagged, sort):
    vips = [c for c in tagged if c.is_vip]
    assert walk(sort=sort, filters={"is_vip": "1"}) == (expected_order(vips, sort), len(vips))
    others = list(Customer.objects.filter(is_vip=False))
    assert walk(sort=sort, filters={"is_vip": False}) == (expected_order(others, sort), 11)


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_account_manager_filter_pages_through_their_customers_in_every_sort_order(cast, sort):
    managed = [
        create_customer(
            actor=cast.agent,
            profile={
                "given_name": "M",
                "family_name": f"Managed{i % 3}",
                "account_manager": cast.agent,
            },
        )
        for i in range(5)
    ]
    found = walk(sort=sort, filters={"account_manager": cast.agent.pk}, page_size=2)
    assert found == (expected_order(managed, sort), 5)
