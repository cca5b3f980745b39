"""Periods: half-open, built from local dates, with a previous period of equal length."""

from datetime import UTC, date, datetime

import pytest

from rapport.metrics.periods import Period, PeriodError


def test_a_period_of_dates_runs_from_local_midnight_to_the_midnight_after_the_last_day():
    period = Period.parse("2026-10-01", "2026-10-31")
    assert period.start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # CEST
    assert period.end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # CET


def test_the_previous_period_has_as_many_days_and_ends_where_this_one_starts():
    period = Period.from_dates(date(2026, 10, 1), date(2026, 10, 31))
    previous = period.previous()
    assert previous.local_dates() == (date(2026, 8, 31), date(2026, 9, 30))
    assert previous.end == period.start


def test_a_single_day_is_a_period():
    period = Period.parse("2026-10-05", "2026-10-05")
    assert period.previous().local_dates() == (date(2026, 10, 4), date(2026, 10, 4))


def test_a_period_of_instants_steps_back_by_its_length():
    period = Period(datetime(2026, 10, 5, 10, tzinfo=UTC), datetime(2026, 10, 5, 16, tzinfo=UTC))
    assert period.previous() == Period(
        datetime(2026, 10, 5, 4, tzinfo=UTC), datetime(2026, 10, 5, 10, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    "first, last", [("2026-13-01", "2026-12-01"), ("yesterday", "2026-10-01"), ("", "2026-10-01")]
)
def test_a_bad_date_is_refused(first, last):
    with pytest.raises(PeriodError, match="is not a date"):
        Period.parse(first, last)


def test_a_start_after_the_end_is_refused():
    with pytest.raises(PeriodError, match="after the end date"):
        Period.parse("2026-10-02", "2026-10-01")


def test_naive_times_are_refused():
    with pytest.raises(PeriodError):
        Period(datetime(2026, 10, 1), datetime(2026, 10, 2))  # noqa: DTZ001
