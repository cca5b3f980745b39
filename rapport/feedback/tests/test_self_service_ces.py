"""CES: asked after a self-service session whose answer the customer accepted, and after a
solved conversation when SURVEY_AFTER_SOLVE says "ces"."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rapport.assistant.models import AssistantSession, AssistantTurn, SessionStatus, TurnRole
from rapport.feedback import actions
from rapport.feedback.models import InvitationStatus, SurveyInvitation, SurveyKind, Trigger
from rapport.feedback.tests.helpers import solved

pytestmark = pytest.mark.django_db


def session_of(customer, *, helpful=True, status=SessionStatus.OPEN, ago=timedelta(hours=1)):
    session = AssistantSession.objects.create(
        token_hash=f"{customer.pk if customer else 0}-{AssistantSession.objects.count()}",
        channel="portal",
        language="en",
        customer=customer,
        status=status,
    )
    AssistantTurn.objects.create(session=session, role=TurnRole.CUSTOMER, text="Reset password?")
    AssistantTurn.objects.create(
        session=session,
        role=TurnRole.ASSISTANT,
        text="Use the link on the sign-in page.",
        helpful=helpful,
        created_at=timezone.now() - ago,
    )
    return session


def test_an_accepted_answer_invites_a_ces_survey_once_per_session(cast):
    session_of(cast.customer)
    assert actions.invite_after_self_service() == 1
    assert actions.invite_after_self_service() == 0
    invitation = SurveyInvitation.objects.get()
    assert (invitation.kind, invitation.trigger) == (SurveyKind.CES, Trigger.SELF_SERVICE)
    assert invitation.conversation is None


@pytest.mark.parametrize(
    "session",
    [
        {"helpful": False},
        {"helpful": None},
        {"status": SessionStatus.HANDED_OVER},
        {"ago": timedelta(days=5)},
    ],
)
def test_sessions_without_an_accepted_answer_invite_no_one(cast, session):
    session_of(cast.customer, **session)
    assert actions.invite_after_self_service() == 0


def test_an_anonymous_visitors_session_invites_no_one(cast):
    session_of(None)
    assert actions.invite_after_self_service() == 0


def test_the_ces_survey_is_emailed_on_its_own(cast, django_capture_on_commit_callbacks):
    session_of(cast.customer)
    actions.invite_after_self_service()
    SurveyInvitation.objects.update(send_after=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_due_invitations() == 1
    [sent] = mail.outbox
    assert sent.body.startswith("Hello Anna") or sent.body.startswith("Dear")
    assert "How easy was it to get your request resolved?" in sent.body
    assert "\n\n\n" not in sent.body
    assert SurveyInvitation.objects.get().status == InvitationStatus.SENT


def test_a_solved_conversation_asks_ces_when_the_setting_says_so(cast, settings):
    settings.SURVEY_AFTER_SOLVE = "ces"
    solved(cast.customer, at=timezone.now() - timedelta(hours=1))
    assert actions.invite_solved_conversations() == 1
    assert SurveyInvitation.objects.get().kind == SurveyKind.CES


def test_an_unknown_after_solve_setting_keeps_csat(cast, settings):
    settings.SURVEY_AFTER_SOLVE = "nps"
    solved(cast.customer, at=timezone.now() - timedelta(hours=1))
    actions.invite_solved_conversations()
    assert SurveyInvitation.objects.get().kind == SurveyKind.CSAT
