"""Self-service reports: who may read them, the period, the figures, gaps and article votes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.kb import actions
from rapport.kb.models import EventKind, SelfServiceEvent, Source

pytestmark = pytest.mark.django_db

URL = "/kb/reports/"


@pytest.fixture
def facts(db):
    article = actions.save_translation(
        actor=None,
        slug="return-policy",
        language="en",
        title="How do returns work?",
        body="Return within 30 days.",
        publish=True,
    ).translation
    for _ in range(3):
        actions.record_event(
            kind=EventKind.VIEW, source=Source.HELP_CENTRE, language="en", translation=article
        )
    actions.record_feedback(translation=article, helpful=True)
    actions.record_feedback(translation=article, helpful=False, comment="Where is the label?")
    actions.record_feedback(translation=article, helpful=False, comment="")
    actions.record_event(kind=EventKind.SEARCH, source=Source.HELP_CENTRE, query="teleporter")
    actions.record_event(
        kind=EventKind.SEARCH_EMPTY, source=Source.HELP_CENTRE, language="en", query="teleporter"
    )
    actions.record_event(kind=EventKind.DEFLECTED, source=Source.CONTACT_FORM, translation=article)
    actions.record_event(kind=EventKind.HANDOVER, source=Source.CHAT)
    old = actions.record_event(
        kind=EventKind.SEARCH_EMPTY, source=Source.HELP_CENTRE, query="old gap"
    )
    SelfServiceEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=45)
    )
    return article


def figure(page: str, kind: str) -> int:
    start = page.index(f'data-kind="{kind}"')
    value = page.index('class="value"', start)
    return int(page[page.index(">", value) + 1 : page.index("<", value)])


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_managers_and_admins_see_the_figures(client, cast, facts, who):
    client.force_login(getattr(cast, who))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert figure(page, "view") == 3
    assert figure(page, "helpful") == 1 and figure(page, "not_helpful") == 2
    assert figure(page, "search") == 1 and figure(page, "search_empty") == 1
    assert figure(page, "deflected") == 1 and figure(page, "handover") == 1
    assert figure(page, "answer") == 0 and figure(page, "answer_accepted") == 0
    assert figure(page, "suggested") == 0


def test_report_lists_content_gaps_and_comments_of_not_helpful_votes(client, cast, facts):
    client.force_login(cast.manager)
    page = client.get(URL).content.decode()
    assert "teleporter" in page
    assert "old gap" not in page
    assert "How do returns work?" in page and 'href="/help/en/return-policy/"' in page
    assert "Where is the label?" in page


def test_period_selector_widens_the_window(client, cast, facts):
    client.force_login(cast.manager)
    page = client.get(URL, {"days": "90"}).content.decode()
    assert "old gap" in page
    assert figure(page, "search_empty") == 2
    week = client.get(URL, {"days": "7"}).content.decode()
    assert "old gap" not in week


def test_report_without_a_period_shows_the_last_30_days(client, cast, facts):
    client.force_login(cast.manager)
    for query in ({}, {"days": ""}):
        response = client.get(URL, query)
        assert response.status_code == 200
        assert '<option value="30" selected>' in response.content.decode()


@pytest.mark.parametrize("days", ["365", "abc", "7\x00", "-1"])
def test_unknown_period_is_refused_with_a_message(client, cast, facts, days):
    client.force_login(cast.manager)
    response = client.get(URL, {"days": days})
    assert response.status_code == 400
    assert "7, 30 or 90" in response.content.decode()


@pytest.mark.parametrize("who", ["agent", "marketer", "portal_user"])
def test_agents_marketers_and_customers_are_refused(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_report_reads_a_fixed_number_of_queries(client, cast, facts, django_assert_max_num_queries):
    client.force_login(cast.manager)
    for n in range(20):
        other = actions.save_translation(
            actor=None, slug=f"a-{n}", language="en", title=f"Article {n}", body="x", publish=True
        ).translation
        actions.record_feedback(translation=other, helpful=False, comment=f"comment {n}")
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
