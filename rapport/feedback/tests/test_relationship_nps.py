"""Relationship NPS: active customers not asked for a while get one question a quarter, by
plain email at their daytime, throttled like every survey; no or bounced address: skipped."""

import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from rapport.customers.models import ContactKind, ContactPoint, FormOfAddress
from rapport.factories import CustomerFactory, OrderFactory
from rapport.feedback import actions, tasks
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    Trigger,
)
from rapport.helpdesk.actions import receive_message
from rapport.helpdesk.models import Channel, Direction, MessageKind
from rapport.helpdesk.tests.helpers import conversation_for

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def nps_invitations():
    return SurveyInvitation.objects.filter(kind=SurveyKind.NPS, trigger=Trigger.SCHEDULE)


def asked(customer, *, days_ago, kind=SurveyKind.NPS, sent=True):
    at = timezone.now() - timedelta(days=days_ago)
    SurveyInvitation.objects.create(
        customer=customer,
        kind=kind,
        trigger=Trigger.MANUAL,
        channel=SurveyChannel.EMAIL,
        status=InvitationStatus.SENT if sent else InvitationStatus.SKIPPED,
        dedupe_key=f"test:{customer.pk}:{kind}:{days_ago}",
        send_after=at,
        sent_at=at if sent else None,
        created_at=at,
    )


def with_order(customer=None, *, days_ago=30):
    customer = customer or CustomerFactory()
    OrderFactory(customer=customer, ordered_at=timezone.now() - timedelta(days=days_ago))
    return customer


@pytest.fixture
def due(django_capture_on_commit_callbacks):
    """Send every scheduled invitation now, emails included."""

    def send():
        SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED).update(
            send_after=timezone.now() - timedelta(minutes=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            actions.send_due_invitations()

    return send


def test_customers_active_within_a_year_and_not_asked_lately_are_invited(cast):
    buyer = with_order(cast.customer, days_ago=30)
    conversation_for(cast.other_customer)  # wrote to us today
    lapsed = with_order(days_ago=400)
    asked_lately = with_order()
    asked(asked_lately, days_ago=95, kind=SurveyKind.CSAT)  # other surveys do not count
    asked(asked_lately, days_ago=60)
    asked_long_ago = with_order()
    asked(asked_long_ago, days_ago=120)

    assert actions.invite_relationship_nps() == 3
    invited = set(nps_invitations().values_list("customer_id", flat=True))
    assert invited == {buyer.pk, cast.other_customer.pk, asked_long_ago.pk}
    assert lapsed.pk not in invited

    assert actions.invite_relationship_nps() == 0  # the next day's run asks no one again
    assert nps_invitations().count() == 3


def test_customers_surveyed_within_the_throttle_window_are_left_for_later(cast):
    with_order(cast.customer)
    asked(cast.customer, days_ago=5, kind=SurveyKind.CSAT)
    assert actions.invite_relationship_nps() == 0


def test_the_nps_days_setting_decides_who_was_asked_lately(cast, settings):
    settings.SURVEY_NPS_DAYS = 30
    with_order(cast.customer)
    asked(cast.customer, days_ago=45)
    assert actions.invite_relationship_nps() == 1


def test_the_invitation_waits_for_the_customers_daytime(cast):
    cast.customer.time_zone = "Europe/Berlin"
    cast.customer.save()
    with_order(cast.customer)
    evening = datetime(2026, 11, 17, 22, 30, tzinfo=BERLIN)
    actions.invite_relationship_nps(now=evening)
    invitation = nps_invitations().get()
    assert invitation.send_after.astimezone(BERLIN) == datetime(2026, 11, 18, 9, 0, tzinfo=BERLIN)
    assert invitation.conversation is None and invitation.channel == SurveyChannel.EMAIL


def test_the_customer_query_is_batched_not_run_per_customer(cast, django_assert_max_num_queries):
    for _ in range(30):
        with_order()
    with django_assert_max_num_queries(4):
        assert actions.invite_relationship_nps() == 30


def test_a_due_invitation_is_a_plain_email_in_the_customers_words(cast, due):
    customer = cast.customer
    customer.language = "de"
    customer.form_of_address = FormOfAddress.INFORMAL
    customer.save()
    with_order(customer)
    actions.invite_relationship_nps()
    due()
    invitation = nps_invitations().get()
    assert invitation.status == InvitationStatus.SENT
    [sent] = mail.outbox
    assert sent.to == ["anna@example.org"]
    assert "Rapport Support" in sent.subject
    assert sent.body.startswith("Hallo Anna")
    assert "Wie wahrscheinlich ist es, dass du uns" in sent.body
    assert "gelöst" not in sent.body and "solved" not in sent.body
    for score in range(0, 11):
        assert actions.invitation_url(invitation, score) in sent.body
    assert sent.alternatives and "text/html" in sent.alternatives[0][1]


def test_a_customer_without_an_email_address_is_skipped(due):
    with_order(CustomerFactory())
    actions.invite_relationship_nps()
    due()
    invitation = nps_invitations().get()
    assert (invitation.status, invitation.skip_reason) == (InvitationStatus.SKIPPED, "no_address")
    assert invitation.sent_at is None and not mail.outbox


def bounce_of(customer, address):
    conversation = conversation_for(customer)
    receive_message(
        customer=customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        direction=Direction.INBOUND,
        kind=MessageKind.BOUNCE,
        subject="Undelivered Mail Returned to Sender",
        body_text=f"Final-Recipient: rfc822; {address}\nAction: failed\nStatus: 5.1.1\n",
    )


def test_a_customer_whose_only_address_bounced_is_skipped_cleanly(cast, due):
    with_order(cast.customer)
    bounce_of(cast.customer, "Anna@Example.org")
    actions.invite_relationship_nps()
    mail.outbox.clear()
    due()
    invitation = nps_invitations().get()
    assert (invitation.status, invitation.skip_reason) == (InvitationStatus.SKIPPED, "bounced")
    assert not [m for m in mail.outbox if "/feedback/s/" in m.body]


def test_a_bounced_primary_address_gives_way_to_another_one(cast, due):
    ContactPoint.objects.create(
        customer=cast.customer,
        kind=ContactKind.EMAIL,
        value="anna.work@example.org",
        normalized="anna.work@example.org",
    )
    with_order(cast.customer)
    bounce_of(cast.customer, "anna@example.org")
    actions.invite_relationship_nps()
    mail.outbox.clear()
    due()
    [sent] = [m for m in mail.outbox if "/feedback/s/" in m.body]
    assert sent.to == ["anna.work@example.org"]


def test_an_address_the_relay_refuses_unsends_the_invitation(cast, due, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"anna@example.org": (550, b"no such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with_order(cast.customer)
    actions.invite_relationship_nps()
    due()
    invitation = nps_invitations().get()
    assert (invitation.status, invitation.skip_reason) == (InvitationStatus.SKIPPED, "bounced")
    assert invitation.sent_at is None


def test_a_detractor_gets_a_follow_up_without_an_answered_conversation(
    cast, due, django_capture_on_commit_callbacks
):
    with_order(cast.customer)
    actions.invite_relationship_nps()
    due()
    invitation = nps_invitations().get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.record_answer(invitation=invitation, score=3)
    response = SurveyResponse.objects.get()
    assert response.follow_up is not None
    note = response.follow_up.messages.get(direction=Direction.NOTE).body_text
    assert "NPS" in note and "3 of 10" in note and "without a conversation" in note


def test_the_daily_task_runs_the_relationship_survey(cast):
    with_order(cast.customer)
    tasks.daily_relationship_nps.call_local()
    assert nps_invitations().count() == 1
