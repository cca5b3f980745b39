"""CSAT after a solved conversation: invited once per solve, sent in the customer's daytime,
answered by one click, changed by another, never counted twice; bad links get clear pages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from rapport.customers.actions import merge_customers
from rapport.customers.models import FormOfAddress
from rapport.feedback import actions
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from rapport.helpdesk.actions import change_status
from rapport.helpdesk.models import ConversationEvent, Status
from rapport.helpdesk.tests.helpers import conversation_for
from rapport.timeline.models import EventKind, TimelineEvent

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def solved(customer, *, at: datetime, subject="Broken charger"):
    conversation = conversation_for(customer, subject=subject, text="It does not charge.")
    change_status(conversation=conversation, actor=None, status=Status.SOLVED)
    conversation.__class__.objects.filter(pk=conversation.pk).update(solved_at=at)
    conversation.refresh_from_db()
    return conversation


def sent_invitation(customer, *, at=None):
    at = at or timezone.now() - timedelta(hours=3)
    conversation = solved(customer, at=at)
    actions.invite_solved_conversations(now=at + timedelta(minutes=1))
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(send_after=at)
    actions.send_due_invitations(now=at + timedelta(hours=2))
    invitation.refresh_from_db()
    return invitation


@pytest.fixture
def berliner(cast):
    customer = cast.customer
    customer.time_zone = "Europe/Berlin"
    customer.language = "de"
    customer.save()
    return customer


def test_a_solved_conversation_invites_its_customer_once_per_solve(berliner):
    at = timezone.now() - timedelta(hours=2)
    conversation = solved(berliner, at=at)
    assert actions.invite_solved_conversations() == 1
    assert actions.invite_solved_conversations() == 0
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    assert (invitation.kind, invitation.status) == (SurveyKind.CSAT, InvitationStatus.SCHEDULED)
    assert invitation.language == "de" and invitation.channel == SurveyChannel.EMAIL

    change_status(conversation=conversation, actor=None, status=Status.OPEN)
    change_status(conversation=conversation, actor=None, status=Status.SOLVED)
    assert actions.invite_solved_conversations() == 1
    assert SurveyInvitation.objects.filter(conversation=conversation).count() == 2


def test_the_invitation_waits_for_the_customers_daytime(berliner):
    # Solved on a Tuesday at 22:30 in Berlin: asked on Wednesday at 9:00 Berlin time.
    at = datetime(2026, 11, 17, 22, 30, tzinfo=BERLIN)
    solved(berliner, at=at)
    actions.invite_solved_conversations(now=at + timedelta(minutes=5))
    invitation = SurveyInvitation.objects.get()
    assert invitation.send_after.astimezone(BERLIN) == datetime(2026, 11, 18, 9, 0, tzinfo=BERLIN)
    assert actions.send_due_invitations(now=datetime(2026, 11, 18, 8, 59, tzinfo=BERLIN)) == 0
    assert actions.send_due_invitations(now=datetime(2026, 11, 18, 9, 0, tzinfo=BERLIN)) == 1


def survey_mails():
    return [m for m in mail.outbox if "/feedback/s/" in m.body]


def test_a_due_invitation_is_emailed_with_one_link_per_score(
    berliner, django_capture_on_commit_callbacks
):
    berliner.form_of_address = FormOfAddress.INFORMAL
    berliner.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = sent_invitation(berliner)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.expires_at > invitation.sent_at
    [sent] = survey_mails()
    assert sent.to == ["anna@example.org"]
    body = sent.body
    assert body.startswith("Hallo Anna")
    assert "Wie zufrieden bist du" in body
    for score in range(1, 6):
        assert actions.invitation_url(invitation, score) in body
    assert ConversationEvent.objects.filter(
        conversation=invitation.conversation, kind="notified", data__type="survey"
    ).exists()


def test_a_customer_asked_recently_is_not_asked_again(berliner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = sent_invitation(berliner, at=timezone.now() - timedelta(days=2))
        second = sent_invitation(berliner)
    assert first.status == InvitationStatus.SENT
    assert (second.status, second.skip_reason) == (InvitationStatus.SKIPPED, "throttled")
    assert len(survey_mails()) == 1


def test_one_click_records_the_answer_and_another_click_changes_it(client, berliner):
    invitation = sent_invitation(berliner)
    url = actions.invitation_url(invitation).removeprefix("http://127.0.0.1:8000")

    page = client.get(url, {"score": 4})
    assert page.status_code == 200 and b"survey-chosen" in page.content
    assert not SurveyResponse.objects.exists()  # opening the link alone records nothing

    assert client.post(url, {"score": "4"}).status_code == 302
    assert client.post(url, {"score": "4"}).status_code == 302  # the same click again
    assert client.post(url, {"score": "2"}).status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.score, response.changes, response.kind) == (2, 1, SurveyKind.CSAT)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED

    events = TimelineEvent.objects.filter(customer=berliner, kind=EventKind.SURVEY)
    assert [e.data["score"] for e in events.order_by("id")] == [4, 2]
    assert (
        ConversationEvent.objects.filter(
            conversation=invitation.conversation, kind="survey"
        ).count()
        == 2
    )
    again = client.get(url, {"score": 2})
    assert b"survey-chosen" not in again.content  # already the answer: nothing to submit


def test_a_comment_is_kept_with_the_answer(client, berliner):
    invitation = sent_invitation(berliner)
    url = actions.invitation_url(invitation).removeprefix("http://127.0.0.1:8000")
    early = client.post(url, {"action": "comment", "comment": "Too slow"})
    assert early.status_code == 400 and not SurveyResponse.objects.exists()
    client.post(url, {"score": "2"})
    client.post(url, {"action": "comment", "comment": "  Took three emails, very annoying.  "})
    response = SurveyResponse.objects.get()
    assert response.comment == "Took three emails, very annoying."
    assert response.comment_sentiment["label"] == "negative"
    assert any("annoying" in p for p, _w in response.comment_sentiment["phrases"])
    long = client.post(url, {"action": "comment", "comment": "x" * 5000})
    assert long.status_code == 400
    assert SurveyResponse.objects.get().comment == "Took three emails, very annoying."


@pytest.mark.parametrize("score", ["6", "0", "-1", "abc", "", "4.5", "9" * 40])
def test_scores_outside_the_scale_are_refused_and_nothing_is_saved(client, berliner, score):
    invitation = sent_invitation(berliner)
    url = actions.invitation_url(invitation).removeprefix("http://127.0.0.1:8000")
    page = client.post(url, {"score": score})
    assert page.status_code == 400
    assert b'role="alert"' in page.content
    assert not SurveyResponse.objects.exists()


def test_a_tampered_link_gets_a_clear_page(client, berliner):
    invitation = sent_invitation(berliner)
    token = actions.invitation_token(invitation)
    other = SurveyInvitation.objects.create(
        customer=berliner,
        kind=SurveyKind.NPS,
        trigger="manual",
        channel=SurveyChannel.EMAIL,
        dedupe_key="nps:test",
        send_after=timezone.now(),
    )
    forged = f"{other.pk}:{token.split(':', 1)[1]}"
    for bad in (token + "x", forged, "nonsense", "1:"):
        page = client.get(f"/feedback/s/{bad}/", {"score": 5})
        assert page.status_code == 400, bad
        assert "not valid" in page.content.decode()
    assert client.post(f"/feedback/s/{forged}/", {"score": "5"}).status_code == 400
    assert not SurveyResponse.objects.exists()


def test_an_expired_link_gets_a_clear_page_and_records_nothing(client, berliner):
    invitation = sent_invitation(berliner)
    url = actions.invitation_url(invitation).removeprefix("http://127.0.0.1:8000")
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.get(url, {"score": 5}).status_code == 410
    assert client.post(url, {"score": "5"}).status_code == 410
    assert not SurveyResponse.objects.exists()


def test_the_link_of_a_deleted_customer_says_the_survey_is_gone(client, cast):
    invitation = sent_invitation(cast.other_customer)
    url = actions.invitation_url(invitation).removeprefix("http://127.0.0.1:8000")
    cast.other_customer.conversations.all().delete()
    cast.other_customer.delete()
    page = client.post(url, {"score": "5"})
    assert page.status_code == 404
    assert "no longer available" in page.content.decode()


def test_answers_follow_a_merged_customer_and_count_once(client, cast, berliner):
    invitation = sent_invitation(cast.other_customer)
    url = actions.invitation_url(invitation).removeprefix("http://127.0.0.1:8000")
    client.post(url, {"score": "5"})
    survivor = merge_customers(survivor=berliner, merged=cast.other_customer, actor=None)
    assert client.post(url, {"score": "3"}).status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.customer_id, response.score) == (survivor.pk, 3)
    assert SurveyInvitation.objects.get().customer_id == survivor.pk


def test_a_customer_who_withdrew_consent_to_surveys_is_not_asked(berliner):
    from rapport.customers.actions import record_consent
    from rapport.customers.models import ConsentPurpose

    record_consent(
        customer=berliner,
        purpose=ConsentPurpose.SURVEYS,
        granted=False,
        source="api",
        actor=None,
        wording_version="v1",
    )
    invitation = sent_invitation(berliner)
    assert (invitation.status, invitation.skip_reason) == (InvitationStatus.SKIPPED, "no_consent")
    assert not survey_mails()
