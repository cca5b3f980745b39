"""End to end in headless Chromium: the list loads each initiative's verdict, and a manager
creates an initiative through the form."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.conftest import PASSWORD
from rapport.improvement.models import Initiative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_list_loads_each_verdict_and_a_manager_creates_an_initiative(
    live_server, chromium, cast, initiative, conversation
):
    today = timezone.localdate()
    conversation(created_at=timezone.now() - timedelta(days=2))
    initiative(kpi="inquiry_volume", start_date=today - timedelta(days=4))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/?next=/improvement/")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("tr.initiative-row [data-verdict=no_estimate]")
        page.get_by_role("link", name="New initiative").click()
        page.get_by_label("Title").fill("Shorter waits")
        page.get_by_label("Problem").fill("Customers wait.")
        page.get_by_label("Hypothesis").fill("More staff in the morning helps.")
        page.get_by_label("Action").fill("Add a morning shift.")
        page.get_by_label("KPI to watch").select_option("first_response_time_calendar_median")
        page.get_by_label("Start date").fill(today.isoformat())
        page.get_by_role("button", name="Save").click()
        page.wait_for_selector("p.verdict-text")
        created = Initiative.objects.get(title="Shorter waits")
        assert created.direction == "down"
        assert page.url.endswith(f"/improvement/{created.pk}/")
    finally:
        context.close()
