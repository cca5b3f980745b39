"""BG/NBD reproduces Fader, Hardie and Lee (2005) on CDNOW and predicts sensibly."""

import csv
from pathlib import Path

import numpy as np
import pytest

from rapport.analytics.clv import bgnbd
from rapport.analytics.clv.fitting import ClvError
from rapport.analytics.clv.summary import summarise

CDNOW = Path("/work/shared/data/cdnow")
needs_cdnow = pytest.mark.skipif(
    not CDNOW.is_dir(), reason="the CDNOW data is not in /work/shared/data/cdnow"
)
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARAMS = {"r": 0.2426, "alpha": 4.4135, "a": 0.7930, "b": 2.4264}


def three_digits(value: float) -> str:
    return f"{value:.3g}"


@pytest.fixture(scope="module")
def cdnow():
    """Return the CDNOW calibration summary with holdout counts, and the repeat purchase days."""
    if not CDNOW.is_dir():
        pytest.skip("the CDNOW data is not in /work/shared/data/cdnow")
    with open(CDNOW / "cdnow_sample_transactions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = np.array([int(row["customer_id"]) for row in rows])
    dates = np.array([row["date"] for row in rows], dtype="datetime64[D]")
    summary = summarise(ids, dates, calibration_end="1997-09-30", observation_end="1998-06-30")
    purchase_days = np.unique(np.column_stack((ids, dates.astype(np.int64))), axis=0)
    first_of_customer = np.r_[True, purchase_days[1:, 0] != purchase_days[:-1, 0]]
    repeat_days = purchase_days[~first_of_customer, 1].astype("datetime64[D]")
    return summary, repeat_days


@pytest.fixture(scope="module")
def fitted(cdnow):
    summary, _ = cdnow
    return bgnbd.fit(summary.frequency, summary.recency, summary.T)


@needs_cdnow
def test_fit_on_cdnow_reproduces_published_parameters(fitted):
    assert fitted.converged
    assert fitted.customers == 2357
    for name, published in PUBLISHED.items():
        assert three_digits(fitted.params[name]) == three_digits(published), name


@needs_cdnow
def test_fit_on_cdnow_reproduces_published_log_likelihood(fitted):
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.05)


@needs_cdnow
def test_expected_cumulative_repeat_purchases_track_the_holdout_weeks(cdnow, fitted):
    """Reproduce FHL 2005, figure 2: cumulative repeat purchases, weeks 40 to 78."""
    summary, repeat_days = cdnow
    start = np.datetime64("1997-01-01")
    first_day = (summary.first_purchase - start).astype(float)
    errors = {}
    for week in range(40, 79):
        last_day = 7 * week - 1  # days since 1997-01-01; week 39 ends on 1997-09-30
        actual = np.count_nonzero((repeat_days - start).astype(int) <= last_day)
        age = np.clip((last_day - first_day) / 7, 0, None)  # each customer's own time
        expected = bgnbd.expected_cumulative(fitted.params, age).sum()
        errors[week] = (expected, actual)

    expected, actual = errors[78]
    assert actual == 4339
    assert expected == pytest.approx(4160.6, abs=0.5)
    assert (expected - actual) / actual == pytest.approx(-0.0411, abs=0.0005)
    assert all(abs(e - a) / a < 0.05 for e, a in errors.values())


@needs_cdnow
def test_conditional_expectations_follow_holdout_purchases_by_calibration_frequency(cdnow, fitted):
    """Reproduce FHL 2005, figure 4: mean holdout purchases by calibration purchases, 0 to 7+."""
    summary, _ = cdnow
    expected = bgnbd.expected_purchases(
        fitted.params, 39, summary.frequency, summary.recency, summary.T
    )
    group = np.minimum(summary.frequency, 7)
    predicted = [expected[group == x].mean() for x in range(8)]
    actual = [summary.holdout_frequency[group == x].mean() for x in range(8)]

    np.testing.assert_allclose(
        predicted, [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157], atol=0.001
    )
    np.testing.assert_allclose(
        actual, [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359], atol=0.001
    )
    assert expected.sum() == pytest.approx(1653.4, abs=0.5)  # against 1,882 actual


