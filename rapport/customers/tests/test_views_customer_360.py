from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.customers.actions import record_consent, set_tags
from rapport.customers.models import ContactKind, ContactPoint, CustomFieldDefinition
from rapport.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    OrganizationFactory,
    TimelineEventFactory,
)
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def detail(client, customer):
    return client.get(reverse("customers:detail", args=[customer.pk]))


@pytest.fixture
def schmidt(cast):
    customer = cast.customer
    customer.title, customer.salutation, customer.language = "Dr.", "ms", "de"
    customer.is_vip, customer.time_zone, customer.country = True, "America/New_York", "DE"
    customer.organization = OrganizationFactory(name="Acme GmbH")
    customer.account_manager = cast.manager
    customer.custom_fields = {"shoe_size": 39}
    customer.save()
    set_tags(customer=customer, names=["Stammkunde"])
    CustomFieldDefinition.objects.create(
        key="shoe_size", label="Shoe size", label_de="Schuhgröße", field_type="number"
    )
    return customer


def test_360_shows_header_profile_and_greeting(agent_client, schmidt):
    html = detail(agent_client, schmidt).content.decode()
    assert "Anna Schmidt" in html and "VIP" in html
    assert "America/New_York" in html and "local time" in html
    assert "Greeting: <q>Sehr geehrte Frau Dr. Schmidt</q>" in html
    assert "German" in html and "Germany" in html  # language and country by name
    assert "Acme GmbH" in html and "Stammkunde" in html and "Shoe size" in html
    assert "anna@example.org" in html


def test_360_names_language_country_and_custom_fields_in_german(agent_client, schmidt, cast):
    cast.agent.language = "de"
    cast.agent.save()
    html = detail(agent_client, schmidt).content.decode()
    assert "Deutsch" in html and "Deutschland" in html and "Schuhgröße" in html


def test_360_shows_the_customers_local_time_in_their_time_zone(agent_client, schmidt):
    response = detail(agent_client, schmidt)
    local = response.context["local_time"]
    assert str(local.tzinfo) == "America/New_York"
    assert local.strftime("%H:%M") in response.content.decode()


def test_timeline_is_newest_first_and_escapes_user_text(agent_client, cast):
    now = timezone.now()
    TimelineEventFactory(customer=cast.customer, title="Old", occurred_at=now - timedelta(days=2))
    TimelineEventFactory(
        customer=cast.customer,
        title="New <b>bold</b>",
        body="<script>alert(1)</script>",
        occurred_at=now,
    )
    html = detail(agent_client, cast.customer).content.decode()
    assert html.index("New &lt;b&gt;bold&lt;/b&gt;") < html.index("Old")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_timeline_times_are_shown_in_the_viewers_time_zone(agent_client, cast):
    from datetime import UTC, datetime

    cast.agent.time_zone = "Asia/Tokyo"
    cast.agent.save()
    TimelineEventFactory(
        customer=cast.customer, occurred_at=datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
    )
    html = detail(agent_client, cast.customer).content.decode()
    assert "04/03/2025 21:00" in html  # 12:00 UTC is 21:00 in Tokyo


def test_timeline_load_more_pages_by_keyset(agent_client, cast):
    base = timezone.now()
    for i in range(25):
        TimelineEventFactory(
            customer=cast.customer, title=f"Event {i:02d}", occurred_at=base - timedelta(minutes=i)
        )
    response = detail(agent_client, cast.customer)
    first = [e.title for e in response.context["events"]]
    assert first[0] == "Event 00" and len(first) == 20
    cursor = response.context["next_cursor"]
    assert "Load more" in response.content.decode()
    more = agent_client.get(
        reverse("customers:timeline", args=[cast.customer.pk]),
        {"before": cursor},
        headers={"HX-Request": "true"},
    )
    assert [e.title for e in more.context["events"]] == [f"Event {i:02d}" for i in range(20, 25)]
    assert "Load more" not in more.content.decode()


