"""Business-time arithmetic: hand-computed examples and properties that must always hold."""

import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.sla.businesstime import (
    ClosedCalendarError,
    Schedule,
    add_business_time,
    always_open,
    business_seconds_between,
    is_open,
)
from rapport.sla.holidays import easter_sunday, german_public_holidays

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def weekdays(opens: int, closes: int, days=range(5)):
    return tuple(((opens, closes),) if day in days else () for day in range(7))


def office(tz=BERLIN, holidays=(), yearly=()) -> Schedule:
    """Monday to Friday 08:00-18:00."""
    return Schedule(
        tz=tz,
        weekly=weekdays(8 * 60, 18 * 60),
        holidays=frozenset(holidays),
        yearly=frozenset(yearly),
    )


def at(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- Hand-computed examples ---------------------------------------------------------------


def test_due_time_carries_over_the_weekend():
    friday = at(BERLIN, 2026, 11, 20, 17, 0)
    assert add_business_time(office(), friday, 120) == at(BERLIN, 2026, 11, 23, 9, 0)


def test_request_arriving_on_saturday_starts_counting_on_monday_morning():
    saturday = at(BERLIN, 2026, 11, 21, 11, 0)
    assert add_business_time(office(), saturday, 30) == at(BERLIN, 2026, 11, 23, 8, 30)


def test_due_time_skips_easter_holidays():
    holidays = [day for day, _name in german_public_holidays(2026)]
    thursday = at(BERLIN, 2026, 4, 2, 17, 0)
    # One hour on Thursday; Good Friday, the weekend and Easter Monday are closed.
    assert add_business_time(office(holidays=holidays), thursday, 120) == at(
        BERLIN, 2026, 4, 7, 9, 0
    )


def test_yearly_holiday_is_closed_every_year():
    schedule = office(yearly={(12, 24)})
    for year in (2026, 2031):
        day_before = datetime(year, 12, 23, 17, 0, tzinfo=BERLIN)
        due = add_business_time(schedule, day_before, 120)
        assert due.astimezone(BERLIN).date() != date(year, 12, 24)


def test_due_time_across_the_march_dst_switch_in_berlin():
    friday = at(BERLIN, 2026, 3, 27, 17, 0)  # CET, UTC+1
    due = add_business_time(office(), friday, 120)
    assert due == at(BERLIN, 2026, 3, 30, 9, 0)  # CEST, UTC+2
    assert due == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_due_time_across_the_october_dst_switch_in_berlin():
    friday = at(BERLIN, 2026, 10, 23, 17, 0)  # CEST
    due = add_business_time(office(), friday, 120)
    assert due == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET


def test_night_shift_is_one_hour_shorter_on_the_march_switch_night():
    night = Schedule(tz=BERLIN, weekly=((((22 * 60, 6 * 60 + 1440),),) * 7))
    saturday_evening = at(BERLIN, 2026, 3, 28, 21, 0)
    sunday_morning = at(BERLIN, 2026, 3, 29, 7, 0)
    assert business_seconds_between(night, saturday_evening, sunday_morning) == 7 * 3600


def test_night_shift_is_one_hour_longer_on_the_october_switch_night():
    night = Schedule(tz=BERLIN, weekly=((((22 * 60, 6 * 60 + 1440),),) * 7))
    saturday_evening = at(BERLIN, 2026, 10, 24, 21, 0)
    sunday_morning = at(BERLIN, 2026, 10, 25, 7, 0)
    assert business_seconds_between(night, saturday_evening, sunday_morning) == 9 * 3600


def test_due_time_in_new_york_across_its_own_dst_switch():
    schedule = Schedule(tz=NEW_YORK, weekly=weekdays(9 * 60, 17 * 60))
    friday = at(NEW_YORK, 2026, 3, 6, 16, 0)  # EST
    assert add_business_time(schedule, friday, 120) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_due_time_in_kolkata_with_its_half_hour_offset():
    schedule = Schedule(tz=KOLKATA, weekly=weekdays(9 * 60 + 30, 18 * 60))
    friday = at(KOLKATA, 2026, 11, 20, 17, 0)
    # 60 minutes on Friday, 30 on Monday from 09:30: 10:00 IST is 04:30 UTC.
    assert add_business_time(schedule, friday, 90) == datetime(2026, 11, 23, 4, 30, tzinfo=UTC)


def test_lunch_break_is_not_business_time():
    schedule = Schedule(
        tz=BERLIN,
        weekly=tuple(((8 * 60, 12 * 60), (13 * 60, 17 * 60)) if d < 5 else () for d in range(7)),
    )
    monday = at(BERLIN, 2026, 11, 23, 11, 30)
    assert add_business_time(schedule, monday, 60) == at(BERLIN, 2026, 11, 23, 13, 30)


def test_due_time_at_closing_time_stays_on_that_day():
    monday = at(BERLIN, 2026, 11, 23, 8, 0)
    assert add_business_time(office(), monday, 600) == at(BERLIN, 2026, 11, 23, 18, 0)


def test_zero_minutes_is_due_at_once():
    sunday = at(BERLIN, 2026, 11, 22, 3, 0)
    assert add_business_time(office(), sunday, 0) == sunday


def test_around_the_clock_counts_wall_clock_time_across_dst():
    saturday = at(BERLIN, 2026, 3, 28, 12, 0)
    due = add_business_time(always_open(BERLIN), saturday, 24 * 60)
    assert due - saturday == timedelta(hours=24)
    assert due.astimezone(BERLIN).hour == 13  # the wall clock jumped an hour


def test_calendar_without_hours_is_refused():
    with pytest.raises(ClosedCalendarError):
        add_business_time(Schedule(tz=BERLIN), at(BERLIN, 2026, 1, 5, 9, 0), 10)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_business_time(office(), datetime(2026, 1, 5, 9, 0), 10)  # noqa: DTZ001


def test_a_year_of_business_time_is_computed_quickly():
    start = at(BERLIN, 2026, 1, 5, 9, 0)
    began = clock.perf_counter()
    due = add_business_time(office(), start, 250 * 10 * 60)
    assert clock.perf_counter() - began < 0.5
    assert due.year == 2026 or due.year == 2027


def test_easter_dates_are_right():
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2027, 2038)] == [
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2026, 4, 5),
        date(2027, 3, 28),
        date(2038, 4, 25),
    ]


