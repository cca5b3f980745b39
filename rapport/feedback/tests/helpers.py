"""Small builders for the survey tests: a solved conversation and a sent invitation."""

from datetime import datetime, timedelta

from django.utils import timezone

from rapport.feedback import actions
from rapport.feedback.models import SurveyInvitation
from rapport.helpdesk.actions import change_status
from rapport.helpdesk.models import Status
from rapport.helpdesk.tests.helpers import conversation_for


def solved(customer, *, at: datetime, subject="Broken charger", team=None):
    """Return a conversation of ``customer`` solved at ``at``."""
    conversation = conversation_for(
        customer, subject=subject, text="It does not charge.", team=team
    )
    change_status(conversation=conversation, actor=None, status=Status.SOLVED)
    conversation.__class__.objects.filter(pk=conversation.pk).update(solved_at=at)
    conversation.refresh_from_db()
    return conversation


def sent_invitation(customer, *, at=None, team=None) -> SurveyInvitation:
    """Return the sent survey invitation about a conversation of ``customer`` solved at ``at``."""
    at = at or timezone.now() - timedelta(hours=3)
    conversation = solved(customer, at=at, team=team)
    actions.invite_solved_conversations(now=at + timedelta(minutes=1))
    invitation = SurveyInvitation.objects.get(conversation=conversation)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(send_after=at)
    actions.send_due_invitations(now=at + timedelta(hours=2))
    invitation.refresh_from_db()
    return invitation
