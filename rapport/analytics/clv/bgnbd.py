"""The BG/NBD purchase model (Fader, Hardie and Lee 2005, "Counting Your Customers the Easy Way").

While alive, a customer buys at a Poisson rate lambda (gamma distributed across customers:
shape r, rate alpha); after every purchase the customer drops out with probability p (beta
distributed across customers: a, b). The inputs are the summary statistics of
``summary.summarise``: frequency x (repeat purchases), recency t_x and age T, in one time unit.
"""

import time

import numpy as np
from django.utils.translation import gettext as _
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from rapport.analytics.clv.fitting import ClvError, FitResult, check_fittable, check_summary

PARAMS = ("r", "alpha", "a", "b")


def _unpack(params) -> tuple[float, float, float, float]:
    params = getattr(params, "params", params)
    try:
        values = tuple(float(params[name]) for name in PARAMS)
    except (KeyError, TypeError):
        raise ClvError(_("BG/NBD needs the parameters r, alpha, a and b.")) from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ClvError(_("BG/NBD parameters must be positive numbers."))
    return values


def _log_likelihood(r, alpha, a, b, x, tx, T):
    """Return the log-likelihood of each customer (FHL 2005, equation 6, in log space)."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    stay = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # The drop-out term exists only after a repeat purchase; b + x - 1 > 0 there.
    drop = np.full_like(stay, -np.inf)
    xr = x[repeat]
    drop[repeat] = np.log(a) - np.log(b + xr - 1) - (r + xr) * np.log(alpha + tx[repeat])
    return common + np.logaddexp(stay, drop)


def _log_likelihood_and_gradient(r, alpha, a, b, x, tx, T):
    """Return each customer's log-likelihood and its gradient in (log r, log alpha, log a, log b)."""
    log_alpha_T = np.log(alpha + T)
    stay = -(r + x) * log_alpha_T
    repeat = x > 0
    drop = np.full_like(stay, -np.inf)
    xr = x[repeat]
    log_alpha_tx = np.zeros_like(stay)
    log_alpha_tx[repeat] = np.log(alpha + tx[repeat])
    b_x_1 = np.ones_like(stay)
    b_x_1[repeat] = b + xr - 1
    drop[repeat] = np.log(a) - np.log(b_x_1[repeat]) - (r + xr) * log_alpha_tx[repeat]
    mixed = np.logaddexp(stay, drop)
    w = np.exp(drop - mixed)  # the weight of the drop-out branch, 0 when x = 0
    psi_r_x, psi_abx, psi_b_x = digamma(r + x), digamma(a + b + x), digamma(b + x)
    psi_r, psi_ab, psi_b = digamma(r), digamma(a + b), digamma(b)
    ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b) + mixed
    d_r = psi_r_x - psi_r + np.log(alpha) - (1 - w) * log_alpha_T - w * log_alpha_tx
    d_alpha = r / alpha - (r + x) * ((1 - w) / (alpha + T) + w / (alpha + np.where(repeat, tx, 1)))
    d_a = psi_ab - psi_abx + w / a
    d_b = psi_b_x - psi_abx - psi_b + psi_ab - w / b_x_1
    gradient = np.stack((d_r * r, d_alpha * alpha, d_a * a, d_b * b))
    return ll, gradient


def _log_drop_ratio(r, alpha, a, b, x, tx, T):
    """Return log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x), -inf for x = 0."""
    out = np.full(np.broadcast(x, tx, T).shape, -np.inf)
    x, tx, T = np.broadcast_arrays(x, tx, T)
    repeat = x > 0
    xr = x[repeat]
    out[repeat] = (
        np.log(a)
        - np.log(b + xr - 1)
        + (r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + tx[repeat]))
    )
    return out


def fit(frequency, recency, T) -> FitResult:
    """Fit BG/NBD by maximum likelihood and return r, alpha, a and b."""
    started = time.perf_counter()
    x, tx, age = check_fittable(frequency, recency, T)
    customers = x.size

    # Customers with the same (x, t_x, T) contribute the same term: sum each row once, weighted.
    rows, weights = np.unique(
        np.column_stack((x, tx, age)).ravel().view(np.dtype((np.void, 24))), return_counts=True
    )
    rows = rows.view(float).reshape(-1, 3)
    # Time in units where the oldest customer is 10 old keeps alpha near 1 whatever the unit.
    scale = 10.0 / age.max()
    ux, utx, uT = rows[:, 0], rows[:, 1] * scale, rows[:, 2] * scale
    total = weights.sum()

    def objective(log_params):
        r, alpha, a, b = np.exp(log_params)
        ll, gradient = _log_likelihood_and_gradient(r, alpha, a, b, ux, utx, uT)
        return -(weights @ ll) / total, -(gradient @ weights) / total

    result = minimize(objective, np.log([0.5, 1.0, 0.5, 1.0]), method="BFGS", jac=True)
    r, alpha, a, b = np.exp(result.x)
    alpha /= scale
    log_likelihood = float(weights @ _log_likelihood(r, alpha, a, b, ux, rows[:, 1], rows[:, 2]))
    converged = bool(result.success) and bool(np.isfinite(log_likelihood))
    return FitResult(
        model="bgnbd",
        params={"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)},
        log_likelihood=log_likelihood,
        customers=int(customers),
        converged=converged,
        iterations=int(result.nit),
        seconds=time.perf_counter() - started,
        message="" if converged else str(result.message),
    )


def p_alive(params, frequency, recency, T) -> np.ndarray:
    """Return the probability that each customer is still alive at T (FHL 2005, eq. 11)."""
    r, alpha, a, b = _unpack(params)
    x, tx, age = check_summary(frequency, recency, T)
    return expit(-_log_drop_ratio(r, alpha, a, b, x, tx, age))


def expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """Return the expected purchases of each customer in the next ``t`` units (FHL 2005, eq. 10)."""
    r, alpha, a, b = _unpack(params)
    x, tx, age = check_summary(frequency, recency, T)
    t = np.asarray(t, dtype=float)
    if not np.isfinite(t).all() or (t < 0).any():
        raise ClvError(_("The horizon must be a time of 0 or more."))
    numerator = 1.0 - np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t))) * hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + age + t)
    )
    expected = (a + b + x - 1) / (a - 1) * numerator
    return expected * expit(-_log_drop_ratio(r, alpha, a, b, x, tx, age))


def expected_cumulative(params, t) -> np.ndarray:
    """Return E[X(t)], the expected repeat purchases of a new customer by time ``t`` (eq. 9)."""
    r, alpha, a, b = _unpack(params)
    t = np.asarray(t, dtype=float)
    if not np.isfinite(t).all() or (t < 0).any():
        raise ClvError(_("The time must be 0 or more."))
    return (
        (a + b - 1)
        / (a - 1)
        * (
            1.0
            - np.exp(r * (np.log(alpha) - np.log(alpha + t)))
            * hyp2f1(r, b, a + b - 1, t / (alpha + t))
        )
    )
