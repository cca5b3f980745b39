"""CLV is expected purchases times expected spend times margin, discounted month by month."""

import numpy as np
import pytest

from rapport.analytics.clv import bgnbd, gamma_gamma
from rapport.analytics.clv.fitting import ClvError
from rapport.analytics.clv.value import DAYS_PER_MONTH, customer_value

PURCHASES = {"r": 0.2426, "alpha": 4.4135, "a": 0.7930, "b": 2.4264}
SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CUSTOMERS = {
    "frequency": np.array([0, 2, 7, 2]),
    "recency": np.array([0.0, 30.43, 35.0, 5.0]),
    "T": np.array([38.86, 38.86, 36.0, 38.86]),
    "monetary": np.array([0.0, 22.35, 40.0, 22.35]),
}


def purchases_by(months: float) -> np.ndarray:
    weeks = months * DAYS_PER_MONTH / 7
    return bgnbd.expected_purchases(
        PURCHASES, weeks, CUSTOMERS["frequency"], CUSTOMERS["recency"], CUSTOMERS["T"]
    )


def spend() -> np.ndarray:
    return gamma_gamma.expected_average_value(SPEND, CUSTOMERS["frequency"], CUSTOMERS["monetary"])


def test_one_month_without_discount_is_purchases_times_spend_times_margin():
    value = customer_value(
        PURCHASES, SPEND, **CUSTOMERS, horizon_months=1, annual_discount=0.0, margin=0.3
    )

    np.testing.assert_allclose(value, purchases_by(1) * spend() * 0.3, rtol=1e-12)


def test_one_month_is_discounted_by_a_twelfth_of_a_year():
    value = customer_value(PURCHASES, SPEND, **CUSTOMERS, horizon_months=1, annual_discount=0.1)

    np.testing.assert_allclose(value, purchases_by(1) * spend() / 1.1 ** (1 / 12), rtol=1e-12)


def test_a_year_without_discount_is_a_years_purchases_times_spend():
    value = customer_value(PURCHASES, SPEND, **CUSTOMERS, horizon_months=12, annual_discount=0.0)

    np.testing.assert_allclose(value, purchases_by(12) * spend(), rtol=1e-10)


def test_each_month_is_discounted_at_its_end():
    value = customer_value(PURCHASES, SPEND, **CUSTOMERS, horizon_months=2, annual_discount=0.1)

    first, both = purchases_by(1), purchases_by(2)
    hand = (first / 1.1 ** (1 / 12) + (both - first) / 1.1 ** (2 / 12)) * spend()
    np.testing.assert_allclose(value, hand, rtol=1e-12)


def test_discounting_lowers_the_value_and_a_longer_horizon_raises_it():
    plain = customer_value(PURCHASES, SPEND, **CUSTOMERS, annual_discount=0.0)
    discounted = customer_value(PURCHASES, SPEND, **CUSTOMERS, annual_discount=0.2)
    longer = customer_value(PURCHASES, SPEND, **CUSTOMERS, horizon_months=24)

    assert np.all(discounted < plain)
    assert np.all(longer > customer_value(PURCHASES, SPEND, **CUSTOMERS))


def test_parameters_may_come_as_fit_results():
    class Fitted:
        params = PURCHASES

    assert customer_value(Fitted(), SPEND, **CUSTOMERS) == pytest.approx(
        customer_value(PURCHASES, SPEND, **CUSTOMERS)
    )


def test_customers_sharing_a_history_get_the_same_value():
    value = customer_value(
        PURCHASES,
        SPEND,
        frequency=[2, 2],
        recency=[30.43, 30.43],
        T=[38.86, 38.86],
        monetary=[22.35, 22.35],
    )

    assert value[0] == value[1]


def test_time_unit_in_days_gives_the_same_value():
    weeks = customer_value(PURCHASES, SPEND, **CUSTOMERS)
    in_days = dict(CUSTOMERS, recency=CUSTOMERS["recency"] * 7, T=CUSTOMERS["T"] * 7)
    days = customer_value(
        dict(PURCHASES, alpha=PURCHASES["alpha"] * 7), SPEND, **in_days, unit_days=1
    )

    np.testing.assert_allclose(days, weeks, rtol=1e-10)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"horizon_months": 0}, "whole number of months"),
        ({"horizon_months": 1.5}, "whole number of months"),
        ({"annual_discount": -1.0}, "discount rate"),
        ({"margin": float("nan")}, "margin"),
        ({"unit_days": 0}, "time unit"),
        ({"model": "weibull"}, "Unknown purchase model"),
    ],
)
def test_bad_options_are_rejected(option, message):
    with pytest.raises(ClvError, match=message):
        customer_value(PURCHASES, SPEND, **CUSTOMERS, **option)
