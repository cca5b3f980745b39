"""Pareto/NBD: the fit reproduces Fader, Hardie and Lee (2005) on CDNOW; predictions behave."""

from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln, hyp2f1

from rapport.analytics.clv import pareto_nbd
from rapport.analytics.clv.fitting import ClvError

CDNOW_SUMMARY = Path("/work/shared/data/cdnow/cdnow_customers_summary.csv")
# Fader, Hardie and Lee 2005, "Counting Your Customers the Easy Way", 39-week calibration.
PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED_LOG_LIKELIHOOD = -9595.0
PARAMS = dict(PUBLISHED)


@pytest.fixture(scope="module")
def cdnow():
    if not CDNOW_SUMMARY.exists():
        pytest.skip(f"The CDNOW calibration summary is not at {CDNOW_SUMMARY}.")
    data = np.loadtxt(CDNOW_SUMMARY, delimiter=",", skiprows=1)
    return data[:, 1], data[:, 2], data[:, 3]


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return pareto_nbd.fit(*cdnow)


def textbook_log_likelihood(r, alpha, s, beta, x, tx, T):
    """Return the likelihood exactly as printed in the note, without any log-space care."""
    rsx = r + s + x
    if alpha >= beta:
        top, k = alpha, s + 1
    else:
        top, k = beta, r + x
    z = abs(alpha - beta)
    a0 = (
        hyp2f1(rsx, k, rsx + 1, z / (top + tx)) / (top + tx) ** rsx
        - hyp2f1(rsx, k, rsx + 1, z / (top + T)) / (top + T) ** rsx
    )
    likelihood = (
        np.exp(gammaln(r + x) - gammaln(r))
        * alpha**r
        * beta**s
        * (1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / rsx * a0)
    )
    return np.log(likelihood)


def test_fit_reproduces_the_published_parameters_on_cdnow(cdnow_fit):
    for name, published in PUBLISHED.items():
        assert f"{cdnow_fit.params[name]:.3g}" == f"{published:.3g}"
        assert cdnow_fit.params[name] == pytest.approx(published, rel=1e-3)


def test_fit_reproduces_the_published_log_likelihood_on_cdnow(cdnow_fit):
    assert cdnow_fit.log_likelihood == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.05)


def test_fit_reports_convergence_and_the_customers_counted(cdnow_fit):
    assert cdnow_fit.model == "pareto_nbd"
    assert cdnow_fit.converged
    assert cdnow_fit.customers == 2357
    assert cdnow_fit.message == ""


def test_fit_gives_the_same_model_in_days_as_in_weeks(cdnow, cdnow_fit):
    x, tx, T = cdnow
    in_days = pareto_nbd.fit(x, tx * 7, T * 7)
    assert in_days.params["r"] == pytest.approx(cdnow_fit.params["r"], rel=1e-3)
    assert in_days.params["alpha"] == pytest.approx(cdnow_fit.params["alpha"] * 7, rel=1e-3)
    assert in_days.params["beta"] == pytest.approx(cdnow_fit.params["beta"] * 7, rel=1e-3)


@pytest.mark.parametrize(
    "params",
    [
        PARAMS,
        {"r": 0.6, "alpha": 8.0, "s": 0.9, "beta": 14.0},
        {"r": 2.0, "alpha": 5.0, "s": 1.5, "beta": 5.0},
    ],
    ids=["alpha below beta", "alpha well below beta", "alpha equal to beta"],
)
def test_stable_likelihood_equals_the_textbook_formula_where_that_is_computable(params, cdnow):
    x, tx, T = cdnow
    expected = textbook_log_likelihood(*params.values(), x, tx, T)
    actual = pareto_nbd._log_likelihood(*params.values(), x, tx, T)
    np.testing.assert_allclose(actual, expected, rtol=1e-9)


def test_stable_likelihood_equals_the_textbook_formula_when_alpha_exceeds_beta(cdnow):
    x, tx, T = cdnow
    params = (0.5, 12.0, 0.7, 4.0)
    np.testing.assert_allclose(
        pareto_nbd._log_likelihood(*params, x, tx, T),
        textbook_log_likelihood(*params, x, tx, T),
        rtol=1e-9,
    )


def test_likelihood_stays_finite_where_the_textbook_formula_overflows():
    x, tx, T = np.array([2000.0, 5000.0]), np.array([30.0, 38.0]), np.array([39.0, 39.0])
    for params in [(0.5, 1.0, 0.6, 50.0), (0.5, 50.0, 0.6, 1.0)]:
        with np.errstate(all="ignore"):
            assert not np.isfinite(textbook_log_likelihood(*params, x, tx, T)).all()
        assert np.isfinite(pareto_nbd._log_likelihood(*params, x, tx, T)).all()


