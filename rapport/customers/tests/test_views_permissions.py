import pytest
from django.urls import reverse

from rapport.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def staff_pages(cast):
    org = OrganizationFactory()
    c = cast.customer.pk
    return [
        reverse("customers:list"),
        reverse("customers:create"),
        reverse("customers:detail", args=[c]),
        reverse("customers:edit", args=[c]),
        reverse("customers:merge", args=[c, cast.other_customer.pk]),
        reverse("customers:organization_list"),
        reverse("customers:organization_detail", args=[org.pk]),
        reverse("commerce:product_list"),
    ]


def test_agent_sees_the_customer_360(agent_client, cast):
    response = agent_client.get(reverse("customers:detail", args=[cast.customer.pk]))
    assert response.status_code == 200 and "Anna Schmidt" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, cast):
    for url in staff_pages(cast):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_portal_customers_get_403_on_every_staff_page(client, cast):
    client.force_login(cast.portal_user)
    for url in staff_pages(cast):
        assert client.get(url).status_code == 403, url


def test_portal_customer_cannot_post_to_another_customers_profile(client, cast):
    client.force_login(cast.portal_user)
    url = reverse("customers:note_add", args=[cast.other_customer.pk])
    assert client.post(url, {"body": "x"}).status_code == 403
    assert not cast.other_customer.timeline_events.exists()


def test_inactive_staff_are_refused(client, cast):
    cast.agent.is_active = False
    cast.agent.save()
    client.force_login(cast.agent)
    assert client.get(reverse("customers:list")).status_code in (302, 403)


def test_unknown_customer_is_404(agent_client, cast):
    assert agent_client.get(reverse("customers:detail", args=[999999])).status_code == 404