def test_orders_and_revenue_figures_are_shown_in_the_viewers_locale(agent_client, cast):
    order = OrderFactory(customer=cast.customer, total=Decimal("1234.50"), number="R-1")
    OrderLineFactory(order=order)
    OrderLineFactory(order=order)
    OrderFactory(customer=cast.customer, total=Decimal("100.00"), status="cancelled")
    response = detail(agent_client, cast.customer)
    html = response.content.decode()
    assert "€1,234.50" in html  # lifetime revenue and order total (cancelled order excluded)
    assert response.context["summary"].order_count == 2
    assert (
        response.context["orders"][1].line_count == 2
        or response.context["orders"][0].line_count == 2
    )
    cast.agent.language = "de"
    cast.agent.save()
    assert "1.234,50\xa0€" in detail(agent_client, cast.customer).content.decode()


def test_possible_duplicates_link_to_the_merge_review_for_managers(client, cast):
    twin = CustomerFactory(given_name="Anna", family_name="Schmidt")
    client.force_login(cast.manager)
    html = detail(client, cast.customer).content.decode()
    assert reverse("customers:merge", args=[cast.customer.pk, twin.pk]) in html


def test_adding_a_note_records_it_in_the_timeline(agent_client, cast):
    url = reverse("customers:note_add", args=[cast.customer.pk])
    response = agent_client.post(url, {"body": "Called about the invoice\nAll good."})
    assert response.status_code == 302
    event = TimelineEvent.objects.get(customer=cast.customer, kind="note")
    assert event.title == "Called about the invoice" and event.actor == cast.agent


def test_an_empty_note_shows_an_error_and_saves_nothing(agent_client, cast):
    url = reverse("customers:note_add", args=[cast.customer.pk])
    response = agent_client.post(url, {"body": "  "})
    assert response.status_code == 400
    assert "A note cannot be empty." in response.content.decode()
    assert not TimelineEvent.objects.filter(kind="note").exists()