def test_german_holidays_include_the_easter_dependent_ones():
    days = dict(german_public_holidays(2026))
    assert days[date(2026, 4, 3)] == "Karfreitag"
    assert days[date(2026, 5, 14)] == "Christi Himmelfahrt"
    assert days[date(2026, 5, 25)] == "Pfingstmontag"
    assert len(days) == 9


# --- Properties ---------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour DST
    "America/Santiago",  # switches at midnight
    "UTC",
]


@st.composite
def day_intervals(draw):
    """Up to two intervals on a 15-minute grid; the last may run past midnight."""
    points = sorted(draw(st.sets(st.integers(0, 96), min_size=0, max_size=4)))
    if len(points) % 2:
        points = points[:-1]
    intervals = [(points[i] * 15, points[i + 1] * 15) for i in range(0, len(points), 2)]
    intervals = [(a, b) for a, b in intervals if b > a]
    if intervals and draw(st.booleans()):
        opens, _closes = intervals[-1]
        intervals[-1] = (opens, 1440 + draw(st.integers(0, 32)) * 15)
    return tuple(intervals)


@st.composite
def schedules(draw):
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    weekly = tuple(draw(day_intervals()) for _day in range(7))
    if not any(weekly):
        weekly = (((9 * 60, 17 * 60),),) + ((),) * 6
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=30))
    yearly = draw(st.frozensets(st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=5))
    return Schedule(tz=tz, weekly=weekly, holidays=holidays, yearly=yearly)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
minutes = st.integers(0, 6000)
fast = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(schedules(), moments, minutes, minutes)
def test_adding_a_then_b_equals_adding_a_plus_b(schedule, start, a, b):
    step = add_business_time(schedule, start, a)
    assert add_business_time(schedule, step, b) == add_business_time(schedule, start, a + b)


@fast
@given(schedules(), moments, minutes, minutes)
def test_more_minutes_are_never_due_earlier(schedule, start, a, b):
    a, b = sorted((a, b))
    assert add_business_time(schedule, start, a) <= add_business_time(schedule, start, b)


@fast
@given(schedules(), moments, moments, minutes)
def test_a_later_start_is_never_due_earlier(schedule, first, second, m):
    first, second = sorted((first, second))
    assert add_business_time(schedule, first, m) <= add_business_time(schedule, second, m)


@fast
@given(schedules(), moments, minutes)
def test_business_seconds_between_inverts_adding(schedule, start, m):
    due = add_business_time(schedule, start, m)
    assert business_seconds_between(schedule, start, due) == m * 60


@fast
@given(schedules(), moments, st.integers(1, 6000))
def test_due_time_never_falls_inside_closed_time(schedule, start, m):
    due = add_business_time(schedule, start, m)
    assert is_open(schedule, due - timedelta(microseconds=1))


@fast
@given(schedules(), moments, moments, moments)
def test_business_seconds_add_up_over_consecutive_spans(schedule, a, b, c):
    a, b, c = sorted((a, b, c))
    if c - a > timedelta(days=120):
        c = a + timedelta(days=120)
        b = min(b, c)
    assert business_seconds_between(schedule, a, b) + business_seconds_between(
        schedule, b, c
    ) == pytest.approx(business_seconds_between(schedule, a, c), abs=1)


@fast
@given(schedules(), moments, moments)
def test_business_time_never_exceeds_wall_clock_time(schedule, a, b):
    a, b = sorted((a, b))
    b = min(b, a + timedelta(days=60))
    assert 0 <= business_seconds_between(schedule, a, b) <= (b - a).total_seconds()


@fast
@given(st.sampled_from(ZONES), moments, st.integers(0, 10**6))
def test_around_the_clock_equals_wall_clock_arithmetic_in_utc(zone, start, m):
    schedule = always_open(zone)
    assert add_business_time(schedule, start, m) == start + timedelta(minutes=m)
    end = start + timedelta(minutes=m)
    assert business_seconds_between(schedule, start, end) == m * 60
