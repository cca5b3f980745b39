"""The at-risk list (/analytics/at-risk/) and the value dashboard (/analytics/value/)."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.analytics.models import CustomerValue, FitKind, FitOutcome, Segment, ValueModelFit
from rapport.analytics.tests.conftest import NOW, stored_value
from rapport.factories import CustomerFactory

pytestmark = pytest.mark.django_db

AT_RISK = "/analytics/at-risk/"
DASHBOARD = "/analytics/value/"


@pytest.fixture
def risky(cast):
    """Anna (managed by the agent) and Ben (managed by the other agent) are at risk; Carl is fine."""
    cast.customer.account_manager = cast.agent
    cast.customer.save()
    cast.other_customer.account_manager = cast.other_agent
    cast.other_customer.save()
    carl = CustomerFactory(given_name="Carl", family_name="Fine", account_manager=cast.agent)
    stored_value(cast.customer, at_stake=Decimal("372.60"))
    stored_value(cast.other_customer, at_stake=Decimal("900.00"), p_alive=0.7, p_alive_previous=0.9)
    stored_value(carl, p_alive=0.9, p_alive_previous=0.92, segment=Segment.CHAMPIONS)
    return carl


def rows(response) -> list[str]:
    return [line for line in response.content.decode().splitlines() if "at-risk-row" in line]


def test_a_manager_sees_every_valuable_customer_at_risk_most_at_stake_first(client, cast, risky):
    client.force_login(cast.manager)
    response = client.get(AT_RISK)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Ben Meyer") < content.index("Anna Schmidt")
    assert "Carl" not in content


def test_an_account_manager_sees_only_their_own_customers_at_risk(agent_client, cast, risky):
    content = agent_client.get(AT_RISK).content.decode()
    assert "Anna Schmidt" in content
    assert "Ben Meyer" not in content


def test_a_valuable_customer_with_falling_p_alive_above_one_half_is_listed(client, cast, risky):
    client.force_login(cast.other_agent)
    content = client.get(AT_RISK).content.decode()
    assert "Ben Meyer" in content and "90 %" in content and "70 %" in content


def test_a_customer_who_is_not_valuable_is_not_listed_even_when_lapsing(client, cast):
    stored_value(cast.customer, valuable=False, p_alive=0.1)
    client.force_login(cast.manager)
    assert "Anna Schmidt" not in client.get(AT_RISK).content.decode()


def test_the_list_links_each_customer_and_names_the_account_manager(client, cast, risky):
    client.force_login(cast.manager)
    content = client.get(AT_RISK).content.decode()
    assert f'href="/customers/{cast.customer.pk}/"' in content
    assert cast.agent.get_full_name() in content


def test_the_csv_export_has_the_same_rows_as_the_page_for_who_asks(agent_client, cast, risky):
    response = agent_client.get(AT_RISK, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(table) == 2
    assert table[1][0] == str(cast.customer.pk)
    assert table[1][4] == "0.310" and table[1][5] == "0.620"


def test_a_customer_name_that_looks_like_a_formula_is_exported_as_text(client, cast):
    cast.customer.given_name = "=HYPERLINK(1)"
    cast.customer.save()
    stored_value(cast.customer)
    client.force_login(cast.manager)
    table = list(csv.reader(io.StringIO(client.get(AT_RISK, {"format": "csv"}).content.decode())))
    assert table[1][1].startswith("'=")


def test_the_list_is_paginated(client, cast):
    for n in range(55):
        stored_value(CustomerFactory(family_name=f"Risk{n:02d}"), at_stake=Decimal(1000 - n))
    client.force_login(cast.manager)
    first = client.get(AT_RISK)
    second = client.get(AT_RISK, {"page": 2})
    assert len(rows(first)) == 50 and len(rows(second)) == 5
    assert "Risk00" in first.content.decode() and "Risk54" in second.content.decode()


def test_the_list_filters_by_segment(client, cast, risky):
    CustomerValue.objects.filter(customer=cast.other_customer).update(segment=Segment.CANNOT_LOSE)
    client.force_login(cast.manager)
    content = client.get(AT_RISK, {"segment": "cannot_lose"}).content.decode()
    assert "Ben Meyer" in content and "Anna Schmidt" not in content


@pytest.mark.parametrize(
    "params",
    [{"page": "abc"}, {"page": "0"}, {"page": "99"}, {"segment": "vip"}, {"format": "xlsx"}],
)
def test_bad_parameters_on_the_list_get_a_clear_400(client, cast, risky, params):
    client.force_login(cast.manager)
    response = client.get(AT_RISK, params)
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_the_list_keeps_its_query_count_whatever_the_page_size(
    client, cast, django_assert_max_num_queries
):
    for n in range(30):
        stored_value(CustomerFactory(account_manager=cast.agent), at_stake=Decimal(n))
    client.force_login(cast.manager)
    with django_assert_max_num_queries(8):
        client.get(AT_RISK)


def test_a_portal_customer_is_refused_the_list_and_the_dashboard(client, cast, risky):
    client.force_login(cast.portal_user)
    assert client.get(AT_RISK).status_code == 403
    assert client.get(DASHBOARD).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, cast):
    assert client.get(AT_RISK).status_code == 302
    assert client.get(DASHBOARD).status_code == 302


def test_an_agent_cannot_open_the_dashboard(agent_client, cast):
    assert agent_client.get(DASHBOARD).status_code == 403


@pytest.mark.parametrize("role", ["admin", "manager", "marketer"])
def test_admins_managers_and_marketers_open_the_dashboard(client, cast, risky, role):
    client.force_login(getattr(cast, role))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert b"Show as table" in response.content


def test_the_dashboard_counts_customers_and_value_by_segment(client, cast, risky):
    client.force_login(cast.manager)
    response = client.get(DASHBOARD)
    segments = {g.key: g for g in response.context["segments"]}
    assert segments["at_risk"].customers == 2
    assert segments["at_risk"].total_clv == Decimal("122.40")
    assert segments["champions"].mean_clv == Decimal("61.20")


def test_the_dashboard_groups_value_by_quarter_of_first_purchase(client, cast, risky):
    CustomerValue.objects.filter(customer=risky).update(
        first_order_at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    client.force_login(cast.manager)
    cohorts = client.get(DASHBOARD).context["cohorts"]
    assert [(c.key, c.customers) for c in cohorts] == [("2025-Q4", 2), ("2026-Q1", 1)]


def test_the_dashboard_histogram_puts_every_customer_in_one_bin(client, cast, risky):
    CustomerValue.objects.filter(customer=risky).update(clv=Decimal("950.00"))
    client.force_login(cast.manager)
    histogram = client.get(DASHBOARD, {"bins": 10}).context["histogram"]
    # 0, then the 1-2-5 steps up to 950: ten bins, the last one open.
    assert [b.low for b in histogram] == [0, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    assert histogram[-1].high is None and histogram[0].high == 1
    assert sum(b.customers for b in histogram) == 3
    assert histogram[-1].customers == 1  # 950 in the open last bin


def test_a_small_histogram_keeps_the_largest_steps(client, cast, risky):
    CustomerValue.objects.filter(customer=risky).update(clv=Decimal("950.00"))
    client.force_login(cast.manager)
    histogram = client.get(DASHBOARD, {"bins": 4}).context["histogram"]
    assert [b.low for b in histogram] == [0, 100, 200, 500]


def test_the_dashboard_shows_the_latest_fits_failed_ones_with_their_reason(client, cast):
    ValueModelFit.objects.create(
        kind=FitKind.BGNBD,
        params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        log_likelihood=-9582.43,
        customers=2357,
        converged=True,
        seconds=0.012,
        calibration_end=NOW,
    )
    ValueModelFit.objects.create(
        kind=FitKind.GAMMA_GAMMA,
        outcome=FitOutcome.FAILED,
        calibration_end=NOW,
        error="No customer made a repeat purchase.",
    )
    client.force_login(cast.manager)
    content = client.get(DASHBOARD).content.decode()
    assert "r = 0.243" in content and "-9582.4" in content
    assert "No customer made a repeat purchase." in content


def test_an_empty_dashboard_says_nothing_was_scored_yet(client, cast):
    client.force_login(cast.manager)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert b"No customer has been scored yet" in response.content


@pytest.mark.parametrize("bins", ["many", "1", "1000"])
def test_bad_parameters_on_the_dashboard_get_a_clear_400(client, cast, bins):
    client.force_login(cast.manager)
    response = client.get(DASHBOARD, {"bins": bins})
    assert response.status_code == 400
    assert b"Histogram bins" in response.content