def test_conditional_expectation_matches_the_excel_notes_customer_one():
    # Customer 1 of CDNOW (x = 2, t_x = 30.43, T = 38.86), 39 weeks ahead: 1.226.
    assert bgnbd.expected_purchases(PARAMS, 39, [2], [30.43], [38.86])[0] == pytest.approx(
        1.226, abs=0.001
    )


def test_new_customer_expects_the_unconditional_purchases():
    t = np.array([1.0, 10.0, 52.0])

    conditional = bgnbd.expected_purchases(PARAMS, t, 0, 0.0, 0.0)

    np.testing.assert_allclose(conditional, bgnbd.expected_cumulative(PARAMS, t), rtol=1e-10)


def test_no_time_means_no_expected_purchases():
    assert bgnbd.expected_purchases(PARAMS, 0, [3], [10.0], [20.0])[0] == pytest.approx(0)
    assert bgnbd.expected_cumulative(PARAMS, 0) == pytest.approx(0)


def test_expected_purchases_grow_with_the_horizon():
    expected = bgnbd.expected_purchases(PARAMS, np.array([1.0, 4.0, 13.0, 52.0]), 3, 20.0, 30.0)

    assert np.all(np.diff(expected) > 0)


def test_customer_without_repeat_purchases_is_alive():
    # BG/NBD customers can only drop out right after a purchase.
    assert bgnbd.p_alive(PARAMS, [0, 0], [0.0, 0.0], [5.0, 38.0]).tolist() == [1.0, 1.0]


def test_p_alive_falls_the_longer_a_repeat_buyer_has_been_silent():
    alive = bgnbd.p_alive(PARAMS, [4, 4, 4], [30.0, 20.0, 5.0], [30.0, 30.0, 30.0])

    assert alive[0] > alive[1] > alive[2] > 0
    assert alive[0] <= 1


def test_p_alive_is_finite_for_extreme_histories():
    alive = bgnbd.p_alive(PARAMS, [500], [0.01], [1000.0])

    assert np.isfinite(alive).all()
    assert 0 <= alive[0] < 1e-6


def test_fit_needs_enough_customers():
    with pytest.raises(ClvError, match="At least 10 customers"):
        bgnbd.fit([1, 0], [2.0, 0.0], [5.0, 5.0])


def test_fit_needs_some_repeat_purchases():
    with pytest.raises(ClvError, match="No customer made a repeat purchase"):
        bgnbd.fit(np.zeros(20), np.zeros(20), np.full(20, 10.0))


def test_fit_rejects_non_finite_values():
    with pytest.raises(ClvError, match="finite"):
        bgnbd.fit([1, np.nan] * 10, [1.0, 1.0] * 10, [5.0, 5.0] * 10)


def test_fit_rejects_recency_after_t():
    with pytest.raises(ClvError, match="Recency"):
        bgnbd.fit([1] * 20, [6.0] * 20, [5.0] * 20)


def test_fit_rejects_fractional_frequency():
    with pytest.raises(ClvError, match="whole number"):
        bgnbd.fit([1.5] * 20, [1.0] * 20, [5.0] * 20)


def test_predictions_reject_missing_parameters():
    with pytest.raises(ClvError, match="r, alpha, a and b"):
        bgnbd.p_alive({"r": 1.0}, [1], [1.0], [2.0])


def test_predictions_reject_a_negative_horizon():
    with pytest.raises(ClvError, match="horizon"):
        bgnbd.expected_purchases(PARAMS, -1, [1], [1.0], [2.0])


def test_fit_does_not_depend_on_the_time_unit():
    rng = np.random.default_rng(7)
    T = rng.uniform(20, 40, 300)
    recency = T * rng.uniform(0, 1, 300)
    frequency = rng.poisson(2, 300) * (recency > 0)
    recency = np.where(frequency > 0, recency, 0.0)  # no repeat purchase: recency 0

    weeks = bgnbd.fit(frequency, recency, T)
    days = bgnbd.fit(frequency, recency * 7, T * 7)

    assert days.params["alpha"] == pytest.approx(weeks.params["alpha"] * 7, rel=1e-3)
    assert days.params["r"] == pytest.approx(weeks.params["r"], rel=1e-3)
