"""The survey on the customer's own conversation page in the portal: asked once solved,
answered with one button, changed with another; other customers' surveys stay out of reach."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.factories import CustomerFactory, UserFactory
from rapport.feedback import actions
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyResponse,
)
from rapport.feedback.tests.helpers import sent_invitation, solved
from rapport.helpdesk.actions import change_status
from rapport.helpdesk.models import Channel
from rapport.helpdesk.tests.helpers import conversation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_client(client, cast):
    client.force_login(cast.portal_user)
    return client


def page_of(conversation):
    return reverse("portal:conversation", args=[conversation.pk])


def answer_url(invitation):
    return reverse("feedback:portal_answer", args=[invitation.pk])


def test_a_solved_conversation_with_an_open_survey_asks_with_a_button_per_score(
    portal_client, cast
):
    invitation = sent_invitation(cast.customer)
    page = portal_client.get(page_of(invitation.conversation))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How satisfied are you with how we handled your request?" in html
    assert answer_url(invitation) in html
    for score in range(1, 6):
        assert f'name="score" value="{score}"' in html


def test_a_score_given_in_the_portal_is_saved_shown_and_changeable(portal_client, cast):
    invitation = sent_invitation(cast.customer)
    posted = portal_client.post(answer_url(invitation), {"score": "4"})
    assert posted.status_code == 302
    assert posted["Location"] == page_of(invitation.conversation)
    response = SurveyResponse.objects.get()
    assert (response.score, response.channel) == (4, SurveyChannel.PORTAL)

    html = portal_client.get(page_of(invitation.conversation)).content.decode()
    assert "Your answer: 4" in html
    assert 'aria-pressed="true">4' in html

    portal_client.post(answer_url(invitation), {"score": "5"})
    portal_client.post(answer_url(invitation), {"action": "comment", "comment": "Quick!"})
    response.refresh_from_db()
    assert (response.score, response.changes, response.comment) == (5, 1, "Quick!")


@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_a_score_outside_the_scale_is_refused_with_a_message(portal_client, cast, score):
    invitation = sent_invitation(cast.customer)
    page = portal_client.post(answer_url(invitation), {"score": score}, follow=True)
    assert page.status_code == 200
    assert "message error" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_another_customers_survey_cannot_be_answered_or_seen(portal_client, cast):
    invitation = sent_invitation(cast.other_customer)
    assert portal_client.post(answer_url(invitation), {"score": "1"}).status_code == 404
    assert portal_client.get(page_of(invitation.conversation)).status_code == 404
    assert portal_client.post("/feedback/portal/999999/", {"score": "1"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_staff_and_visitors_cannot_answer_in_the_portal(client, cast):
    invitation = sent_invitation(cast.customer)
    visitor = client.post(answer_url(invitation), {"score": "1"})
    assert visitor.status_code == 302 and "/portal/login/" in visitor["Location"]
    client.force_login(cast.agent)
    assert client.post(answer_url(invitation), {"score": "1"}).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_answering_needs_a_post(portal_client, cast):
    invitation = sent_invitation(cast.customer)
    assert portal_client.get(answer_url(invitation), {"score": "1"}).status_code == 405


def test_an_expired_survey_is_no_longer_shown_nor_answered(portal_client, cast):
    invitation = sent_invitation(cast.customer)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    html = portal_client.get(page_of(invitation.conversation)).content.decode()
    assert answer_url(invitation) not in html
    page = portal_client.post(answer_url(invitation), {"score": "5"}, follow=True)
    assert "This survey has closed" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_unsolved_conversation_shows_no_survey(portal_client, cast):
    conversation = conversation_for(cast.customer)
    html = portal_client.get(page_of(conversation)).content.decode()
    assert "feedback/portal" not in html


def test_a_scheduled_survey_is_not_shown_before_it_is_due(portal_client, cast):
    at = timezone.now() - timedelta(hours=1)
    conversation = solved(cast.customer, at=at)
    actions.invite_solved_conversations(now=at + timedelta(minutes=1))
    assert SurveyInvitation.objects.get().status == InvitationStatus.SCHEDULED
    html = portal_client.get(page_of(conversation)).content.decode()
    assert "feedback/portal" not in html


def test_a_customer_without_email_finds_the_survey_in_the_portal_when_due(client):
    login = UserFactory(username="noemail", role=Role.CUSTOMER)
    customer = CustomerFactory(given_name="Cem", portal_user=login)
    at = timezone.now() - timedelta(hours=3)
    conversation = conversation_for(customer, channel=Channel.PORTAL)
    change_status(conversation=conversation, actor=None, status="solved")
    conversation.__class__.objects.filter(pk=conversation.pk).update(solved_at=at)
    actions.invite_solved_conversations(now=at + timedelta(minutes=1))
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    assert invitation.channel == SurveyChannel.PORTAL
    SurveyInvitation.objects.filter(pk=invitation.pk).update(send_after=at)
    mail.outbox.clear()
    assert actions.send_due_invitations(now=timezone.now()) == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.expires_at
    assert not [m for m in mail.outbox if "/feedback/s/" in m.body]

    client.force_login(login)
    html = client.get(page_of(conversation)).content.decode()
    assert answer_url(invitation) in html
    client.post(answer_url(invitation), {"score": "3"})
    assert SurveyResponse.objects.get().channel == SurveyChannel.PORTAL


def test_a_portal_survey_for_a_customer_without_any_login_is_skipped(cast):
    customer = CustomerFactory(given_name="Dana")
    at = timezone.now() - timedelta(hours=3)
    invitation = SurveyInvitation.objects.create(
        customer=customer,
        conversation=conversation_for(customer, channel=Channel.PHONE),
        kind="csat",
        trigger="solved",
        channel=SurveyChannel.PORTAL,
        dedupe_key="csat:test-portal",
        send_after=at,
    )
    actions.send_due_invitations()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.skip_reason) == (InvitationStatus.SKIPPED, "no_address")
