"""The agent's own dashboard: only their figures, next to their team's, with drills and exports."""

import csv
import io
import re

import pytest
from django.urls import reverse

from rapport.feedback.models import SurveyKind
from rapport.helpdesk.models import Status
from rapport.metrics.queries import report
from rapport.metrics.tests.conftest import OCTOBER, at
from rapport.metrics.views import drill_token

URL = reverse("metrics:mine")
DRILL = reverse("metrics:drill")
OCTOBER_QUERY = {"period": "custom", "from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def work(cast, conversation, solved, answer):
    """The agent solved two conversations (answers 5 and 1), the other agent one (answer 2)."""
    mine_a = solved(at(10, 6), assignee=cast.agent, team=cast.team_a, agent_reply_count=1)
    mine_b = solved(at(10, 20), assignee=cast.agent, team=cast.team_a, agent_reply_count=2)
    theirs = solved(at(10, 7), assignee=cast.other_agent, team=cast.team_b, agent_reply_count=1)
    conversation(assignee=cast.agent, team=cast.team_a, status=Status.OPEN)
    answer(SurveyKind.CSAT, 5, conversation=mine_a)
    answer(SurveyKind.CSAT, 1, conversation=mine_b, comment="Nobody listened")
    answer(SurveyKind.CSAT, 2, conversation=theirs, comment="Secret of the other agent")
    return mine_a, mine_b, theirs


def card(html: str, key: str) -> str:
    found = re.search(
        rf'<article class="card kpi-card" data-kpi="{key}">(.*?)</article>', html, re.S
    )
    assert found, key
    return found.group(1)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_an_agent_sees_their_own_dashboard(agent_client):
    response = agent_client.get(URL)
    assert response.status_code == 200
    assert response.context["agent"].username == "agent"


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_portal_customer_is_refused(client, cast):
    client.force_login(cast.portal_user)
    assert client.get(URL).status_code == 403


def test_the_navigation_offers_my_figures_to_an_agent(agent_client):
    assert f'href="{URL}"' in agent_client.get(reverse("helpdesk:inbox")).content.decode()


def test_the_csat_card_counts_only_answers_on_the_agents_own_conversations(
    agent_client, cast, work
):
    response = agent_client.get(URL, OCTOBER_QUERY)
    html = response.content.decode()
    assert "n = 2" in card(html, "csat")
    assert "50" in card(html, "csat")
    expected = report(OCTOBER, filters={"agent": cast.agent.pk}, user=cast.agent)
    assert expected.total.figures["csat"].n == 2


def test_the_solved_card_counts_the_conversations_the_agent_solved(agent_client, work):
    html = agent_client.get(URL, OCTOBER_QUERY).content.decode()
    assert ">2</a>" in card(html, "solved")


def test_each_figure_shows_the_agents_team_for_context(agent_client, cast, work):
    response = agent_client.get(URL, OCTOBER_QUERY)
    assert response.context["context_name"] == "First level"
    html = response.content.decode()
    assert "First level:" in card(html, "csat")


def test_an_agent_without_a_team_is_compared_with_everyone(client, cast, work):
    client.force_login(cast.manager)
    response = client.get(URL, OCTOBER_QUERY)
    assert response.context["context_name"] == "Everyone"


def test_the_open_now_card_counts_the_agents_open_conversations(agent_client, work):
    html = agent_client.get(URL, OCTOBER_QUERY).content.decode()
    assert ">1 <span" in card(html, "open_now")


def test_an_agent_asking_for_another_agents_figures_is_refused(agent_client, cast, work):
    response = agent_client.get(URL, {**OCTOBER_QUERY, "agent": cast.other_agent.pk})
    assert response.status_code == 403
    assert b"Secret of the other agent" not in response.content


def test_an_agent_may_name_themselves(agent_client, cast):
    assert agent_client.get(URL, {"agent": cast.agent.pk}).status_code == 200


def test_a_manager_opens_an_agents_figures(client, cast, work):
    client.force_login(cast.manager)
    response = client.get(URL, {**OCTOBER_QUERY, "agent": cast.other_agent.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "n = 1" in card(html, "csat")
    assert "Secret of the other agent" in html
    assert "Nobody listened" not in html


@pytest.mark.parametrize(("value", "status"), [("abc", 400), ("999999", 404)])
def test_a_bad_or_unknown_agent_id_is_refused_with_a_message(client, cast, value, status):
    client.force_login(cast.manager)
    response = client.get(URL, {"agent": value})
    assert response.status_code == status
    assert b'role="alert"' in response.content


def test_a_manager_cannot_open_the_figures_of_a_portal_customer(client, cast):
    client.force_login(cast.manager)
    assert client.get(URL, {"agent": cast.portal_user.pk}).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "forever"}, "not a known period"),
        ({"period": "custom", "from": "2026-10-31", "to": "2026-10-01"}, "after the end date"),
        ({"period": "custom", "from": "soon", "to": "2026-10-01"}, "is not a date"),
        ({"format": "csv", "table": "secrets"}, "is not a table of this page"),
    ],
)
def test_a_bad_query_is_refused_with_a_message(agent_client, query, message):
    response = agent_client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_score_distribution_counts_the_agents_own_answers(agent_client, work):
    response = agent_client.get(URL, OCTOBER_QUERY)
    csat = response.context["distributions"]["csat"]
    assert csat["labels"] == ["1", "2", "3", "4", "5"]
    assert csat["counts"] == [1, 0, 0, 0, 1]


