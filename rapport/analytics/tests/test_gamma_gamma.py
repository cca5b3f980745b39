"""Gamma-Gamma reproduces Fader and Hardie (2013) on CDNOW and shrinks spend sensibly."""

import csv
from pathlib import Path

import numpy as np
import pytest

from rapport.analytics.clv import gamma_gamma
from rapport.analytics.clv.fitting import ClvError
from rapport.analytics.clv.summary import summarise

CDNOW = Path("/work/shared/data/cdnow")
PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def fitted():
    if not CDNOW.is_dir():
        pytest.skip("the CDNOW data is not in /work/shared/data/cdnow")
    # From the transactions: the summary file rounds zbar to cents, which moves gamma by 0.004.
    with open(CDNOW / "cdnow_sample_transactions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    summary = summarise(
        [row["customer_id"] for row in rows],
        [row["date"] for row in rows],
        [float(row["amount"]) for row in rows],
        calibration_end="1997-09-30",
    )
    return gamma_gamma.fit(summary.frequency, summary.monetary)


def test_fit_on_cdnow_uses_the_946_repeat_customers(fitted):
    assert fitted.converged
    assert fitted.customers == 946


def test_fit_on_cdnow_reproduces_published_parameters(fitted):
    assert f"{fitted.params['p']:.3g}" == "6.25"
    assert f"{fitted.params['q']:.3g}" == "3.74"
    assert f"{fitted.params['gamma']:.4g}" == "15.44"


def test_fit_on_cdnow_reproduces_published_log_likelihood_of_average_spend(fitted):
    # The published -4055.92 is the log density of the averages zbar, not of the totals.
    assert fitted.log_likelihood == pytest.approx(-4055.92, abs=0.01)
    assert fitted.extra["log_likelihood_of_totals"] == pytest.approx(-4659.29, abs=0.01)


def test_customer_without_repeat_purchases_gets_the_population_mean():
    value = gamma_gamma.expected_average_value(PARAMS, [0], [0.0])

    assert value[0] == pytest.approx(6.25 * 15.44 / 2.74)


def test_customer_whose_repeat_purchases_were_all_returned_gets_the_population_mean():
    value = gamma_gamma.expected_average_value(PARAMS, [2, 0], [-5.0, 0.0])

    assert value[0] == pytest.approx(value[1])


def test_expected_spend_moves_toward_own_average_with_more_purchases():
    population = 6.25 * 15.44 / 2.74
    values = gamma_gamma.expected_average_value(PARAMS, [1, 5, 50], [100.0, 100.0, 100.0])

    assert population < values[0] < values[1] < values[2] < 100.0
    # A weighted mean of the population mean and the customer's own average.
    weight = 6.25 * 1 / (6.25 * 1 + 3.74 - 1)
    assert values[0] == pytest.approx((1 - weight) * population + weight * 100.0)


def test_fit_leaves_out_customers_without_positive_repeat_spend():
    rng = np.random.default_rng(3)
    frequency = rng.integers(1, 6, 200)
    monetary = rng.gamma(6.0, 5.0, 200)

    clean = gamma_gamma.fit(frequency, monetary)
    noisy = gamma_gamma.fit(np.r_[frequency, 0, 0, 3], np.r_[monetary, 0.0, 0.0, -12.0])

    assert noisy.customers == clean.customers == 200
    assert noisy.params == pytest.approx(clean.params)


def test_fit_needs_enough_customers_with_spend():
    with pytest.raises(ClvError, match="At least 10 customers"):
        gamma_gamma.fit([1, 2, 0], [10.0, 20.0, 0.0])


def test_fit_rejects_non_finite_spend():
    with pytest.raises(ClvError, match="finite"):
        gamma_gamma.fit([1] * 20, [np.inf] + [10.0] * 19)


def test_fit_rejects_spend_without_spread():
    with pytest.raises(ClvError, match="no spread"):
        gamma_gamma.fit([1, 2] * 10, [10.0] * 20)


def test_expected_value_needs_a_finite_population_mean():
    with pytest.raises(ClvError, match="no finite mean"):
        gamma_gamma.expected_average_value({"p": 6.0, "q": 0.9, "gamma": 15.0}, [1], [10.0])
