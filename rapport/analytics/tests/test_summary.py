"""Transactions become per-customer frequency, recency, T and average repeat spend."""

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from rapport.analytics.clv.fitting import ClvError
from rapport.analytics.clv.summary import summarise

CDNOW = Path("/work/shared/data/cdnow")
needs_cdnow = pytest.mark.skipif(
    not CDNOW.is_dir(), reason="the CDNOW data is not in /work/shared/data/cdnow"
)


def summarise_rows(rows, **kwargs):
    """Summarise (customer, date, amount) tuples; calibration end 2020-12-31 unless given."""
    ids, dates, amounts = zip(*rows, strict=True)
    kwargs.setdefault("calibration_end", "2020-12-31")
    return summarise(list(ids), list(dates), list(amounts), **kwargs)


def test_customer_with_one_purchase_has_no_repeat_purchases_and_no_spend():
    result = summarise_rows([("a", "2020-12-03", 10.0)])

    assert result.frequency.tolist() == [0]
    assert result.recency.tolist() == [0.0]
    assert result.T.tolist() == [4.0]
    assert result.monetary.tolist() == [0.0]


def test_purchases_all_on_one_day_are_one_purchase():
    result = summarise_rows([("a", "2020-12-03", 10.0), ("a", "2020-12-03", 5.0)])

    assert result.frequency.tolist() == [0]
    assert result.monetary.tolist() == [0.0]


def test_repeat_purchases_on_one_day_are_summed_into_one_repeat_purchase():
    result = summarise_rows(
        [
            ("a", "2020-12-03", 10.0),
            ("a", "2020-12-10", 5.0),
            ("a", "2020-12-10", 7.0),
            ("a", "2020-12-24", 30.0),
        ]
    )

    assert result.frequency.tolist() == [2]
    assert result.recency.tolist() == [3.0]
    assert result.monetary.tolist() == [21.0]  # (12 + 30) / 2; the first purchase is not counted


def test_time_unit_can_be_days():
    result = summarise_rows([("a", "2020-12-03", 10.0), ("a", "2020-12-10", 5.0)], unit_days=1)

    assert result.recency.tolist() == [7.0]
    assert result.T.tolist() == [28.0]


def test_same_day_return_reduces_that_days_spend():
    result = summarise_rows(
        [("a", "2020-12-03", 10.0), ("a", "2020-12-10", 50.0), ("a", "2020-12-10", -20.0)]
    )

    assert result.frequency.tolist() == [1]
    assert result.monetary.tolist() == [30.0]


def test_day_with_only_returns_is_not_a_purchase():
    result = summarise_rows(
        [("a", "2020-12-03", 10.0), ("a", "2020-12-10", 50.0), ("a", "2020-12-17", -50.0)]
    )

    assert result.frequency.tolist() == [1]
    assert result.recency.tolist() == [1.0]
    assert result.monetary.tolist() == [50.0]
    assert result.return_only_days == 1


def test_repeat_day_with_no_net_spend_counts_as_purchase_but_not_toward_spend():
    result = summarise_rows(
        [
            ("a", "2020-12-03", 10.0),
            ("a", "2020-12-10", 40.0),
            ("a", "2020-12-17", 20.0),
            ("a", "2020-12-17", -20.0),
        ]
    )

    assert result.frequency.tolist() == [2]
    assert result.monetary.tolist() == [40.0]


def test_repeat_purchases_with_only_non_positive_spend_give_zero_monetary():
    result = summarise_rows(
        [("a", "2020-12-03", 10.0), ("a", "2020-12-10", 0.0), ("a", "2020-12-17", 0.0)]
    )

    assert result.frequency.tolist() == [2]
    assert result.monetary.tolist() == [0.0]


def test_exact_duplicate_rows_are_kept_and_counted():
    result = summarise_rows(
        [("a", "2020-12-03", 10.0), ("a", "2020-12-10", 5.0), ("a", "2020-12-10", 5.0)]
    )

    assert result.duplicate_rows == 1
    assert result.frequency.tolist() == [1]
    assert result.monetary.tolist() == [10.0]


def test_customers_are_sorted_by_id_and_kept_apart():
    result = summarise_rows(
        [("b", "2020-12-03", 1.0), ("a", "2020-12-10", 2.0), ("b", "2020-12-10", 3.0)]
    )

    assert result.customer_ids.tolist() == ["a", "b"]
    assert result.frequency.tolist() == [0, 1]
    assert result.first_purchase.tolist() == [dt.date(2020, 12, 10), dt.date(2020, 12, 3)]


def test_purchases_after_calibration_end_count_only_as_holdout():
    result = summarise_rows(
        [("a", "2020-12-03", 10.0), ("a", "2021-01-05", 5.0), ("a", "2021-01-06", 5.0)],
        observation_end="2021-01-31",
    )

    assert result.frequency.tolist() == [0]
    assert result.holdout_frequency.tolist() == [2]


