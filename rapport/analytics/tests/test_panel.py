"""The customer value panel on the 360 page, and the plain-language explanation of the scores."""

from datetime import timedelta

import pytest
from django.utils import translation

from rapport.analytics.tests.conftest import NOW, stored_value

pytestmark = pytest.mark.django_db


def test_an_agent_sees_segment_scores_p_alive_falling_clv_and_the_explanation(agent_client, cast):
    stored_value(cast.customer)
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "Customer value" in content
    assert "At risk" in content
    assert "R 2 · F 4 · M 4" in content
    assert "0.4 in 90 days, 1.3 in a year" in content
    assert "31 %" in content and 'class="falling"' in content
    assert "61.20" in content
    assert "Bought 5 times, last 8 months ago, usually every 6 weeks: probably lapsing." in content


def test_p_alive_that_fell_by_five_points_or_less_shows_no_arrow(agent_client, cast):
    stored_value(cast.customer, p_alive=0.58, p_alive_previous=0.62)
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "58 %" in content
    assert 'class="falling"' not in content


def test_a_customer_without_purchases_is_shown_as_not_yet_scored(agent_client, cast):
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "No purchases yet" in content


def test_a_portal_customer_cannot_open_the_360_page_with_the_panel(client, cast):
    stored_value(cast.customer)
    client.force_login(cast.portal_user)
    response = client.get(f"/customers/{cast.customer.pk}/")
    assert response.status_code in (302, 403)
    assert b"Probability still active" not in response.content


def test_the_panel_renders_nothing_for_someone_who_is_not_staff(cast):
    from django.template import Context, Template
    from django.test import RequestFactory

    stored_value(cast.customer)
    request = RequestFactory().get("/")
    request.user = cast.portal_user
    html = Template("{% load customer_value %}{% value_panel customer %}").render(
        Context({"request": request, "customer": cast.customer})
    )
    assert html.strip() == ""


def test_a_new_customer_is_explained_as_too_early_to_tell(cast):
    value = stored_value(
        cast.customer,
        frequency=0,
        recency_days=0,
        orders=1,
        last_order_at=NOW - timedelta(days=20),
        p_alive=1.0,
    )
    assert value.explanation(NOW) == "Bought once, 3 weeks ago: a new customer, too early to tell."


def test_a_regular_recent_customer_is_explained_as_active(cast):
    value = stored_value(
        cast.customer,
        frequency=9,
        recency_days=270,
        last_order_at=NOW - timedelta(days=10),
        p_alive=0.93,
    )
    assert value.explanation(NOW) == (
        "Bought 10 times, last 10 days ago, usually every 4 weeks: probably active."
    )


def test_a_customer_with_a_very_low_p_alive_is_explained_as_lost(cast):
    value = stored_value(cast.customer, p_alive=0.05, last_order_at=NOW - timedelta(days=800))
    assert value.explanation(NOW).endswith(
        "last 2 years ago, usually every 6 weeks: probably lost."
    )


def test_the_explanation_follows_the_readers_language(cast):
    value = stored_value(cast.customer)
    with translation.override("de"):
        german = value.explanation(NOW)
    with translation.override("en"):
        english = value.explanation(NOW)
    assert english.startswith("Bought 5 times")
    # The German catalogue is compiled from /tmp/translations after this slice is merged.
    assert isinstance(german, str) and german


def test_a_one_time_buyer_long_ago_is_explained_as_lost_despite_the_models_p_alive(cast):
    # BG/NBD gives every one-time buyer P(alive) = 1: no repeat, so no sign of dropping out.
    value = stored_value(
        cast.customer,
        frequency=0,
        recency_days=0,
        orders=1,
        last_order_at=NOW - timedelta(days=400),
        p_alive=1.0,
    )
    assert value.explanation(NOW) == "Bought once, 13 months ago, and not since: probably lost."
