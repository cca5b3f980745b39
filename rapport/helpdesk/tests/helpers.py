"""Small builders for the helpdesk page tests."""

from rapport.helpdesk import actions
from rapport.helpdesk.models import Channel


def conversation_for(
    customer,
    *,
    subject="Where is my order?",
    text="My order has not arrived.",
    channel=Channel.EMAIL,
    team=None,
    assignee=None,
    **kwargs,
):
    """Open a conversation with one inbound message, then put it in ``team`` / on ``assignee``."""
    conversation = actions.receive_message(
        customer=customer, channel=channel, subject=subject, body_text=text, **kwargs
    ).message.conversation
    if team is not None or conversation.team_id:
        actions.set_team(conversation=conversation, actor=None, team=team)
    if assignee is not None or conversation.assignee_id:
        actions.assign_conversation(conversation=conversation, actor=None, assignee=assignee)
    conversation.refresh_from_db()
    return conversation
