"""Closing the loop: a low answer opens a follow-up conversation for the right person, and
the sweep records on the answer what was done there once it is solved or closed."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from rapport.feedback.actions.common import (
    MAX_COMMENT,
    SWEEP_BATCH,
)
from rapport.feedback.models import (
    LOW_SCORES,
    SCALES,
    SurveyResponse,
)

logger = logging.getLogger(__name__)


# --- Closing the loop ----------------------------------------------------------------------

FOLLOW_UP_NOTE = gettext_noop(
    "Survey follow-up: %(customer)s answered the %(survey)s survey with %(score)s of %(high)s."
)
FOLLOW_UP_COMMENT = gettext_noop("Comment: %(comment)s")
FOLLOW_UP_NO_COMMENT = gettext_noop("No comment yet.")
FOLLOW_UP_ANSWERED = gettext_noop("Answered conversation: %(number)s %(url)s")
FOLLOW_UP_RELATIONSHIP = gettext_noop("Asked without a conversation (%(trigger)s).")
FOLLOW_UP_IMPROVED = gettext_noop("The customer changed the answer to %(score)s of %(high)s.")
FOLLOW_UP_LATER_COMMENT = gettext_noop("The customer added a comment: %(comment)s")


def follow_up_tag() -> str:
    return str(getattr(settings, "SURVEY_FOLLOW_UP_TAG", "survey-follow-up"))


def follow_up_owner(response: SurveyResponse):
    """Return who follows up a low answer: the customer's account manager, else the lead
    of the answered conversation's team, else None (unassigned, for managers)."""
    from rapport.accounts.models import HELPDESK_ROLES

    conversation = response.conversation
    team = conversation.team if conversation is not None else None
    for person in (response.customer.account_manager, team.lead if team else None):
        if person is not None and person.is_active and person.role in HELPDESK_ROLES:
            return person
    return None


def sync_follow_up(*, response_id: int, now: datetime | None = None) -> SurveyResponse | None:
    """Open the follow-up of a low answer (once per answer), or record in it that the answer
    changed to a good one; return the response (None when it is gone)."""
    now = now or timezone.now()
    with transaction.atomic():
        response = SurveyResponse.objects.select_for_update().filter(pk=response_id).first()
        if response is None:
            return None  # the customer was erased since
        if response.follow_up_opened_at is None:
            if response.is_low:
                _open_follow_up(response, now)
            return response
        if response.is_low == (response.improved_at is None):
            return response  # nothing changed since the last sync
        response.improved_at = None if response.is_low else now
        response.save(update_fields=["improved_at", "updated_at"])
        if response.follow_up_id and not response.is_low:
            high = SCALES[response.kind][1]
            _add_note(
                response,
                _staff_text(FOLLOW_UP_IMPROVED, score=response.score, high=high),
            )
    return response


def note_follow_up_comment(*, response_id: int) -> None:
    """Add the customer's later comment to the follow-up of their answer."""
    with transaction.atomic():
        response = SurveyResponse.objects.select_for_update().filter(pk=response_id).first()
        if response is None or response.follow_up_id is None or not response.comment:
            return
        _add_note(response, _staff_text(FOLLOW_UP_LATER_COMMENT, comment=response.comment))


def _open_follow_up(response: SurveyResponse, now: datetime) -> None:
    from rapport.customers.models import ContactKind
    from rapport.feedback.letters import follow_up_subject
    from rapport.helpdesk.actions import (
        add_tags,
        assign_conversation,
        open_conversation,
        record_conversation_event,
        set_priority,
    )
    from rapport.helpdesk.models import Channel, Priority

    customer = response.customer
    answered = response.conversation
    language = (customer.language or response.language or settings.LANGUAGE_CODE)[:8]
    has_email = customer.contact_points.filter(kind=ContactKind.EMAIL).exists()
    follow_up = open_conversation(
        customer=customer,
        subject=follow_up_subject(customer, language),
        channel=Channel.EMAIL if has_email else Channel.PORTAL,
        language=language,
        team=answered.team if answered is not None else None,
        created_at=now,
    )
    set_priority(conversation=follow_up, actor=None, priority=Priority.HIGH)
    add_tags(conversation=follow_up, actor=None, names=[follow_up_tag()])
    low, high = SCALES[response.kind]
    record_conversation_event(
        conversation=follow_up,
        kind="survey",
        data={
            "follow_up_of": response.pk,
            "survey": response.kind,
            "score": response.score,
            "scale": [low, high],
            "conversation": answered.pk if answered is not None else None,
        },
    )
    owner = follow_up_owner(response)
    if owner is not None:
        assign_conversation(
            conversation=follow_up, actor=None, assignee=owner, reason="survey_follow_up"
        )
    response.follow_up = follow_up
    response.follow_up_opened_at = now
    response.save(update_fields=["follow_up", "follow_up_opened_at", "updated_at"])
    _add_note(response, _first_note(response))


