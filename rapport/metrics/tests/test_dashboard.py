"""The manager dashboard: who may open it, what its cards, export and drill-downs show."""

import csv
import io
import re

import pytest
from django.urls import NoReverseMatch, reverse

from rapport.feedback.models import SurveyKind
from rapport.metrics.queries import report
from rapport.metrics.tests.conftest import OCTOBER, at
from rapport.metrics.views import drill_token

URL = reverse("metrics:dashboard")
OCTOBER_QUERY = {"period": "custom", "from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def manager_client(client, cast):
    client.force_login(cast.manager)
    return client


@pytest.fixture
def october(cast, conversation, answer):
    """Two conversations and three CSAT answers in October, one conversation in September."""
    conversation(channel="email")
    conversation(channel="chat")
    conversation(created_at=at(9, 20))
    for score in (5, 5, 1):
        answer(SurveyKind.CSAT, score)


def card(html: str, key: str) -> str:
    """Return the HTML of one KPI card."""
    found = re.search(
        rf'<article class="card kpi-card" data-kpi="{key}">(.*?)</article>', html, re.S
    )
    assert found, key
    return found.group(1)


def test_an_agent_is_refused_the_dashboard(agent_client):
    assert agent_client.get(URL).status_code == 403


def test_a_manager_sees_the_dashboard(manager_client):
    assert manager_client.get(URL).status_code == 200


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_agent_is_refused_a_drill_down_without_a_valid_link(agent_client):
    assert agent_client.get(reverse("metrics:drill")).status_code == 403


def test_the_cards_show_the_engines_figures_with_a_german_decimal_comma(
    manager_client, cast, october
):
    cast.manager.language = "de"
    cast.manager.save()
    html = manager_client.get(URL, OCTOBER_QUERY).content.decode()
    figures = report(OCTOBER, user=cast.manager).total.figures
    assert figures["csat"].value == pytest.approx(66.667, abs=0.01)
    assert "66,7" in card(html, "csat")
    assert "n = 3" in card(html, "csat")
    assert ">2</a>" in card(html, "inquiry_volume")
    low, high = figures["csat"].ci_low, figures["csat"].ci_high
    assert f"{low:.1f}".replace(".", ",") in card(html, "csat")
    assert f"{high:.1f}".replace(".", ",") in card(html, "csat")


def test_a_change_is_beyond_noise_when_the_previous_value_lies_outside_the_interval(
    manager_client, answer
):
    for _ in range(30):
        answer(SurveyKind.CSAT, 5)
        answer(SurveyKind.CSAT, 1, answered_at=at(9, 10))
    html = manager_client.get(URL, OCTOBER_QUERY).content.decode()
    assert "beyond noise" in card(html, "csat")


def test_a_change_is_within_noise_when_the_previous_value_lies_inside_the_interval(
    manager_client, answer
):
    for score in (5, 5, 1):
        answer(SurveyKind.CSAT, score)
    answer(SurveyKind.CSAT, 5, answered_at=at(9, 10))
    answer(SurveyKind.CSAT, 1, answered_at=at(9, 10))
    html = manager_client.get(URL, OCTOBER_QUERY).content.decode()
    assert "within noise" in card(html, "csat")


def test_an_empty_period_shows_no_data_rather_than_zero(manager_client, cast):
    html = manager_client.get(URL, OCTOBER_QUERY).content.decode()
    for key in ("csat", "nps", "ces", "first_response_time_calendar_median"):
        assert "no data" in card(html, key)
        assert 'class="kpi-value">0' not in card(html, key)


def test_the_csv_export_has_the_same_figures_as_the_page(manager_client, cast, october):
    query = {**OCTOBER_QUERY, "by": "channel"}
    response = manager_client.get(URL, {**query, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, body = rows[0], rows[1:]
    expected = report(OCTOBER, by="channel", user=cast.manager)
    groups = [expected.total, *expected.groups]
    assert [row[0] for row in body] == [str(group.label) for group in groups]
    for row, group in zip(body, groups, strict=True):
        for key, cell in zip(header[1:], row[1:], strict=True):
            figure = group.figures.get(key)
            if figure is None or figure.value is None:
                assert cell == ""
            else:
                assert float(cell) == round(figure.value, 2)
    page = manager_client.get(URL, query).content.decode()
    for row in body:
        assert f'<th scope="row">{row[0]}</th>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "forever"}, "not a known period"),
        ({"period": "custom", "from": "2026-10-31", "to": "2026-10-01"}, "after the end date"),
        ({"period": "custom", "from": "yesterday", "to": "2026-10-01"}, "is not a date"),
        ({"by": "weather"}, "not a known breakdown"),
        ({"chart": "mood"}, "cannot be charted"),
    ],
)
def test_a_bad_query_is_refused_with_a_message(manager_client, query, message):
    response = manager_client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("token", ["", "garbage", "x" * 30])
def test_a_tampered_drill_down_link_is_refused_with_a_message(manager_client, token):
    response = manager_client.get(reverse("metrics:drill"), {"d": token})
    assert response.status_code == 400
    assert "invalid or was altered" in response.content.decode()


def test_a_signed_but_impossible_drill_down_is_refused_with_a_message(manager_client):
    response = manager_client.get(reverse("metrics:drill"), {"d": drill_token({"source": "x"})})
    assert response.status_code == 400
    assert "Unknown kind of records" in response.content.decode()


def test_the_drill_down_lists_exactly_the_conversations_counted(manager_client, cast, october):
    html = manager_client.get(URL, OCTOBER_QUERY).content.decode()
    link = re.search(r'href="(/metrics/drill/\?d=[^"]+)"', card(html, "inquiry_volume")).group(1)
    page = manager_client.get(link.replace("&amp;", "&")).content.decode()
    listed = {int(pk) for pk in re.findall(r'class="drill-row" data-id="(\d+)"', page)}
    figure = report(OCTOBER, user=cast.manager).total.figures["inquiry_volume"]
    from rapport.helpdesk.models import Conversation

    counted = set(
        Conversation.objects.filter(
            created_at__gte=at(10, 1, 0), created_at__lt=at(11, 1, 0)
        ).values_list("pk", flat=True)
    )
    assert len(listed) == figure.value == 2
    assert listed == counted


def test_the_drill_down_of_csat_lists_each_answer_with_score_and_comment(
    manager_client, cast, answer
):
    answer(SurveyKind.CSAT, 2, comment="Far too slow")
    answer(SurveyKind.CSAT, 4, answered_at=at(9, 10))
    html = manager_client.get(URL, OCTOBER_QUERY).content.decode()
    link = re.search(r'href="(/metrics/drill/\?d=[^"]+)"', card(html, "csat")).group(1)
    page = manager_client.get(link).content.decode()
    assert len(re.findall(r'class="drill-row"', page)) == 1
    assert "Far too slow" in page


def test_every_number_on_the_page_opens_its_drill_down(manager_client, cast, october):
    html = manager_client.get(URL, {**OCTOBER_QUERY, "by": "channel"}).content.decode()
    links = set(re.findall(r'href="(/metrics/drill/\?d=[^"]+)"', html))
    assert len(links) > 5
    for link in links:
        assert manager_client.get(link).status_code == 200


def test_the_trend_counts_per_day_what_the_engine_counts_for_the_period(
    manager_client, cast, october
):
    response = manager_client.get(URL, OCTOBER_QUERY)
    trend = response.context["trend"]
    assert len(trend["labels"]) == 31
    assert sum(trend["volume"]) == report(OCTOBER).total.figures["inquiry_volume"].value
    day = trend["dates"].index("2026-10-10")
    assert trend["csat"][day] == pytest.approx(66.67)
    assert trend["csat"][0] is None


def test_a_period_over_sixty_days_is_charted_per_week(manager_client, cast, october):
    query = {"period": "custom", "from": "2026-08-01", "to": "2026-10-31"}
    trend = manager_client.get(URL, query).context["trend"]
    assert len(trend["labels"]) == 14
    assert trend["dates"][:2] == ["2026-08-01", "2026-08-08"]
    assert sum(trend["volume"]) == 3


def test_a_slice_name_cannot_become_a_spreadsheet_formula(manager_client, cast, conversation):
    cast.team_a.name = "=HYPERLINK(1)"
    cast.team_a.save()
    conversation(team=cast.team_a)
    response = manager_client.get(URL, {**OCTOBER_QUERY, "by": "team", "format": "csv"})
    labels = [row[0] for row in csv.reader(io.StringIO(response.content.decode()))]
    assert "'=HYPERLINK(1)" in labels


@pytest.mark.parametrize("period", ["last_30_days", "last_90_days", "this_month", "last_month"])
def test_each_named_period_opens(manager_client, period):
    response = manager_client.get(URL, {"period": period, "by": "agent", "chart": "csat"})
    assert response.status_code == 200
    first, last = response.context["choice"].first, response.context["choice"].last
    assert first <= last


def test_the_trend_dates_are_shown_in_the_readers_language(manager_client, cast, october):
    cast.manager.language = "de"
    cast.manager.save()
    response = manager_client.get(URL, OCTOBER_QUERY)
    assert response.context["trend"]["labels"][9] == "10.10.2026"
    assert '<time datetime="2026-10-10">10.10.2026</time>' in response.content.decode()


def test_the_trend_dates_are_shown_in_english_for_an_english_reader(manager_client, cast, october):
    cast.manager.language = "en"
    cast.manager.save()
    labels = manager_client.get(URL, OCTOBER_QUERY).context["trend"]["labels"]
    assert labels[19] == "20/10/2026"


def test_the_score_distributions_add_up_to_the_cards(manager_client, cast, answer):
    for score in (5, 5, 1, 3):
        answer(SurveyKind.CSAT, score)
    for score in (10, 9, 0):
        answer(SurveyKind.NPS, score)
    answer(SurveyKind.CSAT, 2, answered_at=at(9, 10))
    response = manager_client.get(URL, OCTOBER_QUERY)
    distributions = response.context["distributions"]
    assert distributions["csat"]["counts"] == [1, 0, 1, 0, 2]
    assert distributions["nps"]["labels"] == [str(score) for score in range(11)]
    assert distributions["nps"]["counts"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    figures = report(OCTOBER, user=cast.manager).total.figures
    assert sum(distributions["csat"]["counts"]) == figures["csat"].n
    assert sum(distributions["nps"]["counts"]) == figures["nps"].n
    assert 'id="distribution-data"' in response.content.decode()


def test_the_trend_table_exports_as_csv(manager_client, october):
    response = manager_client.get(URL, {**OCTOBER_QUERY, "format": "csv", "table": "trend"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "volume", "csat"]
    assert len(rows) == 32
    assert sum(int(row[1]) for row in rows[1:]) == 2
    assert ["2026-10-10", "0", "66.67"] in rows


def test_the_distribution_table_exports_as_csv(manager_client, october):
    query = {**OCTOBER_QUERY, "format": "csv", "table": "distribution"}
    rows = list(csv.reader(io.StringIO(manager_client.get(URL, query).content.decode())))
    assert rows[0] == ["survey", "score", "answers"]
    assert ["csat", "5", "2"] in rows
    assert len(rows) == 1 + 5 + 11


def test_an_unknown_table_cannot_be_exported(manager_client):
    response = manager_client.get(URL, {"format": "csv", "table": "salaries"})
    assert response.status_code == 400
    assert "is not a table of this page" in response.content.decode()


def test_the_drill_down_names_the_team_and_agent_it_is_filtered_by(
    manager_client, cast, conversation
):
    conversation(team=cast.team_a, assignee=cast.agent)
    cast.agent.first_name, cast.agent.last_name = "Alma", "Agent"
    cast.agent.save()
    figure = report(OCTOBER, filters={"team": cast.team_a.pk, "agent": cast.agent.pk}).total
    token = drill_token(figure.figures["inquiry_volume"].drill)
    page = manager_client.get(reverse("metrics:drill"), {"d": token}).content.decode()
    filters = re.findall(r'<span class="drill-filter">(.*?)</span>', page)
    assert filters == ["Team: First level", "Agent: Alma Agent"]


def test_the_dashboard_links_the_improvement_pages_once_they_exist(manager_client):
    html = manager_client.get(URL).content.decode()
    for name, label in (
        ("improvement:list", "Improvement initiatives"),
        ("improvement:drivers", "Drivers"),
    ):
        try:
            url = reverse(name)
        except NoReverseMatch:
            # Not built yet: the page must still render, without a dead link.
            assert label not in html
        else:
            assert f'href="{url}"' in html


def test_a_customer_segment_narrows_every_figure_to_customers_with_that_tag(
    manager_client, cast, conversation
):
    from rapport.customers.models import Tag

    vip = Tag.objects.create(name="VIP")
    cast.other_customer.tags.add(vip)
    conversation(channel="email")
    conversation(channel="chat", customer=cast.other_customer)
    everyone = manager_client.get(URL, OCTOBER_QUERY).context["result"]
    segment = manager_client.get(URL, {**OCTOBER_QUERY, "segment": "VIP"})
    assert segment.status_code == 200
    assert everyone.total.figures["inquiry_volume"].value == 2
    assert segment.context["result"].total.figures["inquiry_volume"].value == 1
    assert segment.context["result"].filters == {"segment": "VIP"}
    assert "customers tagged" in segment.content.decode()
    assert sum(segment.context["trend"]["volume"]) == 1


def test_an_unknown_segment_is_a_clear_error(manager_client, cast):
    response = manager_client.get(URL, {**OCTOBER_QUERY, "segment": "Nobody"})
    assert response.status_code == 400
    assert "is not a customer tag" in response.content.decode()