def simulate(params, customers, seed):
    """Return (x, t_x, T) of customers drawn from the Pareto/NBD model itself."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(26, 39, customers)
    rate = rng.gamma(params["r"], 1 / params["alpha"], customers)
    lifetime = rng.exponential(1 / rng.gamma(params["s"], 1 / params["beta"], customers))
    active = np.minimum(lifetime, T)
    x = rng.poisson(rate * active)
    # The last of x uniform purchase times on (0, active).
    tx = np.where(x > 0, active * rng.uniform(size=customers) ** (1 / np.maximum(x, 1)), 0.0)
    return x, tx, T


@pytest.mark.parametrize(
    "params",
    [
        PARAMS,
        {"r": 2.0, "alpha": 5.0, "s": 1.5, "beta": 20.0},
        {"r": 0.3, "alpha": 20.0, "s": 0.3, "beta": 2.0},
    ],
    ids=["cdnow-like", "alpha below beta", "alpha above beta"],
)
def test_fit_finds_the_maximum_and_the_model_behind_simulated_customers(params):
    x, tx, T = simulate(params, 10_000, seed=1)
    result = pareto_nbd.fit(x, tx, T)
    assert result.converged
    # The maximum is at least as likely as the truth, and not by more than chance explains
    # (twice the gap is chi-squared with 4 degrees of freedom: 10 is far in its tail).
    at_truth = pareto_nbd._log_likelihood(*params.values(), x, tx, T).sum()
    assert 0 <= result.log_likelihood - at_truth < 5
    # Single parameters wander with 10,000 customers (s and beta above all); what the model
    # predicts does not.
    np.testing.assert_allclose(
        pareto_nbd.expected_cumulative(result.params, [39.0, 78.0]),
        pareto_nbd.expected_cumulative(params, [39.0, 78.0]),
        rtol=0.04,
    )


def test_predictions_stay_finite_for_extreme_customers():
    frequency, recency, T = [5000, 5000, 0], [30.0, 39.0, 0.0], [39.0, 39.0, 39.0]
    alive = pareto_nbd.p_alive(PARAMS, frequency, recency, T)
    expected = pareto_nbd.expected_purchases(PARAMS, 52.0, frequency, recency, T)
    assert np.isfinite(alive).all() and np.isfinite(expected).all()
    assert alive[0] < 1e-6 < 0.999 < alive[1]


def test_p_alive_lies_between_0_and_1_for_every_cdnow_customer(cdnow, cdnow_fit):
    alive = pareto_nbd.p_alive(cdnow_fit.params, *cdnow)
    assert alive.shape == (2357,)
    assert ((alive >= 0) & (alive <= 1)).all()


def test_p_alive_is_higher_for_a_customer_who_bought_recently():
    recent, long_ago = pareto_nbd.p_alive(PARAMS, [3, 3], [37.0, 5.0], [39.0, 39.0])
    assert recent > long_ago


def test_p_alive_is_1_for_a_customer_who_bought_at_the_calibration_end():
    assert pareto_nbd.p_alive(PARAMS, [4], [39.0], [39.0]) == pytest.approx([1.0])


def test_conditional_expectation_grows_with_frequency_at_equal_recency_and_age():
    frequency = np.arange(1, 31)
    expected = pareto_nbd.expected_purchases(PARAMS, 39.0, frequency, 38.86, 38.86)
    assert (np.diff(expected) > 0).all()


def test_conditional_expectation_is_lower_for_a_customer_who_may_have_left():
    recent, long_ago = pareto_nbd.expected_purchases(PARAMS, 39.0, [3, 3], [37.0, 5.0], 39.0)
    assert recent > long_ago


def test_conditional_expectation_grows_with_the_horizon_and_is_0_at_0():
    expected = pareto_nbd.expected_purchases(
        PARAMS, np.array([0.0, 13.0, 26.0, 52.0]), 2, 20.0, 39.0
    )
    assert expected[0] == 0
    assert (np.diff(expected) > 0).all()


def test_expectations_hold_at_s_equal_to_1_where_the_formula_divides_by_0():
    near = {**PARAMS, "s": 1.0 + 1e-9}
    exact = {**PARAMS, "s": 1.0}
    assert pareto_nbd.expected_purchases(exact, 39.0, 2, 20.0, 39.0) == pytest.approx(
        pareto_nbd.expected_purchases(near, 39.0, 2, 20.0, 39.0), rel=1e-6
    )
    assert pareto_nbd.expected_cumulative(exact, 39.0) == pytest.approx(
        pareto_nbd.expected_cumulative(near, 39.0), rel=1e-6
    )


def test_expected_cumulative_starts_at_0_and_grows(cdnow_fit):
    expected = pareto_nbd.expected_cumulative(cdnow_fit.params, np.arange(0, 79, 13))
    assert expected[0] == 0
    assert (np.diff(expected) > 0).all()


def test_expected_cumulative_matches_the_mean_of_the_model_by_simulation():
    rng = np.random.default_rng(7)
    n, horizon = 400_000, 39.0
    rate = rng.gamma(PARAMS["r"], 1 / PARAMS["alpha"], n)
    lifetime = rng.exponential(1 / rng.gamma(PARAMS["s"], 1 / PARAMS["beta"], n))
    purchases = rng.poisson(rate * np.minimum(lifetime, horizon))
    assert pareto_nbd.expected_cumulative(PARAMS, horizon) == pytest.approx(
        purchases.mean(), rel=0.02
    )


def test_fit_refuses_data_without_any_repeat_purchase():
    with pytest.raises(ClvError, match="repeat purchase"):
        pareto_nbd.fit(np.zeros(50), np.zeros(50), np.full(50, 39.0))


def test_fit_refuses_a_handful_of_customers():
    with pytest.raises(ClvError, match="At least 10 customers"):
        pareto_nbd.fit([1, 2, 0, 3], [10.0, 20.0, 0.0, 30.0], [39.0] * 4)


@pytest.mark.parametrize(
    "frequency, recency, T, words",
    [
        ([1, np.nan], [10.0, 0.0], [39.0, 39.0], "finite"),
        ([1, 2], [10.0, np.inf], [39.0, 39.0], "finite"),
        ([1, -2], [10.0, 5.0], [39.0, 39.0], "whole number"),
        ([1, 1.5], [10.0, 5.0], [39.0, 39.0], "whole number"),
        ([1, 2], [10.0, -5.0], [39.0, 39.0], "between 0 and T"),
        ([1, 2], [10.0, 45.0], [39.0, 39.0], "between 0 and T"),
        ([0, 2], [10.0, 5.0], [39.0, 39.0], "recency of 0"),
        ([1, 2], [0.0, 5.0], [39.0, 39.0], "recency above 0"),
        ([1, 2], [10.0, 5.0, 3.0], [39.0, 39.0], "same length"),
        (["one", 2], [10.0, 5.0], [39.0, 39.0], "numbers"),
    ],
)
def test_fit_and_predictions_refuse_invalid_summaries(frequency, recency, T, words):
    with pytest.raises(ClvError, match=words):
        pareto_nbd.fit(frequency * 10, recency * 10, T * 10)
    with pytest.raises(ClvError, match=words):
        pareto_nbd.p_alive(PARAMS, frequency, recency, T)
    with pytest.raises(ClvError, match=words):
        pareto_nbd.expected_purchases(PARAMS, 10.0, frequency, recency, T)


@pytest.mark.parametrize(
    "params",
    [{"r": 0.5, "alpha": 10.0, "s": 0.6}, {**PARAMS, "beta": -1.0}, {**PARAMS, "s": np.nan}, None],
    ids=["missing", "negative", "nan", "none"],
)
def test_predictions_refuse_invalid_parameters(params):
    with pytest.raises(ClvError, match="Pareto/NBD"):
        pareto_nbd.p_alive(params, [1], [10.0], [39.0])


@pytest.mark.parametrize("t", [-1.0, np.nan, "soon"])
def test_predictions_refuse_an_invalid_horizon(t):
    with pytest.raises(ClvError, match="horizon"):
        pareto_nbd.expected_purchases(PARAMS, t, [1], [10.0], [39.0])
    with pytest.raises(ClvError, match="horizon"):
        pareto_nbd.expected_cumulative(PARAMS, t)


def test_predictions_accept_a_fit_result_as_parameters(cdnow_fit):
    assert pareto_nbd.p_alive(cdnow_fit, [1], [10.0], [39.0]).shape == (1,)


def test_fit_says_so_when_the_data_do_not_pin_a_parameter_down():
    # Nobody ever stops buying: every customer bought at the very end, so the drop-out
    # rate heads for 0 and its parameters are not identified.
    rng = np.random.default_rng(3)
    T = rng.uniform(20, 39, 200)
    frequency = rng.integers(1, 6, 200)
    result = pareto_nbd.fit(frequency, T, T)
    assert not result.converged
    assert "pin down" in result.message
