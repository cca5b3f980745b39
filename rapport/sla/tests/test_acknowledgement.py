"""The automatic acknowledgement of a new request: language, form of address, number, estimate."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from django.utils import timezone

from rapport.customers.models import ContactKind, ContactPoint, FormOfAddress, Salutation
from rapport.helpdesk import actions as helpdesk
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    ConversationEvent,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.sla.actions import acknowledge_conversation


def write_in(cast, channel=Channel.EMAIL, **kwargs):
    kwargs.setdefault("sender_address", "anna@example.org")
    return helpdesk.receive_message(
        customer=cast.customer,
        channel=channel,
        subject="Lieferung fehlt",
        body_text="Meine Bestellung ist noch nicht angekommen, bitte helfen Sie mir.",
        **kwargs,
    )


def acknowledgements(conversation):
    return Message.objects.filter(
        conversation=conversation, kind=MessageKind.SYSTEM, data__sla="acknowledgement"
    )


@pytest.fixture
def anna(cast):
    customer = cast.customer
    customer.title = "Dr."
    customer.salutation = Salutation.MS
    customer.language = "de"
    customer.time_zone = "Europe/Berlin"
    customer.save()
    return customer


@pytest.fixture
def policy(make_policy):
    return make_policy(first_response_minutes=24 * 60, resolution_minutes=3 * 600)


def test_acknowledgement_in_german_formal_carries_number_and_estimate(anna, policy, cast):
    conversation = write_in(cast).message.conversation
    conversation.refresh_from_db()
    (ack,) = acknowledgements(conversation)
    assert ack.direction == Direction.OUTBOUND and ack.author is None
    assert ack.body_text.startswith("Sehr geehrte Frau Dr. Schmidt,")
    assert conversation.number in ack.body_text
    estimate = conversation.estimated_resolution_at
    assert estimate is not None and estimate >= conversation.resolution_due_at
    local = estimate.astimezone(ZoneInfo("Europe/Berlin"))
    assert format_date(local, "full", locale="de_DE") in ack.body_text
    assert f"{local:%H:%M}" in ack.body_text


def test_acknowledgement_in_german_informal_uses_the_first_name(anna, policy, cast):
    anna.form_of_address = FormOfAddress.INFORMAL
    anna.save()
    conversation = write_in(cast).message.conversation
    (ack,) = acknowledgements(conversation)
    assert ack.body_text.startswith("Hallo Anna,")
    assert conversation.number in ack.body_text


def test_acknowledgement_in_english_shows_the_customers_time_zone_and_date_format(
    anna, policy, cast
):
    anna.language = "en"
    anna.time_zone = "America/New_York"
    anna.country = "US"
    anna.save()
    conversation = write_in(cast).message.conversation
    conversation.refresh_from_db()
    (ack,) = acknowledgements(conversation)
    assert ack.body_text.startswith("Dear Dr Schmidt,")
    assert "We expect to resolve it by" in ack.body_text
    local = conversation.estimated_resolution_at.astimezone(ZoneInfo("America/New_York"))
    assert format_date(local, "full", locale="en_US") in ack.body_text  # "Monday, November 23, …"
    assert "Eastern" in ack.body_text


def test_acknowledgement_is_recorded_as_a_notified_event(anna, policy, cast):
    conversation = write_in(cast).message.conversation
    event = ConversationEvent.objects.get(conversation=conversation, kind=EventKind.NOTIFIED)
    assert event.data["type"] == "acknowledgement"
    assert event.message == acknowledgements(conversation).get()


def test_acknowledgement_does_not_count_as_the_first_response(anna, policy, cast):
    conversation = write_in(cast).message.conversation
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.status == Status.NEW
    assert conversation.sla_due_at == conversation.first_response_due_at


def test_automatic_replies_are_never_acknowledged(anna, policy, cast):
    received = write_in(cast, kind=MessageKind.AUTO_REPLY)
    assert not acknowledgements(received.message.conversation).exists()
    assert (
        acknowledge_conversation(
            conversation=received.message.conversation, message=received.message
        )
        is None
    )


def test_chat_is_not_acknowledged(anna, policy, cast):
    conversation = write_in(cast, channel=Channel.CHAT).message.conversation
    assert not Message.objects.filter(conversation=conversation, kind=MessageKind.SYSTEM).exists()


def test_phone_call_is_not_acknowledged(anna, policy, cast):
    received = helpdesk.log_call(
        customer=anna, agent=cast.agent, direction="inbound", duration_seconds=60
    )
    conversation = received.message.conversation
    assert not Message.objects.filter(conversation=conversation, kind=MessageKind.SYSTEM).exists()


def test_mail_from_our_own_support_address_is_not_acknowledged(anna, policy, cast, settings):
    settings.HELPDESK_SUPPORT_ADDRESSES = ["support@example.com"]
    conversation = write_in(cast, sender_address="Support@Example.com").message.conversation
    assert not acknowledgements(conversation).exists()


def test_customer_without_a_reachable_channel_is_not_acknowledged(policy, cast):
    from rapport.factories import CustomerFactory

    nobody = CustomerFactory(given_name="No", family_name="Address")
    received = helpdesk.receive_message(
        customer=nobody, channel=Channel.EMAIL, subject="Hi", body_text="Hello there, a question."
    )
    assert not acknowledgements(received.message.conversation).exists()


def test_web_form_request_is_acknowledged_by_email(anna, policy, cast):
    conversation = write_in(cast, channel=Channel.WEB).message.conversation
    (ack,) = acknowledgements(conversation)
    assert ack.channel == Channel.EMAIL


def test_estimate_moves_later_with_the_teams_backlog(anna, cast, make_policy, around_the_clock):
    make_policy(calendar=around_the_clock, first_response_minutes=30, resolution_minutes=60)
    now = timezone.now()
    for index in range(7):  # one solved a day over the last week
        Conversation.objects.create(
            customer=anna,
            subject=f"solved {index}",
            team=cast.team_a,
            status=Status.SOLVED,
            created_at=now - timedelta(days=index + 1, hours=2),
            solved_at=now - timedelta(days=index, hours=1),
        )
    for index in range(3):  # three waiting ahead of the new one
        Conversation.objects.create(
            customer=anna,
            subject=f"waiting {index}",
            team=cast.team_a,
            created_at=now - timedelta(hours=index + 1),
        )
    conversation = helpdesk.open_conversation(
        customer=anna, subject="Neu", channel=Channel.EMAIL, team=cast.team_a
    )
    message = helpdesk.receive_message(
        customer=anna, channel=Channel.EMAIL, body_text="Hallo", conversation=conversation
    ).message
    conversation.refresh_from_db()
    acknowledge_conversation(conversation=conversation, message=message)
    conversation.refresh_from_db()
    # Three ahead at one a day: about three days, far beyond the one-hour SLA.
    estimate = conversation.estimated_resolution_at
    assert now + timedelta(days=3) <= estimate <= now + timedelta(days=3, hours=2)


def test_estimate_is_the_sla_due_time_without_enough_history(anna, policy, cast):
    conversation = write_in(cast).message.conversation
    conversation.refresh_from_db()
    due = conversation.resolution_due_at
    assert due <= conversation.estimated_resolution_at < due + timedelta(hours=1)


def test_public_social_mention_is_never_answered_automatically(anna, policy, cast):
    ContactPoint.objects.create(
        customer=cast.customer, kind=ContactKind.SOCIAL, value="@anna", normalized="anna"
    )
    mention = write_in(cast, channel=Channel.SOCIAL, data={"social": {"public": True}})
    direct = write_in(cast, channel=Channel.SOCIAL, data={"social": {"public": False}})
    assert not acknowledgements(mention.message.conversation).exists()
    assert acknowledgements(direct.message.conversation).count() == 1


def test_acknowledgement_follows_the_detected_language_of_an_unknown_sender(policy, cast):
    cast.customer.language = ""
    cast.customer.save()
    received = write_in(cast)  # German text, customer's language unknown
    conversation = received.message.conversation
    conversation.refresh_from_db()
    assert conversation.language == "de"
    (acknowledgement,) = acknowledgements(conversation)
    assert acknowledgement.body_text.startswith(("Guten Tag", "Sehr geehrte", "Hallo"))
