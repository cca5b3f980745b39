"""Closing the loop: a low answer opens one follow-up conversation for the right person, and
the sweep records what was done there once it is solved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.customers.actions import merge_customers
from rapport.feedback import actions
from rapport.feedback.models import SurveyKind, SurveyResponse, is_low
from rapport.feedback.tests.helpers import sent_invitation
from rapport.helpdesk.actions import add_internal_note, change_status, send_reply
from rapport.helpdesk.models import Conversation, Direction, Message, Priority, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(cast):
    customer = cast.customer
    customer.language = "de"
    customer.time_zone = "Europe/Berlin"
    customer.save()
    return customer


@pytest.fixture
def answer(django_capture_on_commit_callbacks):
    """Answer an invitation as the customer would, running what happens after the commit."""

    def give(invitation, score, comment=""):
        with django_capture_on_commit_callbacks(execute=True):
            response = actions.record_answer(invitation=invitation, score=score, channel="email")
        if comment:
            with django_capture_on_commit_callbacks(execute=True):
                actions.add_comment(invitation=invitation, comment=comment)
        response.refresh_from_db()
        return response

    return give


def follow_ups():
    return Conversation.objects.filter(tags__name="survey-follow-up")


def notes(conversation):
    return list(
        conversation.messages.filter(direction=Direction.NOTE)
        .order_by("id")
        .values_list("body_text", flat=True)
    )


@pytest.mark.parametrize(
    ("kind", "score", "low"),
    [
        (SurveyKind.NPS, 6, True),
        (SurveyKind.NPS, 7, False),
        (SurveyKind.CSAT, 2, True),
        (SurveyKind.CSAT, 3, False),
        (SurveyKind.CES, 2, True),
        (SurveyKind.CES, 3, False),
    ],
)
def test_detractors_and_low_scores_are_the_answers_to_follow_up(kind, score, low):
    assert is_low(kind, score) is low


def test_a_low_answer_opens_a_follow_up_for_the_account_manager(cast, german, answer):
    german.account_manager = cast.manager
    german.save()
    invitation = sent_invitation(german)
    response = answer(invitation, 2)

    follow_up = response.follow_up
    assert follow_up is not None and response.follow_up_opened_at is not None
    assert follow_up.customer == german
    assert follow_up.language == "de"
    assert follow_up.subject  # "Ihre Rückmeldung" once the German catalogue has it
    assert follow_up.priority == Priority.HIGH
    assert follow_up.assignee == cast.manager
    assert list(follow_up.tags.values_list("name", flat=True)) == ["survey-follow-up"]
    [note] = notes(follow_up)
    assert "CSAT" in note and "2 of 5" in note
    assert f"/helpdesk/{invitation.conversation_id}/" in note
    assert invitation.conversation.number in note


def test_without_an_account_manager_the_team_lead_follows_up(cast, german, answer):
    cast.team_a.lead = cast.agent
    cast.team_a.save()
    invitation = sent_invitation(german, team=cast.team_a)
    follow_up = answer(invitation, 1).follow_up
    assert follow_up.assignee == cast.agent
    assert follow_up.team == cast.team_a


def test_without_manager_or_lead_the_follow_up_waits_unassigned_for_managers(cast, german, answer):
    follow_up = answer(sent_invitation(german), 1).follow_up
    assert follow_up.assignee is None
    assert len(notes(follow_up)) == 1
    note = Message.objects.get(conversation=follow_up, direction=Direction.NOTE)
    assert note.author is None  # written by the system, not in someone's name


def test_a_good_answer_opens_no_follow_up(german, answer):
    response = answer(sent_invitation(german), 4)
    assert response.follow_up is None and response.follow_up_opened_at is None
    assert not follow_ups().exists()


def test_an_answer_changed_but_still_low_opens_no_second_follow_up(german, answer):
    invitation = sent_invitation(german)
    first = answer(invitation, 2).follow_up
    second = answer(invitation, 1).follow_up
    assert first == second
    assert follow_ups().count() == 1


def test_an_answer_changed_to_a_good_one_keeps_the_follow_up_and_notes_it(german, answer):
    invitation = sent_invitation(german)
    follow_up = answer(invitation, 2).follow_up
    response = answer(invitation, 5)
    assert response.follow_up == follow_up
    assert response.improved_at is not None
    assert "changed the answer to 5 of 5" in notes(follow_up)[-1]
    assert follow_ups().count() == 1

    response = answer(invitation, 2)  # low again: still the one follow-up
    assert response.improved_at is None
    assert follow_ups().count() == 1


def test_a_comment_given_after_the_score_is_added_to_the_follow_up(german, answer):
    response = answer(sent_invitation(german), 1, comment="Nobody called back.")
    assert response.comment == "Nobody called back."
    assert "Nobody called back." in notes(response.follow_up)[-1]


def test_the_sweep_records_what_was_done_when_the_follow_up_is_solved(cast, german, answer):
    german.account_manager = cast.agent
    german.save()
    response = answer(sent_invitation(german), 1)
    follow_up = response.follow_up
    assert actions.close_follow_up_loops() == 0  # still open

    send_reply(conversation=follow_up, author=cast.agent, body_text="Sorry, refund sent.")
    add_internal_note(conversation=follow_up, author=cast.agent, body_text="Called her, refunded.")
    change_status(conversation=follow_up, actor=cast.agent, status=Status.SOLVED)

    assert actions.close_follow_up_loops() == 1
    assert actions.close_follow_up_loops() == 0  # once
    response.refresh_from_db()
    assert response.loop_closed_at is not None
    assert response.loop_outcome == "Called her, refunded."
    assert response.loop_closed_by == cast.agent


def test_a_follow_up_closed_without_a_word_closes_the_loop_without_taking_our_note(
    cast, german, answer
):
    response = answer(sent_invitation(german), 1)
    change_status(conversation=response.follow_up, actor=cast.manager, status=Status.CLOSED)
    assert actions.close_follow_up_loops() == 1
    response.refresh_from_db()
    assert response.loop_closed_at is not None and response.loop_outcome == ""


def test_a_deleted_follow_up_is_not_opened_again_and_the_sweep_skips_it(german, answer):
    invitation = sent_invitation(german)
    response = answer(invitation, 1)
    response.follow_up.delete()
    response.refresh_from_db()
    assert response.follow_up is None and response.follow_up_opened_at is not None

    response = answer(invitation, 2)
    assert response.follow_up is None
    later = timezone.now() + timedelta(hours=1)
    assert actions.open_missed_follow_ups(now=later) == 0
    assert actions.close_follow_up_loops() == 0
    assert not follow_ups().exists()


def test_the_sweep_opens_a_follow_up_whose_job_never_ran(german):
    invitation = sent_invitation(german)
    actions.record_answer(invitation=invitation, score=1)  # its on-commit job is lost
    response = SurveyResponse.objects.get()
    assert response.follow_up is None
    assert actions.open_missed_follow_ups(now=timezone.now() + timedelta(minutes=10)) == 1
    assert actions.open_missed_follow_ups(now=timezone.now() + timedelta(minutes=20)) == 0
    response.refresh_from_db()
    assert response.follow_up is not None


def test_the_loop_still_closes_for_a_customer_merged_after_answering(cast, german, answer):
    response = answer(sent_invitation(cast.other_customer), 1)
    survivor = merge_customers(survivor=german, merged=cast.other_customer, actor=None)
    response.refresh_from_db()
    assert response.customer_id == survivor.pk
    follow_up = response.follow_up
    follow_up.refresh_from_db()
    assert follow_up.customer_id == survivor.pk
    add_internal_note(conversation=follow_up, author=cast.agent, body_text="Apologised.")
    change_status(conversation=follow_up, actor=cast.agent, status=Status.SOLVED)
    assert actions.close_follow_up_loops() == 1
    response.refresh_from_db()
    assert response.loop_outcome == "Apologised."


def test_an_answer_given_after_the_merge_opens_the_follow_up_for_the_survivor(cast, german, answer):
    invitation = sent_invitation(cast.other_customer)
    survivor = merge_customers(survivor=german, merged=cast.other_customer, actor=None)
    invitation.refresh_from_db()
    follow_up = answer(invitation, 1).follow_up
    assert follow_up.customer_id == survivor.pk


def test_the_job_of_an_erased_customers_answer_does_nothing(german, answer):
    response = answer(sent_invitation(german), 4)
    response_id = response.pk
    german.survey_responses.all().delete()
    assert actions.sync_follow_up(response_id=response_id) is None
    assert actions.note_follow_up_comment(response_id=response_id) is None
