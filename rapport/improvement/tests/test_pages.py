"""The pages: who may open and change what, what they show, the CSV export, German."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.customers.models import Tag
from rapport.feedback.models import SurveyKind
from rapport.improvement.models import Initiative, InitiativeStatus

LIST = reverse("improvement:list")
NEW = reverse("improvement:new")
DRIVERS = reverse("improvement:drivers")
RECORDS = reverse("improvement:driver_records")


def form_data(cast, **changes):
    data = {
        "title": "Call-backs",
        "problem": "Callers hang up.",
        "hypothesis": "A call-back keeps them.",
        "action": "Offer call-backs.",
        "owner": cast.manager.pk,
        "kpi": "csat",
        "start_date": "2026-10-16",
        "status": InitiativeStatus.RUNNING,
        "channel": "phone",
    }
    data.update(changes)
    return data


@pytest.fixture
def recent(cast, conversation, answer):
    """A tagged conversation of the last days with a low CSAT answer, and one with a high one."""
    now = timezone.now() - timedelta(days=1)
    late = Tag.objects.create(name="=late")
    low = conversation(created_at=now, tags=[late], channel="email", team=cast.team_b)
    answer(SurveyKind.CSAT, 1, conversation=low, answered_at=now, comment="awful")
    high = conversation(created_at=now, channel="chat")
    answer(SurveyKind.CSAT, 5, conversation=high, answered_at=now)
    return late


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    for url in (LIST, DRIVERS):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_a_portal_customer_is_refused(client, cast, initiative):
    client.force_login(cast.portal_user)
    pk = initiative().pk
    for url in (
        LIST,
        DRIVERS,
        RECORDS,
        reverse("improvement:detail", args=[pk]),
        reverse("improvement:row", args=[pk]),
    ):
        assert client.get(url).status_code == 403


def test_an_agent_reads_initiatives_but_may_not_create_edit_or_close(agent_client, initiative):
    pk = initiative().pk
    assert agent_client.get(LIST).status_code == 200
    assert agent_client.get(reverse("improvement:detail", args=[pk])).status_code == 200
    assert agent_client.get(NEW).status_code == 403
    assert agent_client.post(NEW, {}).status_code == 403
    assert agent_client.get(reverse("improvement:edit", args=[pk])).status_code == 403
    close = reverse("improvement:close", args=[pk])
    assert agent_client.post(close, {"status": "done"}).status_code == 403
    assert Initiative.objects.get().status == InitiativeStatus.RUNNING


def test_an_agent_sees_no_create_button(agent_client, initiative):
    assert NEW not in agent_client.get(LIST).content.decode()


def test_a_manager_creates_an_initiative_through_the_form(manager_client, cast):
    response = manager_client.post(NEW, form_data(cast, team=cast.team_a.pk))
    initiative = Initiative.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("improvement:detail", args=[initiative.pk])
    assert initiative.filters == {"channel": "phone", "team": cast.team_a.pk}
    assert initiative.direction == "up"


def test_a_form_with_an_end_before_the_start_saves_nothing(manager_client, cast):
    response = manager_client.post(NEW, form_data(cast, end_date="2026-10-01"))
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not Initiative.objects.exists()


def test_a_form_with_an_unknown_kpi_saves_nothing(manager_client, cast):
    assert manager_client.post(NEW, form_data(cast, kpi="happiness")).status_code == 400
    assert not Initiative.objects.exists()


def test_a_manager_edits_and_closes_an_initiative(manager_client, cast, initiative):
    pk = initiative().pk
    edit = reverse("improvement:edit", args=[pk])
    assert manager_client.get(edit).status_code == 200
    manager_client.post(edit, form_data(cast, title="Renamed", kpi="nps"))
    assert Initiative.objects.get().title == "Renamed"
    close = reverse("improvement:close", args=[pk])
    manager_client.post(close, {"status": "abandoned", "end_date": "2026-10-20"})
    assert Initiative.objects.get().status == InitiativeStatus.ABANDONED


def test_a_bad_close_is_reported_and_changes_nothing(manager_client, initiative):
    pk = initiative().pk
    close = reverse("improvement:close", args=[pk])
    response = manager_client.post(
        close, {"status": "abandoned", "end_date": "2026-01-01"}, follow=True
    )
    assert "before the start date" in response.content.decode()
    assert Initiative.objects.get().status == InitiativeStatus.RUNNING


def test_an_unknown_initiative_is_not_found(manager_client, db):
    assert manager_client.get(reverse("improvement:detail", args=[999])).status_code == 404


def test_the_detail_shows_before_after_and_the_verdict(manager_client, cast, initiative, answer):
    today = timezone.localdate()
    start = today - timedelta(days=5)
    moment = timezone.now()
    answer(SurveyKind.CSAT, 5, answered_at=moment - timedelta(days=8))
    answer(SurveyKind.CSAT, 1, answered_at=moment - timedelta(days=3))
    pk = initiative(start_date=start).pk
    html = manager_client.get(reverse("improvement:detail", args=[pk])).content.decode()
    assert 'data-side="before"' in html
    assert "n = 1" in html
    assert 'data-verdict="too_few"' in html
    assert 'data-direction="worse"' in html
    assert reverse("metrics:drill") in html


def test_each_row_of_the_list_loads_its_verdict(manager_client, initiative):
    pk = initiative(kpi="inquiry_volume", start_date=timezone.localdate() - timedelta(days=3)).pk
    row = reverse("improvement:row", args=[pk])
    assert f'hx-get="{row}"' in manager_client.get(LIST).content.decode()
    html = manager_client.get(row).content.decode()
    assert html.lstrip().startswith("<tr")
    assert 'data-verdict="no_estimate"' in html


def test_the_list_costs_the_same_queries_for_one_initiative_as_for_many(
    manager_client, initiative, django_assert_max_num_queries
):
    initiative()
    with CaptureQueriesContext(connection) as one:
        manager_client.get(LIST)
    for _ in range(5):
        initiative()
    with django_assert_max_num_queries(len(one)):
        html = manager_client.get(LIST).content.decode()
    assert html.count('class="initiative-row"') == 6


def test_the_drivers_page_lists_tags_and_links_to_their_records(manager_client, recent):
    html = manager_client.get(DRIVERS).content.decode()
    assert "=late" in html
    assert f"kind=tag&amp;value={recent.pk}" in html


def test_a_bad_period_is_a_clear_error(manager_client, db):
    response = manager_client.get(DRIVERS, {"period": "custom", "start": "2026-10-31", "end": "x"})
    assert response.status_code == 400
    response = manager_client.get(
        DRIVERS, {"period": "custom", "start": "2026-10-31", "end": "2026-10-01"}
    )
    assert response.status_code == 400
    assert manager_client.get(DRIVERS, {"period": "forever"}).status_code == 400


def test_the_tags_table_exports_as_csv_safe_for_spreadsheets(manager_client, recent):
    response = manager_client.get(DRIVERS, {"format": "csv", "table": "tags"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Tag"
    assert rows[1][:2] == ["'=late", "1"]


def test_every_drivers_table_exports_and_an_unknown_one_is_refused(manager_client, recent):
    for table in ("topics", "phrases"):
        assert manager_client.get(DRIVERS, {"format": "csv", "table": table}).status_code == 200
    assert manager_client.get(DRIVERS, {"format": "csv", "table": "x"}).status_code == 400


def test_the_records_behind_a_tag_show_only_what_the_reader_may_see(client, cast, recent):
    today = timezone.localdate()
    query = {
        "period": "custom",
        "start": (today - timedelta(days=29)).isoformat(),
        "end": today.isoformat(),
        "kind": "tag",
        "value": recent.pk,
    }
    client.force_login(cast.manager)
    assert "awful" in client.get(RECORDS, query).content.decode()
    # The conversation belongs to another team than the agent's.
    client.force_login(cast.agent)
    assert "awful" not in client.get(RECORDS, query).content.decode()


def test_records_of_an_unknown_driver_are_a_clear_error(manager_client, db):
    assert manager_client.get(RECORDS, {"kind": "colour", "value": "x"}).status_code == 400


def test_the_pages_render_in_german(manager_client, cast, initiative, recent):
    cast.manager.language = "de"
    cast.manager.save()
    pk = initiative(start_date=timezone.localdate() - timedelta(days=3)).pk
    detail = manager_client.get(reverse("improvement:detail", args=[pk])).content.decode()
    assert 'lang="de"' in detail
    assert "Kundenzufriedenheit (CSAT)" in detail
    drivers = manager_client.get(DRIVERS).content.decode()
    assert "Letzte 30 Tage" in drivers
    assert "CSV exportieren" in drivers
    form = manager_client.get(reverse("improvement:new")).content.decode()
    assert "Kundenzufriedenheit (CSAT)" in form


def test_staff_find_the_improvement_pages_in_the_main_navigation(agent_client, db):
    html = agent_client.get(reverse("metrics:mine")).content.decode()
    assert f'<a href="{LIST}" >Improvement</a>' in html
    html = agent_client.get(DRIVERS).content.decode()
    assert f'<a href="{LIST}" aria-current="page">Improvement</a>' in html