def _first_note(response: SurveyResponse) -> str:
    from rapport.helpdesk.models import Conversation

    high = SCALES[response.kind][1]
    lines = [
        _staff_text(
            FOLLOW_UP_NOTE,
            customer=response.customer.display_name,
            survey=response.kind.upper(),
            score=response.score,
            high=high,
        ),
        _staff_text(FOLLOW_UP_COMMENT, comment=response.comment)
        if response.comment
        else _staff_text(FOLLOW_UP_NO_COMMENT),
    ]
    answered: Conversation | None = response.conversation
    if answered is not None:
        url = settings.SITE_URL.rstrip("/") + reverse("helpdesk:conversation", args=[answered.pk])
        lines.append(_staff_text(FOLLOW_UP_ANSWERED, number=answered.number, url=url))
    else:
        trigger = response.invitation.get_trigger_display()
        lines.append(_staff_text(FOLLOW_UP_RELATIONSHIP, trigger=trigger))
    return "\n".join(lines)


def _staff_text(template: str, **values) -> str:
    """Return an internal note's line in the staff's language (notes are stored as text)."""
    with override(settings.LANGUAGE_CODE):
        return _(template) % values


def _add_note(response: SurveyResponse, text: str) -> None:
    """Write an internal note into the follow-up and remember it is ours (not an outcome).

    The note is written by the system (no author): it states facts, and the outcome of
    the loop is what a person writes afterwards.
    """
    from rapport.helpdesk.actions import add_internal_note

    follow_up = response.follow_up
    note = add_internal_note(conversation=follow_up, author=None, body_text=text)
    response.follow_up_notes = [*response.follow_up_notes, note.pk]
    response.save(update_fields=["follow_up_notes", "updated_at"])


def open_missed_follow_ups(*, now: datetime | None = None) -> int:
    """Open the follow-ups whose job never ran (low answers of the last days without one)."""
    now = now or timezone.now()
    low = Q()
    for kind, highest_low in LOW_SCORES.items():
        low |= Q(kind=kind, score__lte=highest_low)
    ids = list(
        SurveyResponse.objects.filter(
            low,
            follow_up_opened_at__isnull=True,
            updated_at__lte=now - timedelta(minutes=5),
            updated_at__gt=now - timedelta(days=7),
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    opened = 0
    for response_id in ids:
        try:
            response = sync_follow_up(response_id=response_id, now=now)
        except Exception:
            logger.exception("survey follow-up of response %s failed", response_id)
            continue
        opened += bool(response and response.follow_up_opened_at)
    return opened


def close_follow_up_loops(*, now: datetime | None = None) -> int:
    """Record on each answer whose follow-up is solved or closed what was done and by whom
    (the last agent reply or internal note that is not ours); return how many."""
    from rapport.helpdesk.models import DONE_STATUSES, Direction, Message, MessageKind

    now = now or timezone.now()
    rows = list(
        SurveyResponse.objects.filter(
            follow_up__isnull=False,
            loop_closed_at__isnull=True,
            follow_up__status__in=DONE_STATUSES,
        ).values_list("pk", "follow_up_id", "follow_up_notes", "follow_up__assignee_id")[
            :SWEEP_BATCH
        ]
    )
    closed = 0
    for response_id, follow_up_id, ours, assignee_id in rows:
        last = (
            Message.objects.filter(conversation_id=follow_up_id)
            .filter(
                Q(direction=Direction.NOTE)
                | Q(direction=Direction.OUTBOUND, kind=MessageKind.NORMAL)
            )
            .exclude(pk__in=ours or [])
            .order_by("-created_at", "-id")
            .values("body_text", "display_text", "author_id")
            .first()
        )
        outcome = ((last["display_text"] or last["body_text"]) if last else "").strip()
        who = (last["author_id"] if last else None) or assignee_id
        # Claimed by the update: two sweeps never record one loop twice.
        closed += SurveyResponse.objects.filter(pk=response_id, loop_closed_at__isnull=True).update(
            loop_closed_at=now, loop_outcome=outcome[:MAX_COMMENT], loop_closed_by_id=who
        )
    return closed