def test_recent_low_answers_show_their_comment_and_link_to_the_conversation(agent_client, work):
    _mine_a, mine_b, _theirs = work
    html = agent_client.get(URL, OCTOBER_QUERY).content.decode()
    assert "Nobody listened" in html
    assert reverse("helpdesk:conversation", args=[mine_b.pk]) in html
    assert "Secret of the other agent" not in html


def test_the_solved_trend_adds_up_to_the_solved_card(agent_client, work):
    response = agent_client.get(URL, OCTOBER_QUERY)
    trend = response.context["trend"]
    assert len(trend["labels"]) == 31
    assert sum(trend["solved"]) == 2
    assert trend["solved"][trend["dates"].index("2026-10-20")] == 1
    assert trend["csat"][trend["dates"].index("2026-10-10")] == pytest.approx(50.0)


def test_the_trend_labels_follow_the_readers_language(agent_client, cast, work):
    cast.agent.language = "de"
    cast.agent.save()
    response = agent_client.get(URL, OCTOBER_QUERY)
    assert response.context["trend"]["labels"][9] == "10.10.2026"
    assert '<time datetime="2026-10-10">10.10.2026</time>' in response.content.decode()


def test_every_number_of_the_agent_opens_its_drill_down_for_the_agent(agent_client, work):
    html = agent_client.get(URL, OCTOBER_QUERY).content.decode()
    links = set(re.findall(r'href="(/metrics/drill/\?d=[^"]+)"', html))
    assert len(links) >= 4
    for link in links:
        assert agent_client.get(link).status_code == 200


def test_the_agents_csat_drill_down_lists_only_their_answers(agent_client, work):
    html = agent_client.get(URL, OCTOBER_QUERY).content.decode()
    link = re.search(r'href="(/metrics/drill/\?d=[^"]+)"', card(html, "csat")).group(1)
    page = agent_client.get(link).content.decode()
    assert len(re.findall(r'class="drill-row"', page)) == 2
    assert "Secret of the other agent" not in page


def test_an_agent_cannot_open_a_drill_down_of_everyone(agent_client, cast, work):
    figure = report(OCTOBER, user=cast.manager).total.figures["csat"]
    assert agent_client.get(DRILL, {"d": drill_token(figure.drill)}).status_code == 403


def test_an_agent_cannot_open_a_drill_down_of_another_agent(agent_client, cast, work):
    figure = report(OCTOBER, filters={"agent": cast.other_agent.pk}).total.figures["csat"]
    assert agent_client.get(DRILL, {"d": drill_token(figure.drill)}).status_code == 403


def test_an_agent_cannot_open_a_drill_down_of_their_team(agent_client, cast, work):
    figure = report(OCTOBER, filters={"team": cast.team_a.pk}).total.figures["csat"]
    assert agent_client.get(DRILL, {"d": drill_token(figure.drill)}).status_code == 403


@pytest.mark.parametrize("token", ["", "garbage"])
def test_an_agent_with_a_tampered_drill_down_link_is_refused(agent_client, token):
    assert agent_client.get(DRILL, {"d": token}).status_code == 403


def test_the_kpi_export_has_the_same_figures_as_the_cards(agent_client, cast, work):
    rows = csv_rows(agent_client.get(URL, {**OCTOBER_QUERY, "format": "csv"}))
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    assert header[:5] == ["kpi", "value", "n", "previous", "change"]
    assert float(body["csat"][1]) == 50.0
    assert body["csat"][2] == "2"
    assert float(body["solved"][1]) == 2
    team = report(OCTOBER, filters={"team": cast.team_a.pk}, user=cast.agent)
    assert float(body["csat"][5]) == round(team.total.figures["csat"].value, 2)


def test_the_trend_export_has_one_row_per_day(agent_client, work):
    rows = csv_rows(agent_client.get(URL, {**OCTOBER_QUERY, "format": "csv", "table": "trend"}))
    assert rows[0] == ["date", "solved", "csat"]
    assert len(rows) == 32
    assert sum(int(row[1]) for row in rows[1:]) == 2


def test_the_distribution_export_counts_each_score(agent_client, work):
    query = {**OCTOBER_QUERY, "format": "csv", "table": "distribution"}
    rows = csv_rows(agent_client.get(URL, query))
    assert rows[0] == ["survey", "score", "answers"]
    assert ["csat", "1", "1"] in rows
    assert ["csat", "5", "1"] in rows


def test_the_low_scores_export_keeps_comments_safe_for_spreadsheets(
    agent_client, cast, solved, answer
):
    mine = solved(at(10, 6), assignee=cast.agent)
    answer(SurveyKind.CSAT, 1, conversation=mine, comment="=cmd|' /C calc'!A0")
    query = {**OCTOBER_QUERY, "format": "csv", "table": "low_scores"}
    rows = csv_rows(agent_client.get(URL, query))
    assert rows[0] == ["answered_at", "score", "comment", "conversation"]
    assert rows[1][2].startswith("'=cmd")
    assert rows[1][3] == str(mine.pk)


def test_an_empty_period_shows_no_data(agent_client):
    html = agent_client.get(URL, OCTOBER_QUERY).content.decode()
    assert "no data" in card(html, "csat")
    assert "No low answers in this period." in html
