"""End to end in headless Chromium: the KPI dashboards open and their charts draw."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rapport.conftest import PASSWORD
from rapport.feedback.models import SurveyKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def test_a_manager_opens_the_dashboard_and_the_charts_draw(
    live_server, chromium, cast, conversation, answer
):
    now = timezone.now()
    for days, channel, score in ((1, "email", 5), (3, "chat", 4), (3, "email", 2), (12, "chat", 5)):
        conversation(created_at=now - timedelta(days=days), channel=channel)
        answer(SurveyKind.CSAT, score, answered_at=now - timedelta(days=days))
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/?next=/metrics/%3Fby%3Dchannel")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("article.kpi-card[data-kpi=csat]")
        for canvas in ("#trend-chart", "#breakdown-chart"):
            page.wait_for_function(
                "id => { const c = document.querySelector(id);"
                " return !!(c && window.Chart && Chart.getChart(c)); }",
                arg=canvas,
            )
        drawn = page.evaluate(
            "() => Chart.getChart(document.querySelector('#trend-chart')).data.datasets[0].data"
        )
        assert sum(drawn) == 4
        bars = page.evaluate(
            "() => Chart.getChart(document.querySelector('#breakdown-chart')).data.labels"
        )
        assert {"Email", "Live chat"} <= set(bars)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "metrics-dashboard.png"), full_page=True)
    finally:
        context.close()


def test_an_agent_opens_their_own_dashboard_and_its_charts_draw(
    live_server, chromium, cast, solved, answer
):
    now = timezone.now()
    for days, score in ((1, 5), (2, 4), (4, 1), (9, 5)):
        done = solved(
            now - timedelta(days=days),
            created_at=now - timedelta(days=days + 1),
            assignee=cast.agent,
        )
        answer(SurveyKind.CSAT, score, answered_at=now - timedelta(days=days), conversation=done)
    cast.agent.language = "de"
    cast.agent.save()
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/?next=/metrics/me/")
        page.get_by_label("Username").fill("agent")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("article.kpi-card[data-kpi=csat]")
        for canvas in ("#mine-trend-chart", "#csat-distribution-chart"):
            page.wait_for_function(
                "id => { const c = document.querySelector(id);"
                " return !!(c && window.Chart && Chart.getChart(c)); }",
                arg=canvas,
            )
        solved_bars = page.evaluate(
            "() => Chart.getChart(document.querySelector('#mine-trend-chart'))"
            ".data.datasets[0].data"
        )
        assert sum(solved_bars) == 4
        scores = page.evaluate(
            "() => Chart.getChart(document.querySelector('#csat-distribution-chart'))"
            ".data.datasets[0].data"
        )
        assert scores == [1, 0, 0, 1, 2]
        labels = page.evaluate(
            "() => Chart.getChart(document.querySelector('#mine-trend-chart')).data.labels"
        )
        assert all(label.count(".") == 2 for label in labels)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "agent-dashboard.png"), full_page=True)
    finally:
        context.close()