def test_htmx_note_returns_the_refreshed_timeline(agent_client, cast):
    url = reverse("customers:note_add", args=[cast.customer.pk])
    response = agent_client.post(url, {"body": "Hello"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="timeline"' in html and "Hello" in html
    assert "<html" not in html


def test_logging_an_activity_records_type_subject_and_time(agent_client, cast):
    url = reverse("customers:activity_add", args=[cast.customer.pk])
    response = agent_client.post(
        url,
        {
            "activity_type": "meeting",
            "subject": "Quarterly review",
            "body": "Went well",
            "occurred_at": "2025-05-06T10:30",
        },
    )
    assert response.status_code == 302
    event = TimelineEvent.objects.get(customer=cast.customer, kind="activity")
    assert event.title == "Quarterly review" and event.data["activity_type"] == "meeting"
    assert timezone.localtime(event.occurred_at).hour == 10


def test_an_activity_without_subject_shows_the_error(agent_client, cast):
    url = reverse("customers:activity_add", args=[cast.customer.pk])
    response = agent_client.post(url, {"activity_type": "call", "subject": ""})
    assert response.status_code == 400
    assert response.context["activity_form"].errors["subject"]


def test_recording_consent_updates_current_state_and_keeps_history(agent_client, cast):
    url = reverse("customers:consent_record", args=[cast.customer.pk])
    agent_client.post(url, {"purpose": "newsletter", "granted": "1", "wording_version": "v1"})
    agent_client.post(url, {"purpose": "newsletter", "granted": "0", "wording_version": "v2"})
    records = list(cast.customer.consents.order_by("recorded_at", "id"))
    assert [(r.granted, r.source, r.wording_version) for r in records] == [
        (True, "agent", "v1"),
        (False, "agent", "v2"),
    ]
    response = detail(agent_client, cast.customer)
    current = dict((p.value, r) for p, r in response.context["consents"])
    assert current["newsletter"].granted is False
    assert len(response.context["consent_history"]) == 2


def test_consent_without_wording_version_is_refused(agent_client, cast):
    url = reverse("customers:consent_record", args=[cast.customer.pk])
    response = agent_client.post(
        url, {"purpose": "newsletter", "granted": "1", "wording_version": ""}
    )
    assert response.status_code == 400
    assert response.context["consent_form"].errors["wording_version"]
    assert not cast.customer.consents.exists()


def test_htmx_consent_returns_consent_card_and_timeline_out_of_band(agent_client, cast):
    record_consent(
        actor=cast.agent,
        customer=cast.customer,
        purpose="surveys",
        granted=True,
        source="agent",
        wording_version="v0",
    )
    url = reverse("customers:consent_record", args=[cast.customer.pk])
    response = agent_client.post(
        url,
        {"purpose": "newsletter", "granted": "1", "wording_version": "v1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="consent"' in html and 'hx-swap-oob="true"' in html


def test_adding_a_contact_point_normalises_it(agent_client, cast):
    url = reverse("customers:contact_add", args=[cast.customer.pk])
    response = agent_client.post(url, {"kind": "phone", "value": "030 1234567", "label": "work"})
    assert response.status_code == 302
    point = cast.customer.contact_points.get(kind="phone")
    assert point.normalized == "+49301234567" and point.is_primary and point.label == "work"


def test_an_invalid_email_contact_shows_the_error_next_to_the_value(agent_client, cast):
    url = reverse("customers:contact_add", args=[cast.customer.pk])
    response = agent_client.post(
        url, {"kind": "email", "value": "not-an-email"}, headers={"HX-Request": "true"}
    )
    assert "is not a valid email address" in response.content.decode()
    assert response.context["contact_form"].errors["value"]
    assert cast.customer.contact_points.count() == 1


def test_make_primary_switches_the_primary_contact(agent_client, cast):
    second = ContactPoint.objects.create(
        customer=cast.customer,
        kind=ContactKind.EMAIL,
        value="a2@example.org",
        normalized="a2@example.org",
    )
    url = reverse("customers:contact_make_primary", args=[cast.customer.pk, second.pk])
    agent_client.post(url)
    primaries = list(
        cast.customer.contact_points.filter(is_primary=True).values_list("value", flat=True)
    )
    assert primaries == ["a2@example.org"]


def test_removing_a_contact_point_deletes_it(agent_client, cast):
    point = cast.customer.contact_points.get()
    agent_client.post(reverse("customers:contact_remove", args=[cast.customer.pk, point.pk]))
    assert not cast.customer.contact_points.exists()


def test_contact_of_another_customer_cannot_be_removed_through_this_one(agent_client, cast):
    foreign = cast.other_customer.contact_points.get()
    url = reverse("customers:contact_remove", args=[cast.customer.pk, foreign.pk])
    assert agent_client.post(url).status_code == 404
    assert cast.other_customer.contact_points.exists()


def test_contact_changes_need_post(agent_client, cast):
    point = cast.customer.contact_points.get()
    url = reverse("customers:contact_remove", args=[cast.customer.pk, point.pk])
    assert agent_client.get(url).status_code == 405


def test_360_page_query_count_does_not_grow_with_orders_events_or_contacts(
    agent_client, schmidt, django_assert_max_num_queries
):
    def add_history(start, n):
        for i in range(start, start + n):
            order = OrderFactory(customer=schmidt, total=Decimal("10.00"))
            OrderLineFactory(order=order)
            TimelineEventFactory(customer=schmidt, title=f"Event {i}")
            ContactPoint.objects.create(
                customer=schmidt,
                kind=ContactKind.PHONE,
                value=f"+4930123456{i:02d}",
                normalized=f"+4930123456{i:02d}",
            )

    add_history(0, 2)
    with django_assert_max_num_queries(40) as few:
        assert detail(agent_client, schmidt).status_code == 200
    add_history(2, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert detail(agent_client, schmidt).status_code == 200
