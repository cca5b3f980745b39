"""The survey asked at the end of a live chat: one invitation on channel "chat", the same
throttle, dedupe and follow-up rules as the email survey, and no email survey after it."""

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from rapport.customers.actions import merge_customers
from rapport.factories import CustomerFactory
from rapport.feedback import actions
from rapport.feedback.actions.chat import CHAT_SALT
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from rapport.feedback.tests.helpers import sent_invitation, solved
from rapport.helpdesk.actions import change_status, receive_message
from rapport.helpdesk.models import Channel, ConversationEvent, Status
from rapport.helpdesk.tests.helpers import conversation_for
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def chat_conversation(customer, text="Is the tea in stock?"):
    return conversation_for(customer, subject="Tea", text=text, channel=Channel.CHAT)


def asked(conversation, occasion="chat:1"):
    return actions.ask_in_chat(conversation=conversation, occasion=occasion)


def test_a_chat_that_ends_asks_the_survey_at_once_on_channel_chat(cast):
    invitation = asked(chat_conversation(cast.customer))
    assert invitation is not None
    assert (invitation.kind, invitation.channel, invitation.status) == (
        SurveyKind.CSAT,
        SurveyChannel.CHAT,
        InvitationStatus.SENT,
    )
    assert invitation.sent_at is not None and invitation.expires_at > timezone.now()
    assert not mail.outbox  # shown in the chat, never emailed


def test_the_same_chat_is_asked_once(cast):
    conversation = chat_conversation(cast.customer)
    first = asked(conversation, "chat:7")
    again = asked(conversation, "chat:7")
    assert first.pk == again.pk
    assert SurveyInvitation.objects.count() == 1


def test_nothing_is_asked_when_the_customer_was_asked_recently(cast):
    sent_invitation(cast.customer, at=timezone.now() - timedelta(days=2))
    conversation = chat_conversation(cast.customer, text="Another question")
    assert asked(conversation) is None
    skipped = SurveyInvitation.objects.get(conversation=conversation)
    assert (skipped.status, skipped.skip_reason) == (InvitationStatus.SKIPPED, "throttled")


def test_nothing_is_asked_when_satisfaction_surveys_are_off(cast, settings):
    settings.SURVEY_CSAT_ENABLED = False
    assert asked(chat_conversation(cast.customer)) is None
    assert not SurveyInvitation.objects.exists()


def test_nothing_is_asked_about_a_merged_conversation(cast):
    conversation = chat_conversation(cast.customer)
    target = conversation_for(cast.customer, subject="Other")
    conversation.__class__.objects.filter(pk=conversation.pk).update(merged_into=target)
    conversation.refresh_from_db()
    assert asked(conversation) is None


def test_a_solved_chat_takes_the_sweeps_key_so_no_email_survey_follows(cast):
    conversation = solved(cast.customer, at=timezone.now() - timedelta(minutes=5))
    invitation = asked(conversation)
    assert invitation.dedupe_key == (
        f"csat:conversation:{conversation.pk}:{conversation.solved_at.isoformat()}"
    )
    assert actions.invite_solved_conversations() == 0
    actions.send_due_invitations(now=timezone.now() + timedelta(days=1))
    assert SurveyInvitation.objects.count() == 1
    assert not mail.outbox


def test_a_chat_survey_before_the_solve_keeps_the_sweep_from_emailing_after_it(cast):
    conversation = chat_conversation(cast.customer)
    assert asked(conversation) is not None
    change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    assert actions.invite_solved_conversations() == 0
    assert SurveyInvitation.objects.count() == 1
    assert not mail.outbox


def test_a_customer_who_writes_again_after_the_chat_survey_is_surveyed_on_the_next_solve(cast):
    conversation = chat_conversation(cast.customer)
    asked(conversation)
    receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        body_text="One more thing",
        received_at=timezone.now() + timedelta(seconds=1),
    )
    change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    assert actions.invite_solved_conversations(now=timezone.now() + timedelta(seconds=2)) == 1


def test_an_email_survey_not_yet_sent_moves_to_the_chat(cast):
    conversation = solved(cast.customer, at=timezone.now() - timedelta(minutes=5))
    assert actions.invite_solved_conversations() == 1
    invitation = asked(conversation)
    assert invitation is not None
    assert SurveyInvitation.objects.get().channel == SurveyChannel.CHAT
    actions.send_due_invitations(now=timezone.now() + timedelta(days=1))
    assert not mail.outbox


def test_a_survey_already_emailed_is_not_asked_again_in_the_chat(cast):
    invitation = sent_invitation(cast.customer)
    assert asked(invitation.conversation) is None
    invitation.refresh_from_db()
    assert invitation.channel == SurveyChannel.EMAIL


