"""The Gamma-Gamma model of average spend (Fader and Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

Each purchase of a customer is gamma distributed with shape p and a customer-specific rate
nu, and nu is gamma distributed across customers (shape q, rate gamma). The model reads a
customer's number of repeat purchases x and their average value zbar, and predicts the
customer's expected average purchase value, shrunk toward the population mean p*gamma/(q-1)
the fewer purchases there are.
"""

import time

import numpy as np
from django.utils.translation import gettext as _
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from rapport.analytics.clv.fitting import MIN_CUSTOMERS, ClvError, FitResult

PARAMS = ("p", "q", "gamma")


def _inputs(frequency, monetary) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, m = np.broadcast_arrays(
            np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
        )
    except (TypeError, ValueError):
        raise ClvError(
            _("Frequency and spend must be two lists of numbers of the same length.")
        ) from None
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise ClvError(_("Frequency and spend must be finite numbers."))
    if (x < 0).any():
        raise ClvError(_("Frequency must be 0 or more."))
    return x, m


def _unpack(params) -> tuple[float, float, float]:
    params = getattr(params, "params", params)
    try:
        values = tuple(float(params[name]) for name in PARAMS)
    except (KeyError, TypeError):
        raise ClvError(_("Gamma-Gamma needs the parameters p, q and gamma.")) from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ClvError(_("Gamma-Gamma parameters must be positive numbers."))
    return values


def _log_likelihood(p, q, gamma, x, m):
    """Return the log density of each customer's average spend zbar = m given x purchases."""
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m)
    )


def _log_likelihood_and_gradient(p, q, gamma, x, m):
    """Return each log density and its gradient in (log p, log q, log gamma)."""
    px = p * x
    log_m, log_x, log_total = np.log(m), np.log(x), np.log(gamma + x * m)
    psi_pxq = digamma(px + q)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * log_m
        + px * log_x
        - (px + q) * log_total
    )
    d_p = x * (psi_pxq - digamma(px) + log_m + log_x - log_total)
    d_q = psi_pxq - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    return ll, np.stack((d_p * p, d_q * q, d_gamma * gamma))


def fit(frequency, monetary) -> FitResult:
    """Fit Gamma-Gamma by maximum likelihood on the customers with repeat purchases and spend.

    Customers without a repeat purchase, or whose repeat purchases add up to no positive
    spend, carry no information about spend and are left out (Fader and Hardie 2013).
    ``extra["log_likelihood_of_totals"]`` is the log-likelihood of the spend totals x*zbar
    instead of the averages, the convention of some published spreadsheets (docs/clv.md).
    """
    started = time.perf_counter()
    x, m = _inputs(frequency, monetary)
    used = (x > 0) & (m > 0)
    customers = int(np.count_nonzero(used))
    if customers < MIN_CUSTOMERS:
        raise ClvError(
            _(
                "At least %(n)d customers with repeat purchases and positive spend are needed "
                "to fit the spend model; there are %(c)d."
            )
            % {"n": MIN_CUSTOMERS, "c": customers}
        )
    x, m = x[used], m[used]
    if np.ptp(m) == 0:
        raise ClvError(_("Every customer spends the same on average: there is no spread to fit."))
    rows, weights = np.unique(
        np.column_stack((x, m)).ravel().view(np.dtype((np.void, 16))), return_counts=True
    )
    rows = rows.view(float).reshape(-1, 2)
    # Spend in units of its mean keeps gamma near 1 whatever the currency.
    scale = float(np.mean(m))
    ux, um = rows[:, 0], rows[:, 1] / scale
    total = weights.sum()

    def objective(log_params):
        ll, gradient = _log_likelihood_and_gradient(*np.exp(log_params), ux, um)
        return -(weights @ ll) / total, -(gradient @ weights) / total

    result = minimize(objective, np.log([1.0, 1.0, 1.0]), method="BFGS", jac=True)
    p, q, gamma = np.exp(result.x)
    gamma *= scale
    ll = _log_likelihood(p, q, gamma, ux, rows[:, 1])
    log_likelihood = float(weights @ ll)
    converged = bool(result.success) and bool(np.isfinite(log_likelihood))
    return FitResult(
        model="gamma_gamma",
        params={"p": float(p), "q": float(q), "gamma": float(gamma)},
        log_likelihood=log_likelihood,
        customers=customers,
        converged=converged,
        iterations=int(result.nit),
        seconds=time.perf_counter() - started,
        message="" if converged else str(result.message),
        extra={"log_likelihood_of_totals": float(log_likelihood - weights @ np.log(ux))},
    )


def expected_average_value(params, frequency, monetary) -> np.ndarray:
    """Return each customer's expected average purchase value (Fader and Hardie 2013, eq. 5).

    Customers without a repeat purchase, or without positive repeat spend, get the population
    mean p*gamma/(q-1), which exists only for q > 1.
    """
    p, q, gamma = _unpack(params)
    x, m = _inputs(frequency, monetary)
    if q <= 1:
        raise ClvError(
            _("The fitted spend model has no finite mean (q = %(q).3g is not above 1).") % {"q": q}
        )
    known = (x > 0) & (m > 0)
    xk = np.where(known, x, 0.0)
    mk = np.where(known, m, 0.0)
    return (p * gamma + p * xk * mk) / (p * xk + q - 1)
