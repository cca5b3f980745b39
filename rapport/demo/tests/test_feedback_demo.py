"""Survey and review demo data: through the actions, historic, consistent and never emailed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.demo.actions import create_demo_staff, load_demo_data, load_helpdesk_data
from rapport.demo.feedback import load_demo_feedback
from rapport.feedback.models import (
    SCALES,
    InvitationStatus,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    Trigger,
)
from rapport.helpdesk.models import DONE_STATUSES, Conversation, ConversationEvent
from rapport.reviews.models import Review
from rapport.timeline.models import EventKind, TimelineEvent


@pytest.fixture
def customers(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    create_demo_staff()
    load_demo_data(customers=120, seed=11, events_per_customer=0)


@pytest.fixture
def loaded(customers, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        load_helpdesk_data(conversations=40, messages_per_conversation=3, seed=5, bulk=False)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stats = load_demo_feedback(seed=3)
    return stats


def test_every_solved_or_closed_conversation_gets_one_csat_invitation(loaded):
    # The follow-ups the step itself solves are not part of the demo's history.
    done = Conversation.objects.filter(
        status__in=DONE_STATUSES, merged_into__isnull=True, survey_follow_ups__isnull=True
    )
    assert done.exists()
    for conversation in done:
        invitations = SurveyInvitation.objects.filter(conversation=conversation)
        assert invitations.count() == 1
        invitation = invitations.get()
        assert invitation.kind == SurveyKind.CSAT and invitation.trigger == Trigger.SOLVED
        assert invitation.send_after >= conversation.solved_at


def test_sent_invitations_have_historic_send_times_and_links_that_expire_later(loaded):
    sent = SurveyInvitation.objects.exclude(status=InvitationStatus.SCHEDULED)
    assert sent.exists()
    now = timezone.now()
    for invitation in sent:
        assert invitation.sent_at <= now
        assert invitation.expires_at > invitation.sent_at
        assert invitation.sent_at >= invitation.send_after


def test_the_most_recently_sent_csat_invitation_stays_open_to_try_its_link(loaded):
    latest = (
        SurveyInvitation.objects.filter(trigger=Trigger.SOLVED, sent_at__isnull=False)
        .order_by("-sent_at")
        .first()
    )
    assert latest.status == InvitationStatus.SENT
    assert not SurveyResponse.objects.filter(invitation=latest).exists()


def test_answers_lie_within_their_scales_and_after_the_invitation_was_sent(loaded):
    responses = SurveyResponse.objects.select_related("invitation")
    assert responses.count() == loaded.answers > 0
    assert {r.kind for r in responses} >= {SurveyKind.CSAT, SurveyKind.NPS}
    for response in responses:
        low, high = SCALES[response.kind]
        assert low <= response.score <= high
        assert response.answered_at > response.invitation.sent_at
        assert response.invitation.status == InvitationStatus.ANSWERED


def test_answers_appear_in_the_timeline_and_on_the_answered_conversation(loaded):
    answered = SurveyResponse.objects.filter(conversation__isnull=False)
    assert answered.exists()
    assert TimelineEvent.objects.filter(kind=EventKind.SURVEY).count() == loaded.answers
    for response in answered:
        assert ConversationEvent.objects.filter(
            conversation=response.conversation, kind="survey"
        ).exists()


def test_comments_are_analysed_for_sentiment(loaded):
    commented = SurveyResponse.objects.exclude(comment="")
    assert commented.count() == loaded.comments > 0
    for response in commented:
        assert response.comment_sentiment["label"] in ("positive", "neutral", "negative")


def test_low_answers_open_a_follow_up_at_the_time_of_the_answer(loaded):
    low = [r for r in SurveyResponse.objects.all() if r.is_low]
    assert low
    assert loaded.follow_ups == len(low)
    for response in low:
        assert response.follow_up is not None
        assert response.follow_up_opened_at == response.answered_at
        assert response.follow_up.created_at == response.answered_at


def test_older_follow_ups_are_worked_and_their_loops_closed(loaded):
    from datetime import timedelta

    from django.utils import timezone

    from rapport.demo.feedback import LOOP_DAYS

    low = [r for r in SurveyResponse.objects.select_related("follow_up") if r.is_low]
    older = [r for r in low if r.follow_up_opened_at <= timezone.now() - timedelta(days=LOOP_DAYS)]
    assert older
    for response in older:
        assert response.follow_up.status == "solved"
        assert response.loop_closed_at is not None and response.loop_outcome
        assert response.loop_closed_by_id is not None
    for response in set(low) - set(older):
        assert response.loop_closed_at is None


def test_relationship_nps_and_ces_invitations_have_no_conversation(loaded):
    nps = SurveyInvitation.objects.filter(kind=SurveyKind.NPS)
    ces = SurveyInvitation.objects.filter(kind=SurveyKind.CES)
    assert nps.exists() and ces.exists()
    assert set(nps.values_list("trigger", flat=True)) == {Trigger.SCHEDULE}
    assert set(ces.values_list("trigger", flat=True)) == {Trigger.SELF_SERVICE}
    assert not nps.filter(conversation__isnull=False).exists()


def test_reviews_come_from_three_sources_with_ratings_that_match_their_tone(loaded):
    reviews = Review.objects.all()
    assert reviews.count() == loaded.reviews == 120
    assert set(reviews.values_list("source", flat=True)) == {"trustpilot", "google", "shop"}
    assert set(reviews.filter(source="shop").values_list("original_scale", flat=True)) == {10}
    assert len(set(reviews.values_list("text", flat=True))) >= 20
    for review in reviews:
        assert 1 <= review.rating <= 5
        assert review.reviewed_at < timezone.now()
    positive = reviews.filter(sentiment="positive")
    negative = reviews.filter(sentiment="negative")
    assert positive.exists() and negative.exists()
    assert sum(r.rating for r in positive) / positive.count() > 3.5
    assert sum(r.rating for r in negative) / negative.count() < 3


def test_about_a_third_of_the_reviews_match_a_demo_customer(loaded):
    matched = Review.objects.filter(customer__isnull=False)
    assert loaded.matched_reviews == matched.count()
    assert 20 <= matched.count() <= 60
    for review in matched:
        assert review.customer.contact_points.filter(value=review.author_email).exists()


def test_no_survey_is_emailed(loaded, mailoutbox):
    assert mailoutbox == []


def test_a_second_run_adds_nothing(loaded, django_capture_on_commit_callbacks):
    counts = (SurveyInvitation.objects.count(), SurveyResponse.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        again = load_demo_feedback(seed=3)
    assert again.invitations == again.answers == again.reviews == 0
    assert (SurveyInvitation.objects.count(), SurveyResponse.objects.count()) == counts
    assert Review.objects.count() == 120


def test_the_same_seed_gives_the_same_answers(customers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load_helpdesk_data(conversations=20, messages_per_conversation=3, seed=5, bulk=False)
        first = load_demo_feedback(seed=3)
    scores = list(SurveyResponse.objects.order_by("pk").values_list("kind", "score", "comment"))
    follow_ups = list(SurveyResponse.objects.values_list("follow_up_id", flat=True))
    SurveyResponse.objects.all().delete()
    Conversation.objects.filter(pk__in=[pk for pk in follow_ups if pk]).delete()
    SurveyInvitation.objects.all().delete()
    Review.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        second = load_demo_feedback(seed=3)
    assert (second.answers, second.comments) == (first.answers, first.comments)
    assert list(SurveyResponse.objects.order_by("pk").values_list("kind", "score", "comment")) == (
        scores
    )


def test_without_solved_conversations_nothing_is_created(customers):
    stats = load_demo_feedback(seed=3)
    assert (stats.invitations, stats.answers, stats.reviews) == (0, 0, 0)
    assert not SurveyInvitation.objects.exists() and not Review.objects.exists()


def test_rapport_demo_prints_the_feedback_line_and_if_empty_adds_nothing(
    settings, tmp_path, db, mailoutbox
):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--customers", "60", "--conversations", "25", "--seed", "2", stdout=out)
    assert "Surveys and reviews:" in out.getvalue()
    counts = (SurveyInvitation.objects.count(), Review.objects.count())
    assert counts[0] > 0 and counts[1] == 120
    call_command("demo", "--if-empty", stdout=StringIO())
    assert (SurveyInvitation.objects.count(), Review.objects.count()) == counts
    assert not [m for m in mailoutbox if "survey" in m.subject.lower()]


def test_the_follow_ups_are_the_only_conversations_the_step_adds(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo", customers=40, conversations=6, seed=3, verbosity=0)
    follow_ups = SurveyResponse.objects.filter(follow_up__isnull=False).count()
    assert Conversation.objects.count() == 6 + follow_ups
    assert Conversation.objects.filter(survey_follow_ups__isnull=True).count() == 6
