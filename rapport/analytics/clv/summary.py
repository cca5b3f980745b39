"""Turn raw transactions into the per-customer statistics the purchase and spend models read.

The conventions are those of the customer-base analysis literature (Fader, Hardie and Lee
2005; the CDNOW data): all transactions of one customer on one calendar day are one purchase
(their amounts summed); ``frequency`` counts the repeat purchase days (the first purchase is
not counted); ``recency`` is the time of the last purchase after the first and ``T`` the time
from the first purchase to the calibration end, both in units of ``unit_days`` days (7: weeks);
``monetary`` is the mean value of the repeat purchase days.

Bad input, as the literature handles it (docs/clv.md explains each choice):

- returns (negative amounts) are netted into their day's total; a day with only returns is
  not a purchase (a return is not a purchase occasion) and is counted in
  ``return_only_days``; days whose net total is zero or negative still count as purchase
  days but are left out of ``monetary``, which is what the spend model is fitted on;
- exact duplicate rows cannot be told from two equal purchases on the same day: they are
  kept (they do not change ``frequency``, only that day's total) and counted in
  ``duplicate_rows`` (when amounts are given) so that callers can warn;
- customers whose first purchase falls after the calibration end are not part of the
  calibration cohort and are counted in ``customers_after_calibration``;
- dates in the future or after ``observation_end``, a calibration end before the first
  transaction or in the future, and non-finite amounts raise ``ClvError``.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.analytics.clv.fitting import ClvError


@dataclass(frozen=True)
class Summary:
    """Per-customer statistics, one array element per customer, sorted by customer id."""

    customer_ids: np.ndarray
    frequency: np.ndarray  # repeat purchase days in the calibration period (int64)
    recency: np.ndarray  # last purchase after the first, in units
    T: np.ndarray  # noqa: N815 (the literature's name) calibration end after the first purchase
    monetary: np.ndarray  # mean positive value of the repeat purchase days, 0 when none
    holdout_frequency: np.ndarray | None  # purchase days after the calibration end, or None
    first_purchase: np.ndarray  # datetime64[D]
    unit_days: float
    calibration_end: np.datetime64
    observation_end: np.datetime64 | None = None
    duplicate_rows: int = 0
    return_only_days: int = 0
    customers_after_calibration: int = 0

    def __len__(self) -> int:
        return len(self.customer_ids)


def _as_day(value, message) -> np.datetime64:
    """Return ``value`` as a day, or raise ClvError with ``message`` (which takes %(value)s).

    ``message`` is lazy: it is translated only when it is needed.
    """
    try:
        day = np.datetime64(value, "D")
    except (TypeError, ValueError):
        day = np.datetime64("NaT")
    if np.isnat(day):
        raise ClvError(message % {"value": value})
    return day


def _today() -> np.datetime64:
    return np.datetime64(dt.datetime.now(dt.UTC).date(), "D")


def summarise(
    customer_ids,
    dates,
    amounts=None,
    *,
    calibration_end,
    unit_days: float = 7,
    observation_end=None,
) -> Summary:
    """Return the per-customer summary of the transactions up to ``calibration_end``.

    ``dates`` are anything numpy reads as ``datetime64[D]`` (dates, ISO strings, datetime64);
    ``amounts`` may be None when only purchase counts matter (``monetary`` is then 0).
    With ``observation_end``, the purchase days after the calibration end up to it are
    counted per customer in ``holdout_frequency``; without it they are ignored.
    """
    ids = np.asarray(customer_ids)
    try:
        days = np.asarray(dates).astype("datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ClvError(_("The dates could not be read: %(error)s") % {"error": exc}) from None
    if ids.ndim != 1 or days.ndim != 1 or len(ids) != len(days):
        raise ClvError(_("Customer ids and dates must be two lists of the same length."))
    if amounts is None:
        values = np.zeros(len(ids))
    else:
        try:
            values = np.asarray(amounts, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ClvError(_("The amounts could not be read: %(error)s") % {"error": exc}) from None
        if values.shape != ids.shape:
            raise ClvError(_("There must be one amount per transaction."))
    if not unit_days or not np.isfinite(unit_days) or unit_days <= 0:
        raise ClvError(_("The time unit must be a positive number of days."))
    if len(ids) == 0:
        raise ClvError(_("There are no transactions."))
    missing = np.flatnonzero(np.isnat(days))
    if len(missing):
        raise ClvError(_("Transaction %(row)d has no date.") % {"row": missing[0] + 1})
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ClvError(_("Transaction %(row)d has no valid amount.") % {"row": bad[0] + 1})

    calibration_end = _as_day(
        calibration_end, gettext_lazy("The calibration end is not a date: %(value)s.")
    )
    today = _today()
    if observation_end is not None:
        observation_end = _as_day(
            observation_end, gettext_lazy("The observation end is not a date: %(value)s.")
        )
        if observation_end <= calibration_end:
            raise ClvError(
                _("The observation end (%(end)s) must come after the calibration end (%(cal)s).")
                % {"end": observation_end, "cal": calibration_end}
            )
    latest_allowed = min(today, observation_end) if observation_end is not None else today
    late = np.flatnonzero(days > latest_allowed)
    if len(late):
        raise ClvError(
            _(
                "%(count)d transactions are dated after %(limit)s (the first: transaction "
                "%(row)d, on %(date)s); dates in the future or after the observation end "
                "cannot be right."
            )
            % {
                "count": len(late),
                "limit": latest_allowed,
                "row": late[0] + 1,
                "date": days[late[0]],
            }
        )
    if calibration_end > today:
        raise ClvError(
            _("The calibration end (%(cal)s) is in the future.") % {"cal": calibration_end}
        )
    first_date = days.min()
    if calibration_end < first_date:
        raise ClvError(
            _(
                "The calibration end (%(cal)s) is before the first transaction (%(first)s): "
                "no customer is in the calibration period."
            )
            % {"cal": calibration_end, "first": first_date}
        )

    unique_ids, codes = np.unique(ids, return_inverse=True)
    day_numbers = days.astype(np.int64)

    # Exact duplicate rows: adjacent equal (customer, day, amount) after sorting.
    order = np.lexsort((values, day_numbers, codes))
    c, d, v = codes[order], day_numbers[order], values[order]
    # Without amounts every same-day row would look like a duplicate: count none.
    duplicate_rows = 0
    if amounts is not None:
        same = (c[1:] == c[:-1]) & (d[1:] == d[:-1]) & (v[1:] == v[:-1])
        duplicate_rows = int(np.count_nonzero(same))

    # One entry per customer and day: net total, and whether anything was bought that day.
    new_day = np.ones(len(c), dtype=bool)
    new_day[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(new_day)
    day_customer = c[starts]
    day_number = d[starts]
    day_total = np.add.reduceat(v, starts)
    bought = np.logical_or.reduceat(v >= 0, starts)
    return_only_days = int(np.count_nonzero(~bought))
    day_customer, day_number, day_total = (
        day_customer[bought],
        day_number[bought],
        day_total[bought],
    )

    # Purchase days are sorted by customer then day: the first of each customer is its first purchase.
    first_of_customer = np.ones(len(day_customer), dtype=bool)
    first_of_customer[1:] = day_customer[1:] != day_customer[:-1]
    first_day = np.full(len(unique_ids), np.iinfo(np.int64).max)
    first_day[day_customer[first_of_customer]] = day_number[first_of_customer]

    cal_end = calibration_end.astype(np.int64)
    in_cohort = first_day <= cal_end
    has_purchase = first_day < np.iinfo(np.int64).max
    customers_after_calibration = int(np.count_nonzero(has_purchase & ~in_cohort))
    if not in_cohort.any():
        raise ClvError(_("No customer made a purchase by the calibration end."))

    n = len(unique_ids)
    calibration = day_number <= cal_end
    repeat = calibration & ~first_of_customer
    frequency = np.bincount(day_customer[repeat], minlength=n)
    last_day = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_day, day_customer[calibration], day_number[calibration])
    positive = repeat & (day_total > 0)
    spend_days = np.bincount(day_customer[positive], minlength=n)
    spend = np.bincount(day_customer[positive], weights=day_total[positive], minlength=n)
    monetary = np.divide(spend, spend_days, out=np.zeros(n), where=spend_days > 0)
    holdout = None
    if observation_end is not None:
        holdout = np.bincount(day_customer[~calibration], minlength=n)[in_cohort]

    first = first_day[in_cohort]
    return Summary(
        customer_ids=unique_ids[in_cohort],
        frequency=frequency[in_cohort].astype(np.int64),
        recency=(last_day[in_cohort] - first) / unit_days,
        T=(cal_end - first) / unit_days,
        monetary=monetary[in_cohort],
        holdout_frequency=holdout,
        first_purchase=first.astype("datetime64[D]"),
        unit_days=float(unit_days),
        calibration_end=calibration_end,
        observation_end=observation_end,
        duplicate_rows=duplicate_rows,
        return_only_days=return_only_days,
        customers_after_calibration=customers_after_calibration,
    )
