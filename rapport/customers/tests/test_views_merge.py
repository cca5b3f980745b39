import pytest
from django.urls import reverse

from rapport.customers.models import ContactKind, ContactPoint, Customer, CustomerMerge
from rapport.factories import CustomerFactory, OrderFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin(cast):
    twin = CustomerFactory(given_name="Anna", family_name="Schmidt", country="AT", title="Prof.")
    ContactPoint.objects.create(
        customer=twin,
        kind=ContactKind.EMAIL,
        value="anna.s@example.com",
        normalized="anna.s@example.com",
        is_primary=True,
    )
    OrderFactory(customer=twin)
    TimelineEventFactory(customer=twin, title="Twin's note")
    return twin


def merge_url(survivor, merged):
    return reverse("customers:merge", args=[survivor.pk, merged.pk])


def test_merge_review_compares_side_by_side_and_highlights_conflicts(client, cast, twin):
    client.force_login(cast.manager)
    response = client.get(merge_url(cast.customer, twin))
    assert response.status_code == 200
    html = response.content.decode()
    conflicts = {row["name"] for row in response.context["rows"] if row["conflict"]}
    assert conflicts == {"country"}
    assert 'name="take_country"' in html and "Austria" in html and "Germany" in html
    assert "anna.s@example.com" in html and "1 order" in html


def test_confirming_the_merge_moves_everything_to_the_survivor(client, cast, twin):
    client.force_login(cast.admin)
    response = client.post(merge_url(cast.customer, twin), {"take_country": "keep"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[cast.customer.pk])
    assert not Customer.objects.filter(pk=twin.pk).exists()
    cast.customer.refresh_from_db()
    assert cast.customer.country == "DE" and cast.customer.title == "Prof."
    assert cast.customer.contact_points.filter(value="anna.s@example.com").exists()
    assert cast.customer.orders.count() == 1
    assert CustomerMerge.objects.filter(survivor=cast.customer, merged_customer_id=twin.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert "was merged into" in page


def test_choosing_the_other_value_takes_it_over(client, cast, twin):
    client.force_login(cast.manager)
    client.post(merge_url(cast.customer, twin), {"take_country": "take"})
    cast.customer.refresh_from_db()
    assert cast.customer.country == "AT"


@pytest.mark.parametrize("role", ["agent", "marketer"])
def test_only_admins_and_managers_may_merge(client, cast, twin, role):
    client.force_login(getattr(cast, role))
    assert client.get(merge_url(cast.customer, twin)).status_code == 403
    assert client.post(merge_url(cast.customer, twin)).status_code == 403
    assert Customer.objects.filter(pk=twin.pk).exists()


def test_a_customer_cannot_be_merged_with_itself(client, cast):
    client.force_login(cast.manager)
    assert client.get(merge_url(cast.customer, cast.customer)).status_code == 404


def test_duplicates_page_lists_likely_pairs(client, cast, twin):
    client.force_login(cast.manager)
    html = client.get(reverse("customers:duplicates")).content.decode()
    assert merge_url(twin, cast.customer) in html
