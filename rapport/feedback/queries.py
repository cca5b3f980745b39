"""Survey reads shared by pages: always scoped to the customer who asks."""

from datetime import datetime

from django.utils import timezone

from rapport.feedback.models import InvitationStatus, SurveyInvitation, SurveyKind

# Surveys a customer answers on a conversation's portal page.
CONVERSATION_KINDS = (SurveyKind.CSAT, SurveyKind.CES)


def open_invitations(customer, *, now: datetime | None = None):
    """Return the customer's own invitations that can still be answered (sent or answered,
    not expired), newest first."""
    now = now or timezone.now()
    return (
        SurveyInvitation.objects.filter(
            customer=customer,
            status__in=(InvitationStatus.SENT, InvitationStatus.ANSWERED),
            sent_at__isnull=False,
            expires_at__gt=now,
        )
        .select_related("customer", "conversation", "response")
        .order_by("-sent_at", "-id")
    )


def conversation_survey(customer, conversation, *, now: datetime | None = None):
    """Return the open survey about ``conversation`` that its customer can answer in the
    portal, or None (not done, not the customer's, nothing sent, expired)."""
    if customer is None or conversation.customer_id != customer.pk or not conversation.is_done:
        return None
    return (
        open_invitations(customer, now=now)
        .filter(conversation=conversation, kind__in=CONVERSATION_KINDS)
        .first()
    )


def portal_invitation(customer, invitation_id) -> SurveyInvitation:
    """Return the customer's own sent invitation (expired ones too: answering them says so),
    or raise ``SurveyInvitation.DoesNotExist``."""
    try:
        invitation_id = int(invitation_id)
    except (TypeError, ValueError):
        raise SurveyInvitation.DoesNotExist from None
    if customer is None:
        raise SurveyInvitation.DoesNotExist
    return (
        SurveyInvitation.objects.filter(
            customer=customer,
            status__in=(
                InvitationStatus.SENT,
                InvitationStatus.ANSWERED,
                InvitationStatus.EXPIRED,
            ),
        )
        .select_related("customer", "conversation")
        .get(pk=invitation_id)
    )


def conversation_survey_panel(customer, conversation, *, now: datetime | None = None):
    """Return what the portal's conversation page shows of its open survey (the invitation,
    the question, the scale and the answer given so far), or None."""
    from rapport.feedback import letters
    from rapport.feedback.models import SurveyResponse

    invitation = conversation_survey(customer, conversation, now=now)
    if invitation is None:
        return None
    try:
        response = invitation.response
    except SurveyResponse.DoesNotExist:
        response = None
    return {
        "invitation": invitation,
        "response": response,
        "question": letters.question(invitation),
        "why": letters.why(invitation),
        "choices": letters.choices(invitation),
    }
