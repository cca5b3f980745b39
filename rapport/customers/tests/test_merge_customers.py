import pytest
from django.core.exceptions import ValidationError

from rapport.commerce.actions import LineInput, record_order
from rapport.customers.actions import (
    ContactInput,
    add_contact_point,
    create_customer,
    merge_customers,
    merge_preview,
    record_consent,
)
from rapport.customers.models import ContactPoint, Customer, CustomerMerge
from rapport.customers.queries import duplicate_candidates
from rapport.timeline.actions import add_note
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(cast):
    a = create_customer(
        actor=cast.agent,
        profile={"given_name": "Anna", "family_name": "Schmidt", "country": "DE"},
        contacts=ContactInput(emails=["anna.schmidt@example.org"]),
        tags=["newsletter"],
    )
    b = create_customer(
        actor=cast.agent,
        profile={
            "given_name": "Anna",
            "family_name": "Schmidt",
            "language": "de",
            "time_zone": "Europe/Berlin",
            "country": "AT",
            "external_id": "CRM-7",
        },
        contacts=ContactInput(
            emails=["ANNA.SCHMIDT@example.org", "a.s@example.com"], phones=["+43 664 1234567"]
        ),
        tags=["vip"],
    )
    add_note(customer=b, actor=cast.agent, body="Called about her headphones")
    record_order(
        actor=cast.agent, customer=b, lines=[LineInput(name="Headphones", unit_price="99.00")]
    )
    record_consent(
        actor=cast.agent,
        customer=b,
        purpose="marketing_email",
        granted=True,
        source="web_form",
        wording_version="2026-01",
    )
    return a, b


def test_duplicates_are_found_by_shared_email_and_similar_name(cast, pair):
    a, b = pair
    candidates = duplicate_candidates(a)
    assert candidates[0].customer == b  # shared email and same name rank first
    assert {c.customer for c in candidates} == {
        b,
        cast.customer,
    }  # the cast's Anna Schmidt: same name only
    assert "name" in candidates[0].reasons
    assert any(r.startswith("email:") for r in candidates[0].reasons)


def test_similar_given_names_count_as_duplicates_but_different_people_do_not(cast):
    base = create_customer(
        actor=cast.agent, profile={"given_name": "Johannes", "family_name": "Weber"}
    )
    typo = create_customer(
        actor=cast.agent, profile={"given_name": "Johanes", "family_name": "Weber"}
    )
    initial = create_customer(actor=cast.agent, profile={"given_name": "J", "family_name": "Weber"})
    other = create_customer(
        actor=cast.agent, profile={"given_name": "Petra", "family_name": "Weber"}
    )
    found = {c.customer for c in duplicate_candidates(base)}
    assert typo in found and initial in found and other not in found


def test_merge_preview_changes_nothing_and_names_conflicts(pair):
    a, b = pair
    preview = merge_preview(survivor=a, merged=b)
    conflicts = {f["name"] for f in preview["fields"] if f["conflict"]}
    assert conflicts == {"country", "lifecycle_stage"}
    assert preview["orders"] == 1 and preview["consents"] == 1
    assert Customer.objects.filter(pk=b.pk).exists()


def test_merge_keeps_all_history_of_both_customers(cast, pair):
    a, b = pair
    events_before = TimelineEvent.objects.filter(customer__in=[a, b]).count()
    survivor = merge_customers(actor=cast.manager, survivor=a, merged=b)
    assert not Customer.objects.filter(pk=b.pk).exists()
    # all events moved, plus one merge event
    assert TimelineEvent.objects.filter(customer=survivor).count() == events_before + 1
    assert survivor.orders.count() == 1
    assert survivor.consents.count() == 1
    emails = set(survivor.contact_points.filter(kind="email").values_list("normalized", flat=True))
    assert emails == {"anna.schmidt@example.org", "a.s@example.com"}
    assert survivor.contact_points.filter(kind="email", is_primary=True).count() == 1
    assert survivor.contact_points.filter(kind="phone", is_primary=True).count() == 1
    assert set(survivor.tags.values_list("name", flat=True)) == {"newsletter", "vip"}
    # empty fields filled from the merged customer, conflicting ones kept
    assert (survivor.language, survivor.time_zone, survivor.country) == (
        "de",
        "Europe/Berlin",
        "DE",
    )
    assert survivor.external_id == "CRM-7"
    assert survivor.lifecycle_stage == "customer"  # b had bought, a was a lead
    record = CustomerMerge.objects.get(survivor=survivor)
    assert record.merged_customer_id == b.pk and record.snapshot["country"] == "AT"


def test_merge_can_take_chosen_fields_from_the_merged_customer(cast, pair):
    a, b = pair
    survivor = merge_customers(actor=cast.manager, survivor=a, merged=b, take_fields=["country"])
    assert survivor.country == "AT"


def test_a_customer_cannot_be_merged_into_itself(cast, pair):
    a, _b = pair
    with pytest.raises(ValidationError):
        merge_customers(actor=cast.manager, survivor=a, merged=a)


def test_adding_an_existing_contact_point_again_does_not_duplicate_it(cast, pair):
    a, _b = pair
    add_contact_point(actor=cast.agent, customer=a, kind="email", value="Anna.Schmidt@Example.org")
    assert ContactPoint.objects.filter(customer=a, kind="email").count() == 1


def test_making_a_contact_point_primary_demotes_the_old_primary(cast, pair):
    a, _b = pair
    second = add_contact_point(
        actor=cast.agent, customer=a, kind="email", value="work@example.com", primary=True
    )
    assert list(a.contact_points.filter(kind="email", is_primary=True)) == [second]


def test_similar_names_are_looked_for_among_given_names_that_begin_alike(cast):
    base = create_customer(actor=cast.agent, profile={"given_name": "Anna", "family_name": "Roth"})
    ana = create_customer(actor=cast.agent, profile={"given_name": "Ana", "family_name": "Roth"})
    hanna = create_customer(
        actor=cast.agent, profile={"given_name": "Hanna", "family_name": "Roth"}
    )
    found = {c.customer for c in duplicate_candidates(base)}
    assert ana in found
    assert hanna not in found  # one letter apart, but a different beginning is not compared


def test_merge_moves_the_merged_customers_conversations_and_chats(cast, pair):
    from rapport.chat.actions import start_chat
    from rapport.chat.models import ChatSession
    from rapport.helpdesk.models import Conversation
    from rapport.helpdesk.tests.helpers import conversation_for

    a, b = pair
    conversation = conversation_for(b, subject="Broken charger")
    session = start_chat(
        name="Anna Schmidt", email="a.s@example.com", language="de", question="Hallo?"
    ).session
    assert session.customer_id == b.pk

    survivor = merge_customers(actor=cast.manager, survivor=a, merged=b)

    assert Conversation.objects.get(pk=conversation.pk).customer_id == survivor.pk
    assert ChatSession.objects.get(pk=session.pk).customer_id == survivor.pk
