"""Business-time arithmetic: adding business minutes and measuring business seconds.

Pure functions over a ``Schedule`` (no database): a time zone, weekly opening intervals in
local wall-clock time, and holidays. An interval may span midnight (22:00-06:00 belongs to
the day it opens on). Business time is real elapsed time inside open intervals, so a DST
switch inside an interval makes that day an hour shorter or longer, just as a clock on the
wall would. The work is O(days) in the span covered, never O(minutes).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
# A calendar with no open hour in this many days is treated as never open.
SEARCH_LIMIT_DAYS = 5 * 366


class ClosedCalendarError(ValueError):
    """The schedule has no open time at all, so no due time can be computed."""


@dataclass(frozen=True)
class Schedule:
    """Opening hours in ``tz``: ``weekly[weekday]`` is a tuple of (open, close) minutes.

    Minutes count from local midnight of the day the interval opens; ``close`` may exceed
    1440 for an interval that spans midnight. ``holidays`` are closed dates; ``yearly``
    holds (month, day) pairs closed every year. ``always_open`` is 24/7.
    """

    tz: ZoneInfo
    weekly: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    yearly: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    always_open: bool = False

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.yearly

    @property
    def has_hours(self) -> bool:
        return self.always_open or any(self.weekly)


def always_open(tz: str | ZoneInfo = "UTC") -> Schedule:
    """Return a 24/7 schedule."""
    return Schedule(tz=tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz), always_open=True)


def _local(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    days, minutes = divmod(minutes, 1440)
    wall = datetime.combine(day + timedelta(days=days), time(minutes // 60, minutes % 60))
    # fold=0: an ambiguous wall time means its first occurrence, a wall time that does not
    # exist (the spring-forward gap) is read with the offset before the switch.
    return wall.replace(tzinfo=tz).astimezone(UTC)


def open_intervals(schedule: Schedule, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Yield the open intervals (UTC, sorted, never overlapping) that end after ``start``.

    The first interval may begin before ``start``; callers clip it.
    """
    if schedule.always_open:
        yield start, datetime.max.replace(tzinfo=UTC)
        return
    if not schedule.has_hours:
        raise ClosedCalendarError("the calendar has no opening hours")
    day = start.astimezone(schedule.tz).date() - DAY * 2  # intervals may span midnight
    previous_end = None
    closed_days = 0
    while True:
        found = False
        if not schedule.is_holiday(day):
            for opens, closes in schedule.weekly[day.weekday()]:
                begin = _local(day, opens, schedule.tz)
                end = _local(day, closes, schedule.tz)
                if previous_end is not None and begin < previous_end:
                    begin = previous_end  # overlapping wall times around a DST switch
                if end <= begin:
                    continue
                previous_end = end
                found = True
                if end > start:
                    yield begin, end
        closed_days = 0 if found else closed_days + 1
        if closed_days > SEARCH_LIMIT_DAYS:
            raise ClosedCalendarError("the calendar has no open day in five years")
        day += DAY


def add_business_time(schedule: Schedule, start: datetime, minutes: float) -> datetime:
    """Return the moment ``minutes`` of business time after ``start``.

    Zero minutes returns ``start`` itself; otherwise the result lies inside open time or at
    the end of an open interval ("due by 18:00 on Friday"), never inside closed time.
    """
    return add_business_seconds(schedule, start, round(minutes * 60))


def add_business_seconds(schedule: Schedule, start: datetime, seconds: int) -> datetime:
    """Return the moment ``seconds`` of business time after ``start`` (see add_business_time)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    start = start.astimezone(UTC)
    if seconds == 0:
        return start
    if schedule.always_open:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    for begin, end in open_intervals(schedule, start):
        begin = max(begin, start)
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable")  # pragma: no cover


def business_seconds_between(schedule: Schedule, start: datetime, end: datetime) -> int:
    """Return the whole seconds of business time between ``start`` and ``end`` (0 if end <= start)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return 0
    if schedule.always_open:
        return (end - start) // timedelta(seconds=1)
    total = timedelta(0)
    for begin, stop in open_intervals(schedule, start):
        if begin >= end:
            break
        total += min(stop, end) - max(begin, start)
    return total // timedelta(seconds=1)


def is_open(schedule: Schedule, moment: datetime) -> bool:
    """Return True if ``moment`` lies inside open time (interval start included, end excluded)."""
    if schedule.always_open:
        return True
    for begin, end in open_intervals(schedule, moment):
        return begin <= moment < end
    return False  # pragma: no cover
