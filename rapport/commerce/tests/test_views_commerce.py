from decimal import Decimal

import pytest
from django.urls import reverse

from rapport.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("commerce:product_list")


def names(response):
    return [p.name for p in response.context["page"].object_list]


def test_product_list_searches_by_name_and_sku(agent_client, cast):
    ProductFactory(sku="HP-100", name="Headphones", category="Audio")
    ProductFactory(sku="CB-200", name="USB cable", category="Accessories")
    assert names(agent_client.get(PRODUCTS, {"q": "phone"})) == ["Headphones"]
    assert names(agent_client.get(PRODUCTS, {"q": "cb-2"})) == ["USB cable"]


def test_product_list_filters_by_category(agent_client, cast):
    ProductFactory(name="Speaker", category="Audio")
    ProductFactory(name="Charger", category="Accessories")
    response = agent_client.get(PRODUCTS, {"category": "Accessories"})
    assert names(response) == ["Charger"]
    assert '<option value="Audio">Audio</option>' in response.content.decode()


def test_product_list_is_paginated_and_prices_are_localized(agent_client, cast):
    for i in range(55):
        ProductFactory(name=f"Item {i:02d}", price=Decimal("1234.50"))
    first = agent_client.get(PRODUCTS)
    assert len(names(first)) == 50 and "Page 1 of 2" in first.content.decode()
    assert "€1,234.50" in first.content.decode()
    assert len(names(agent_client.get(PRODUCTS, {"page": 2}))) == 5


def test_order_detail_shows_lines_totals_and_status(agent_client, cast):
    order = OrderFactory(customer=cast.customer, number="R-42", total=Decimal("99.80"))
    OrderLineFactory(
        order=order,
        name="Cable",
        quantity=2,
        unit_price=Decimal("49.90"),
        line_total=Decimal("99.80"),
    )
    html = agent_client.get(reverse("commerce:order_detail", args=[order.pk])).content.decode()
    assert "R-42" in html and "Cable" in html and "€99.80" in html and "Paid" in html.title()
    assert "Anna Schmidt" in html


def test_order_detail_is_hidden_from_portal_customers(client, cast):
    order = OrderFactory(customer=cast.other_customer)
    client.force_login(cast.portal_user)
    assert client.get(reverse("commerce:order_detail", args=[order.pk])).status_code in (403, 404)


def test_unknown_order_is_404(agent_client, cast):
    assert agent_client.get(reverse("commerce:order_detail", args=[424242])).status_code == 404


def test_money_filter_formats_in_the_active_language():
    from django.template import Context, Template
    from django.utils import translation

    template = Template("{% load money %}{{ amount|money:'EUR' }}")
    with translation.override("de"):
        assert template.render(Context({"amount": Decimal("1234.5")})) == "1.234,50\xa0€"
    with translation.override("en"):
        assert template.render(Context({"amount": Decimal("1234.5")})) == "€1,234.50"
