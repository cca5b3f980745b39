"""The SLA clock of one conversation, computed from its creation time and status events.

The clock runs while the conversation waits for the company (new, open, on hold) and stops
while it waits for the customer (pending) or is done (solved, closed). A due time is the
moment the running business time reaches the target; stopping and restarting the clock
moves it later by exactly the business time it stood still. Everything here is derived
from ``ConversationEvent`` rows, so the same events always give the same due times.
"""

from dataclasses import dataclass
from datetime import datetime

from rapport.helpdesk.models import Conversation, ConversationEvent, EventKind, Status
from rapport.sla.businesstime import (
    Schedule,
    add_business_seconds,
    business_seconds_between,
)

RUNNING_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.ON_HOLD})

Period = tuple[datetime, datetime | None]


def status_changes(conversation: Conversation, now: datetime) -> list[tuple[datetime, str]]:
    """Return (when, new status) for every status change of ``conversation``, in order."""
    rows = (
        ConversationEvent.objects.filter(
            conversation=conversation,
            kind__in=(EventKind.STATUS, EventKind.REOPENED, EventKind.MERGED),
        )
        .order_by("created_at", "id")
        .values_list("kind", "data", "created_at")
    )
    changes: list[tuple[datetime, str]] = []
    for kind, data, created_at in rows:
        data = data or {}
        if kind == EventKind.MERGED:
            if "into" not in data:
                continue
            status = Status.CLOSED
        else:
            status = data.get("to")
            if status not in Status.values:
                continue
        changes.append((max(created_at, conversation.created_at), status))
    derived = changes[-1][1] if changes else Status.NEW
    if (derived in RUNNING_STATUSES) != (conversation.status in RUNNING_STATUSES):
        # A change made without an event (an old row, a bulk fix): take it as of now.
        changes.append((max(now, conversation.created_at), conversation.status))
    return changes


def running_periods(created_at: datetime, changes: list[tuple[datetime, str]]) -> list[Period]:
    """Return the periods in which the clock ran; the last one is open-ended if it still runs."""
    periods: list[Period] = []
    started: datetime | None = created_at
    for at, status in changes:
        if status in RUNNING_STATUSES:
            if started is None:
                started = at
        elif started is not None:
            periods.append((started, at))
            started = None
    if started is not None:
        periods.append((started, None))
    return periods


def due_time(schedule: Schedule, periods: list[Period], created_at, seconds: int) -> datetime:
    """Return when ``seconds`` of running business time are used up.

    While the clock stands still the result is where the due time would be if it ran on
    from the moment it stopped; resuming later moves it by the business time in between.
    """
    remaining = seconds
    last = created_at
    for start, end in periods:
        if end is None:
            return add_business_seconds(schedule, start, remaining)
        used = business_seconds_between(schedule, start, end)
        if used >= remaining:
            return add_business_seconds(schedule, start, remaining)
        remaining -= used
        last = end
    return add_business_seconds(schedule, last, remaining)


def running_seconds(schedule: Schedule, periods: list[Period], until: datetime) -> int:
    """Return the running business seconds up to ``until``."""
    total = 0
    for start, end in periods:
        if start >= until:
            break
        stop = until if end is None else min(end, until)
        total += business_seconds_between(schedule, start, stop)
    return total


@dataclass(frozen=True)
class ClockReading:
    first_response_due_at: datetime
    resolution_due_at: datetime
    paused_since: datetime | None
    first_response_business_seconds: int | None
    resolution_business_seconds: int | None


def read_clock(
    *,
    conversation: Conversation,
    schedule: Schedule,
    first_response_minutes: int,
    resolution_minutes: int,
    now: datetime,
) -> ClockReading:
    """Return the due times and business durations of ``conversation`` under these targets."""
    created = conversation.created_at
    periods = running_periods(created, status_changes(conversation, now))
    running = bool(periods) and periods[-1][1] is None
    paused_since = None
    if not running and conversation.status == Status.PENDING:
        paused_since = periods[-1][1] if periods else created
    first_response_seconds = None
    if conversation.first_response_at is not None:
        first_response_seconds = running_seconds(
            schedule, periods, max(conversation.first_response_at, created)
        )
    resolution_seconds = None
    if conversation.status in (Status.SOLVED, Status.CLOSED) and conversation.solved_at:
        resolution_seconds = running_seconds(schedule, periods, conversation.solved_at)
    return ClockReading(
        first_response_due_at=due_time(schedule, periods, created, first_response_minutes * 60),
        resolution_due_at=due_time(schedule, periods, created, resolution_minutes * 60),
        paused_since=paused_since,
        first_response_business_seconds=first_response_seconds,
        resolution_business_seconds=resolution_seconds,
    )
