"""Recording answers and comments through a survey's link or the portal."""

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.feedback.actions.common import (
    MAX_COMMENT,
    SurveyError,
)
from rapport.feedback.models import (
    SCALES,
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyResponse,
)
from rapport.timeline.actions import record_event
from rapport.timeline.messages import message
from rapport.timeline.models import EventKind

logger = logging.getLogger(__name__)


# --- Answering ---------------------------------------------------------------------------------


def record_answer(
    *,
    invitation: SurveyInvitation,
    score,
    channel: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """Record (or change) the answer to ``invitation``; raise ``SurveyError`` on bad input."""
    low, high = SCALES[invitation.kind]
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise SurveyError("invalid_score", _("Please choose one of the answers.")) from None
    if not low <= value <= high:
        raise SurveyError(
            "out_of_range",
            _("Please choose a score from %(low)s to %(high)s.") % {"low": low, "high": high},
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.expires_at is not None and locked.expires_at <= now:
            raise SurveyError("expired", _("This survey has closed. Thank you all the same."))
        response = SurveyResponse.objects.filter(invitation=locked).first()
        if response is None:
            response = SurveyResponse.objects.create(
                invitation=locked,
                customer_id=locked.customer_id,
                conversation_id=locked.conversation_id,
                kind=locked.kind,
                score=value,
                channel=channel if channel in SurveyChannel.values else locked.channel,
                language=locked.language,
                answered_at=now,
            )
        elif response.score != value:
            response.score = value
            response.changes += 1
            response.save(update_fields=["score", "changes", "updated_at"])
        else:
            return response
        if locked.status != InvitationStatus.ANSWERED:
            locked.status = InvitationStatus.ANSWERED
            locked.save(update_fields=["status"])
        _record_in_timeline(locked, response, now)
        if response.is_low or response.follow_up_opened_at is not None:
            transaction.on_commit(partial(_queue, "sync_follow_up_task", response.pk))
    return response


def add_comment(*, invitation: SurveyInvitation, comment: str) -> SurveyResponse:
    """Add the customer's comment ("why?") to their answer."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise SurveyError(
            "too_long",
            _("Please keep your comment under %(count)s characters.") % {"count": MAX_COMMENT},
        )
    with transaction.atomic():
        response = (
            SurveyResponse.objects.select_for_update().filter(invitation_id=invitation.pk).first()
        )
        if response is None:
            raise SurveyError("no_answer", _("Please choose a score first."))
        if comment != response.comment:
            from rapport.sentiment.scoring import analyze

            response.comment = comment
            response.comment_sentiment = (
                analyze(comment).as_data() if comment else {}  # in the comment's own language
            )
            response.save(update_fields=["comment", "comment_sentiment", "updated_at"])
            if comment and response.follow_up_id:
                transaction.on_commit(partial(_queue, "note_follow_up_comment_task", response.pk))
    return response


def _record_in_timeline(invitation, response, now) -> None:
    low, high = SCALES[invitation.kind]
    record_event(
        customer=invitation.customer,
        kind=EventKind.SURVEY,
        message=message(
            gettext_noop("%(survey)s answer: %(score)s of %(high)s"),
            survey=invitation.kind.upper(),
            score=response.score,
            high=high,
        ),
        occurred_at=now,
        channel=response.channel,
        data={
            "survey": invitation.kind,
            "score": response.score,
            "scale": [low, high],
            "invitation": invitation.pk,
            "conversation": invitation.conversation_id,
            "changed": response.changes > 0,
        },
        source=response,
        dedupe_key=f"survey:{response.pk}:{response.changes}",
    )
    if invitation.conversation_id:
        from rapport.helpdesk.actions import record_conversation_event

        record_conversation_event(
            conversation=invitation.conversation,
            kind="survey",
            data={"survey": invitation.kind, "score": response.score, "scale": [low, high]},
        )


def _queue(task_name: str, response_id: int) -> None:
    """Queue a follow-up job after the answer is committed; the sweep catches up on failure."""
    from rapport.feedback import tasks

    try:
        getattr(tasks, task_name)(response_id)
    except Exception:  # noqa: BLE001 - the answer is saved; periodic_surveys retries
        logger.exception("survey job %s for response %s failed", task_name, response_id)
