"""The one writer of timeline events: every app records what happens with a customer here."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.timeline.messages import event_fields
from rapport.timeline.models import ActivityType, EventKind, TimelineEvent


def record_event(
    *,
    customer,
    kind: str,
    title: str = "",
    message: dict[str, Any] | None = None,
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
    event = build_event(
        customer=customer,
        kind=kind,
        title=title,
        message=message,
        body=body,
        actor=actor,
        occurred_at=occurred_at,
        channel=channel,
        data=data,
        source=source,
        dedupe_key=dedupe_key,
    )
    if dedupe_key:
        existing = TimelineEvent.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        if dedupe_key:
            return TimelineEvent.objects.get(dedupe_key=dedupe_key)
        raise
    return event


def build_event(
    *,
    customer,
    kind: str,
    title: str = "",
    message: dict[str, Any] | None = None,
    body: str = "",
    actor=None,
    occurred_at: datetime | None = None,
    channel: str = "",
    data: dict[str, Any] | None = None,
    source=None,
    dedupe_key: str | None = None,
) -> TimelineEvent:
    """Return the unsaved event ``record_event`` would store (for ``record_events_bulk``)."""
    if kind not in EventKind.values:
        raise ValueError(f"unknown timeline event kind {kind!r}")
    if message is not None:
        title, data = event_fields(message, data)
    if not title:
        raise ValueError("a timeline event needs a title or a message")
    return TimelineEvent(
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
    TimelineEvent.objects.bulk_create(
        events, batch_size=batch_size, ignore_conflicts=any(e.dedupe_key for e in events)
    )


def record_event_for_customers(
    *,
    customer_ids: list[int],
    kind: str,
    title: str = "",
    message: dict[str, Any] | None = None,
    body: str = "",
    actor_id: int | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    source_type: str = "",
    source_ids: list[str] | None = None,
) -> None:
    """Record the same event in many customers' timelines with one prepared insert (imports).

    ``source_ids``, when given, holds the source row's id for each customer in order. Unlike
    ``record_events_bulk`` no model instances are built: a hundred thousand rows take a
    fraction of a second. Other databases than SQLite and PostgreSQL use ``bulk_create``.
    """
    if kind not in EventKind.values:
        raise ValueError(f"unknown timeline event kind {kind!r}")
    if not customer_ids:
        return
    if message is not None:
        title, data = event_fields(message, data)
    when = occurred_at or timezone.now()
    source_ids = source_ids or [""] * len(customer_ids)
    if connection.vendor not in ("sqlite", "postgresql"):
        record_events_bulk(
            [
                TimelineEvent(
                    customer_id=customer_id, kind=kind, title=title, body=body,
                    actor_id=actor_id, occurred_at=when, created_at=when, data=data or {},
                    source_type=source_type, source_id=source_id,
                )
                for customer_id, source_id in zip(customer_ids, source_ids, strict=True)
            ]
        )  # fmt: skip
        return
    meta = TimelineEvent._meta
    prepared_when = meta.get_field("occurred_at").get_db_prep_save(when, connection)
    prepared_data = meta.get_field("data").get_db_prep_save(data or {}, connection)
    names = ("customer", "kind", "occurred_at", "actor", "channel", "title", "body", "data",
             "source_type", "source_id", "created_at")  # fmt: skip
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in names)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    rows = [
        (customer_id, kind, prepared_when, actor_id, "", title[:255], body, prepared_data,
         source_type, source_id, prepared_when)
        for customer_id, source_id in zip(customer_ids, source_ids, strict=True)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
