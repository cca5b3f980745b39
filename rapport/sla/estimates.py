"""The estimated resolution time promised to a customer, from the SLA and the current queue.

Formula (simple on purpose, so an agent can explain it to a customer):

    backlog     = the team's other conversations still waiting for us (new, open, on hold),
                  counted at most once a minute
    throughput  = conversations the team solved in the last 7 days
                  / business seconds in those 7 days (the team's calendar)
    queue time  = backlog / throughput (business seconds to work through what is ahead)
    estimate    = the later of  (a) the SLA resolution due time
                                (b) now + queue time, in business time
                  rounded up to the next full hour in the calendar's time zone

With fewer than ``MIN_SOLVED_SAMPLE`` solved conversations in the window the throughput is
not known well enough and the estimate is the SLA due time alone. We never promise
earlier than the SLA allows, and a long queue moves the promise later instead of breaking it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache

from rapport.helpdesk.models import ACTIVE_STATUSES, Conversation
from rapport.sla.businesstime import Schedule, add_business_seconds, business_seconds_between

THROUGHPUT_WINDOW = timedelta(days=7)
MIN_SOLVED_SAMPLE = 5
THROUGHPUT_CACHE_SECONDS = 600
BACKLOG_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Estimate:
    at: datetime
    due_at: datetime
    backlog: int
    solved_in_window: int
    queue_seconds: int


def solved_recently(team_id: int | None, now: datetime) -> int:
    """Return how many conversations the team solved in the last 7 days (cached 10 minutes)."""
    key = f"sla:solved7d:{team_id or 0}"
    count = cache.get(key)
    if count is None:
        count = Conversation.objects.filter(
            team_id=team_id, solved_at__gte=now - THROUGHPUT_WINDOW, solved_at__lte=now
        ).count()
        cache.set(key, count, THROUGHPUT_CACHE_SECONDS)
    return count


def backlog_ahead(conversation: Conversation) -> int:
    """Return how many of the team's waiting conversations are ahead of ``conversation``.

    The count of the team's waiting conversations is cached for a minute (a new
    conversation is the newest, so nearly all of them are ahead of it); the conversation
    itself is not counted.
    """
    key = f"sla:backlog:{conversation.team_id or 0}"
    waiting = cache.get(key)
    if waiting is None:
        waiting = Conversation.objects.filter(
            team_id=conversation.team_id,
            status__in=ACTIVE_STATUSES,
            merged_into__isnull=True,
        ).count()
        cache.set(key, waiting, BACKLOG_CACHE_SECONDS)
    itself = conversation.status in ACTIVE_STATUSES and conversation.merged_into_id is None
    return max(0, waiting - int(itself))


def estimate_resolution(
    *, conversation: Conversation, schedule: Schedule, now: datetime
) -> Estimate | None:
    """Return the resolution time to promise for ``conversation`` (see the module docstring)."""
    due = conversation.resolution_due_at
    if due is None:
        return None
    backlog = backlog_ahead(conversation)
    solved = solved_recently(conversation.team_id, now)
    queue_seconds = 0
    estimate = due
    if backlog and solved >= MIN_SOLVED_SAMPLE:
        open_seconds = business_seconds_between(schedule, now - THROUGHPUT_WINDOW, now)
        if open_seconds > 0:
            queue_seconds = round(backlog * open_seconds / solved)
            estimate = max(due, add_business_seconds(schedule, now, queue_seconds))
    return Estimate(
        at=round_up_to_hour(estimate, schedule),
        due_at=due,
        backlog=backlog,
        solved_in_window=solved,
        queue_seconds=queue_seconds,
    )


def round_up_to_hour(moment: datetime, schedule: Schedule) -> datetime:
    """Return ``moment`` rounded up to the next full hour of the calendar's local time."""
    local = moment.astimezone(schedule.tz)
    if local.minute == local.second == local.microsecond == 0:
        return moment
    floored = local.replace(minute=0, second=0, microsecond=0)
    return floored.astimezone(UTC) + timedelta(hours=1)
