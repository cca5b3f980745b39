"""The one writer of timeline events: every app records what happens with a customer here."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.timeline.models import ActivityType, EventKind, TimelineEvent


def record_event(
    *,
    customer,
    kind: str,
    title: str,
    body: str = "",
    actor=None,
    occurred_at: datetime | None = None,
    channel: str = "",
    data: dict[str, Any] | None = None,
    source=None,
    dedupe_key: str | None = None,
) -> TimelineEvent:
    """Record one event in ``customer``'s timeline and return it.

    ``source`` is the model instance the event is about (an order, a message). With a
    ``dedupe_key``, recording the same event twice returns the first one.
    """
    if kind not in EventKind.values:
        raise ValueError(f"unknown timeline event kind {kind!r}")
    if dedupe_key:
        existing = TimelineEvent.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    event = TimelineEvent(
        customer=customer,
        kind=kind,
        title=title[:255],
        body=body,
        actor=actor,
        occurred_at=occurred_at or timezone.now(),
        channel=channel,
        data=data or {},
        source_type=source._meta.label_lower if source is not None else "",
        source_id=str(source.pk) if source is not None else "",
        dedupe_key=dedupe_key,
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        if dedupe_key:
            return TimelineEvent.objects.get(dedupe_key=dedupe_key)
        raise
    return event


def add_note(*, customer, actor, body: str) -> TimelineEvent:
    """Add a free-text note by a staff member to the customer's timeline."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("A note cannot be empty.")]}, code="required")
    first_line = body.splitlines()[0]
    return record_event(
        customer=customer, kind=EventKind.NOTE, title=first_line[:120], body=body, actor=actor
    )


def log_activity(
    *,
    customer,
    actor,
    activity_type: str,
    subject: str,
    body: str = "",
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    """Record a manual activity (a call, a meeting, a visit) in the customer's timeline."""
    errors = {}
    if activity_type not in ActivityType.values:
        errors["activity_type"] = [_("Unknown activity type.")]
    if not subject.strip():
        errors["subject"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    channel = "phone" if activity_type == ActivityType.CALL else ""
    return record_event(
        customer=customer,
        kind=EventKind.ACTIVITY,
        title=subject.strip(),
        body=body.strip(),
        actor=actor,
        occurred_at=occurred_at,
        channel=channel,
        data={"activity_type": activity_type},
    )


def record_events_bulk(events: list[TimelineEvent], *, batch_size: int = 2000) -> None:
    """Record many unsaved ``TimelineEvent`` rows at once (imports, demo data).

    The caller builds the rows; events with a ``dedupe_key`` that already exists are skipped.
    """
    for event in events:
        if event.kind not in EventKind.values:
            raise ValueError(f"unknown timeline event kind {event.kind!r}")
        event.title = event.title[:255]
    TimelineEvent.objects.bulk_create(events, batch_size=batch_size, ignore_conflicts=any(e.dedupe_key for e in events))
