"""Surveys: invite, send at a sensible local time, record answers, and close the loop.

An invitation is created once per occasion (``dedupe_key``), waits for the customer's
contact hours, and is sent unless the customer was asked within ``SURVEY_THROTTLE_DAYS``.
Its link carries the invitation's id signed with the site's secret; an answer is recorded
once per invitation, and a later click changes it (``changes`` counts how often). A low
answer opens one follow-up conversation; the sweep records what was done there.

The actions live in modules by concept (``invitations``, ``answers``, ``follow_ups``);
import them from here.
"""

from rapport.feedback.actions.answers import add_comment, record_answer
from rapport.feedback.actions.chat import (
    answer_in_chat,
    ask_in_chat,
    chat_invitation_from_token,
    chat_survey_token,
)
from rapport.feedback.actions.common import (
    SurveyError,
    after_solve_kind,
    invitation_from_token,
    invitation_token,
    invitation_url,
)
from rapport.feedback.actions.follow_ups import (
    close_follow_up_loops,
    follow_up_owner,
    note_follow_up_comment,
    open_missed_follow_ups,
    sync_follow_up,
)
from rapport.feedback.actions.invitations import (
    deliverable_address,
    expire_invitations,
    invite,
    invite_after_self_service,
    invite_relationship_nps,
    invite_solved_conversations,
    send_due_invitations,
    send_invitation,
)

__all__ = [
    "SurveyError",
    "add_comment",
    "after_solve_kind",
    "answer_in_chat",
    "ask_in_chat",
    "chat_invitation_from_token",
    "chat_survey_token",
    "close_follow_up_loops",
    "deliverable_address",
    "expire_invitations",
    "follow_up_owner",
    "invitation_from_token",
    "invitation_token",
    "invitation_url",
    "invite",
    "invite_after_self_service",
    "invite_relationship_nps",
    "invite_solved_conversations",
    "note_follow_up_comment",
    "open_missed_follow_ups",
    "record_answer",
    "send_due_invitations",
    "send_invitation",
    "sync_follow_up",
]
