"""Reporting periods: half-open spans of time, built from dates in the site's time zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _


class PeriodError(ValueError):
    """A period that cannot be built from what was given (bad date, start after end)."""


@dataclass(frozen=True)
class Period:
    """The instants ``start <= t < end`` (both timezone-aware)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if timezone.is_naive(self.start) or timezone.is_naive(self.end):
            raise PeriodError(_("A period needs timezone-aware start and end times."))
        if self.end <= self.start:
            raise PeriodError(_("The start of a period must lie before its end."))

    @classmethod
    def from_dates(cls, first: date, last: date) -> "Period":
        """Return the period from the start of ``first`` to the end of ``last`` (site time zone)."""
        if first > last:
            raise PeriodError(_("The start date lies after the end date."))
        tz = timezone.get_default_timezone()
        start = datetime.combine(first, time.min).replace(tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), time.min).replace(tzinfo=tz)
        return cls(start, end)

    @classmethod
    def parse(cls, first: str, last: str) -> "Period":
        """Return the period of two ISO dates (``2026-10-01``), both days included."""
        return cls.from_dates(_parse(first), _parse(last))

    def local_dates(self) -> tuple[date, date] | None:
        """Return the first and last day if the period is whole days in the site time zone."""
        tz = timezone.get_default_timezone()
        start, end = self.start.astimezone(tz), self.end.astimezone(tz)
        if start.timetz().replace(tzinfo=None) != time.min or end.time() != time.min:
            return None
        return start.date(), end.date() - timedelta(days=1)

    def previous(self) -> "Period":
        """Return the period of equal length just before this one.

        Whole-day periods step back by the same number of days, so a daylight-saving change
        never leaves the previous period one hour short or long.
        """
        days = self.local_dates()
        if days is not None:
            first, last = days
            length = (last - first).days + 1
            return Period.from_dates(first - timedelta(days=length), first - timedelta(days=1))
        return Period(self.start - (self.end - self.start), self.start)

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _parse(value: str) -> date:
    try:
        parsed = parse_date((value or "").strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise PeriodError(_("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": value})
    return parsed