def test_without_observation_end_later_purchases_are_ignored():
    result = summarise_rows([("a", "2020-12-03", 10.0), ("a", "2021-01-05", 5.0)])

    assert result.frequency.tolist() == [0]
    assert result.holdout_frequency is None


def test_customers_first_buying_after_calibration_end_are_left_out_and_counted():
    result = summarise_rows([("a", "2020-12-03", 10.0), ("b", "2021-01-05", 5.0)])

    assert result.customer_ids.tolist() == ["a"]
    assert result.customers_after_calibration == 1


def test_dates_in_the_future_are_rejected():
    with pytest.raises(ClvError, match="after"):
        summarise_rows([("a", "2020-12-03", 10.0), ("a", "2999-01-01", 5.0)])


def test_dates_after_observation_end_are_rejected():
    with pytest.raises(ClvError, match="transaction 2"):
        summarise_rows(
            [("a", "2020-12-03", 10.0), ("a", "2021-03-01", 5.0)], observation_end="2021-01-31"
        )


def test_calibration_end_before_the_first_transaction_is_rejected():
    with pytest.raises(ClvError, match="before the first transaction"):
        summarise_rows([("a", "2020-12-03", 10.0)], calibration_end="2020-01-01")


def test_calibration_end_in_the_future_is_rejected():
    with pytest.raises(ClvError, match="future"):
        summarise_rows([("a", "2020-12-03", 10.0)], calibration_end="2999-01-01")


def test_observation_end_before_calibration_end_is_rejected():
    with pytest.raises(ClvError, match="must come after"):
        summarise_rows([("a", "2020-12-03", 10.0)], observation_end="2020-12-01")


def test_missing_amount_is_rejected_with_its_row():
    with pytest.raises(ClvError, match="Transaction 2"):
        summarise_rows([("a", "2020-12-03", 10.0), ("a", "2020-12-04", float("nan"))])


def test_missing_date_is_rejected_with_its_row():
    with pytest.raises(ClvError, match="Transaction 1"):
        summarise(["a"], [np.datetime64("NaT")], [1.0], calibration_end="2020-12-31")


def test_unreadable_date_is_rejected():
    with pytest.raises(ClvError, match="dates could not be read"):
        summarise(["a"], ["3 December"], [1.0], calibration_end="2020-12-31")


def test_lists_of_different_lengths_are_rejected():
    with pytest.raises(ClvError, match="same length"):
        summarise(["a", "b"], ["2020-12-03"], None, calibration_end="2020-12-31")


def test_no_transactions_are_rejected():
    with pytest.raises(ClvError, match="no transactions"):
        summarise([], np.array([], dtype="datetime64[D]"), None, calibration_end="2020-12-31")


def test_time_unit_must_be_positive():
    with pytest.raises(ClvError, match="time unit"):
        summarise_rows([("a", "2020-12-03", 10.0)], unit_days=0)


def test_without_amounts_monetary_is_zero_and_no_row_is_a_duplicate():
    result = summarise(
        ["a", "a", "a"], ["2020-12-03", "2020-12-03", "2020-12-10"], calibration_end="2020-12-31"
    )

    assert result.frequency.tolist() == [1]
    assert result.monetary.tolist() == [0.0]
    assert result.duplicate_rows == 0


def read_cdnow():
    """Return the CDNOW sample transactions: customer ids, dates and amounts."""
    with open(CDNOW / "cdnow_sample_transactions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = np.array([int(row["customer_id"]) for row in rows])
    dates = np.array([row["date"] for row in rows], dtype="datetime64[D]")
    amounts = np.array([float(row["amount"]) for row in rows])
    return ids, dates, amounts


@needs_cdnow
def test_cdnow_summary_equals_the_published_calibration_summary():
    published = np.genfromtxt(CDNOW / "cdnow_customers_summary.csv", delimiter=",", names=True)
    with_spend = np.genfromtxt(
        CDNOW / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )

    result = summarise(*read_cdnow(), calibration_end="1997-09-30")

    assert result.customer_ids.tolist() == published["ID"].astype(int).tolist()
    assert result.customer_ids.tolist() == with_spend["ID"].astype(int).tolist()
    assert result.frequency.tolist() == published["frequency"].astype(int).tolist()
    # The files round to two decimals.
    np.testing.assert_allclose(result.recency, published["recency"], rtol=0, atol=0.005 + 1e-9)
    np.testing.assert_allclose(result.T, published["T"], rtol=0, atol=0.005 + 1e-9)
    np.testing.assert_allclose(result.monetary, with_spend["zbar"], rtol=0, atol=0.005 + 1e-9)


@needs_cdnow
def test_cdnow_holdout_purchases_add_up_to_the_78_week_total():
    result = summarise(*read_cdnow(), calibration_end="1997-09-30", observation_end="1998-06-30")

    assert int(result.frequency.sum()) == 2457
    assert int(result.holdout_frequency.sum()) == 1882


def test_unreadable_calibration_end_is_rejected():
    with pytest.raises(ClvError, match="calibration end is not a date: end of June"):
        summarise_rows([("a", "2020-12-03", 10.0)], calibration_end="end of June")