def test_a_score_given_in_the_chat_shows_in_the_timeline_and_on_the_conversation(cast):
    invitation = asked(chat_conversation(cast.customer))
    response = actions.answer_in_chat(token=actions.chat_survey_token(invitation), score="4")
    assert (response.score, response.channel) == (4, SurveyChannel.CHAT)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    event = TimelineEvent.objects.get(customer=cast.customer, dedupe_key__startswith="survey:")
    assert event.channel == SurveyChannel.CHAT and event.data["score"] == 4
    assert ConversationEvent.objects.filter(
        conversation=invitation.conversation, kind="survey", data__score=4
    ).exists()


def test_a_second_click_changes_the_answer_and_never_counts_twice(cast):
    token = actions.chat_survey_token(asked(chat_conversation(cast.customer)))
    actions.answer_in_chat(token=token, score=2)
    actions.answer_in_chat(token=token, score=5)
    actions.answer_in_chat(token=token, score=5)
    response = SurveyResponse.objects.get()
    assert (response.score, response.changes) == (5, 1)


def test_a_comment_is_added_to_the_answer(cast):
    token = actions.chat_survey_token(asked(chat_conversation(cast.customer)))
    actions.answer_in_chat(token=token, score=4)
    response = actions.answer_in_chat(token=token, comment="  Quick and friendly. ")
    assert response.comment == "Quick and friendly."
    assert SurveyResponse.objects.count() == 1


def test_a_comment_before_any_score_is_refused(cast):
    token = actions.chat_survey_token(asked(chat_conversation(cast.customer)))
    with pytest.raises(actions.SurveyError) as error:
        actions.answer_in_chat(token=token, comment="Hm")
    assert error.value.code == "no_answer"
    assert not SurveyResponse.objects.exists()


def test_a_low_score_in_the_chat_opens_the_follow_up_as_an_email_answer_does(
    cast, django_capture_on_commit_callbacks
):
    token = actions.chat_survey_token(asked(chat_conversation(cast.customer)))
    with django_capture_on_commit_callbacks(execute=True):
        response = actions.answer_in_chat(token=token, score=1)
    response.refresh_from_db()
    assert response.follow_up is not None and response.follow_up_opened_at is not None


@pytest.mark.parametrize("score", ["0", "6", "abc", "", "3.5", None, True, [4]])
def test_a_score_out_of_range_or_not_a_number_is_refused_and_nothing_saved(cast, score):
    token = actions.chat_survey_token(asked(chat_conversation(cast.customer)))
    with pytest.raises(actions.SurveyError) as error:
        actions.answer_in_chat(token=token, score=score)
    assert error.value.code in ("invalid_score", "out_of_range")
    assert not SurveyResponse.objects.exists()


def test_a_tampered_token_is_refused(cast):
    invitation = asked(chat_conversation(cast.customer))
    token = actions.chat_survey_token(invitation)
    value, _sep, signature = token.partition(":")
    for bad in (f"{int(value) + 1}:{signature}", token + "x", "", None, 12):
        with pytest.raises(actions.SurveyError) as error:
            actions.answer_in_chat(token=bad, score=5)
        assert error.value.code == "invalid_token"
    assert not SurveyResponse.objects.exists()


def test_an_email_link_token_answers_no_chat_survey_and_a_chat_token_no_email_survey(cast):
    chat = asked(chat_conversation(cast.customer))
    emailed = sent_invitation(cast.other_customer)
    with pytest.raises(actions.SurveyError):
        actions.answer_in_chat(token=actions.invitation_token(chat), score=5)
    # Signed for the chat, but naming another customer's email survey: refused as well.
    forged = signing.Signer(salt=CHAT_SALT).sign(str(emailed.pk))
    with pytest.raises(actions.SurveyError) as error:
        actions.answer_in_chat(token=forged, score=5)
    assert error.value.code == "gone"
    assert not SurveyResponse.objects.exists()


def test_an_answer_after_the_customer_was_deleted_is_refused(cast):
    customer = CustomerFactory(given_name="Gone")
    invitation = asked(chat_conversation(customer))
    token = actions.chat_survey_token(invitation)
    conversation = invitation.conversation
    conversation.messages.all().delete()
    conversation.delete()
    customer.delete()
    with pytest.raises(actions.SurveyError) as error:
        actions.answer_in_chat(token=token, score=5)
    assert error.value.code == "gone"
    assert not SurveyResponse.objects.exists()


def test_an_answer_after_the_customer_was_merged_counts_once_for_the_survivor(cast):
    duplicate = CustomerFactory(given_name="Anna", family_name="Schmidt")
    token = actions.chat_survey_token(asked(chat_conversation(duplicate)))
    actions.answer_in_chat(token=token, score=4)
    merge_customers(actor=cast.admin, survivor=cast.customer, merged=duplicate)
    response = actions.answer_in_chat(token=token, score=4)
    assert SurveyResponse.objects.count() == 1
    assert response.customer_id == cast.customer.pk and response.changes == 0


def test_an_expired_chat_survey_is_refused(cast):
    invitation = asked(chat_conversation(cast.customer))
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(actions.SurveyError) as error:
        actions.answer_in_chat(token=actions.chat_survey_token(invitation), score=5)
    assert error.value.code == "expired"
