"""The Pareto/NBD purchase model (Schmittlein, Morrison and Colombo 1987).

While alive, a customer buys at a Poisson rate lambda (gamma distributed across customers:
shape r, rate alpha) and drops out after an exponentially distributed lifetime with rate mu
(gamma distributed across customers: shape s, rate beta). The inputs are the summary
statistics of ``summary.summarise``: frequency x (repeat purchases), recency t_x and age T, in
one time unit.

The likelihood follows Fader and Hardie, "A Note on Deriving the Pareto/NBD Model and Related
Expressions" (2005)::

    L = G(r+x) a^r b^s / G(r) * [ 1 / ((a+T)^(r+x) (b+T)^s) + s / (r+s+x) * A0 ]

with a = alpha, b = beta, and A0 the difference of two Gauss hypergeometric terms, taken at
t = t_x and t = T::

    a >= b:  A0 = F(r+s+x, s+1;   r+s+x+1; (a-b)/(a+t)) / (a+t)^(r+s+x)  |t=t_x - (same)|t=T
    a <  b:  A0 = F(r+s+x, r+x;   r+s+x+1; (b-a)/(b+t)) / (b+t)^(r+s+x)  |t=t_x - (same)|t=T

Everything is computed in log space. Each hypergeometric term goes through Euler's
transformation, F(c-1, k; c; z) = (1-z)^(1-k) F(1, c-k; c; z): the power carries the part
that grows without bound as z nears 1 (large x, alpha far from beta), and the remaining
F(1, .; c; z) is a well-behaved series, so neither overflows. The difference A0 is
``log t1 + log(1 - exp(log t2 - log t1))``, exact when t_x = T (A0 = 0, log A0 = -inf).
"""

import time
from collections.abc import Mapping

import numpy as np
from django.utils.translation import gettext as _
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1

from rapport.analytics.clv.fitting import ClvError, FitResult, check_fittable, check_summary

PARAMS = ("r", "alpha", "s", "beta")
# Once time is rescaled (see ``fit``) the parameters of real data lie well within exp(+-7);
# a fit that runs beyond is heading for 0 or infinity: the data do not identify the parameter
# (say, nobody seems to drop out, or every customer buys at the same rate).
LOG_LIMIT = 7.0


def _unpack(params) -> tuple[float, float, float, float]:
    params = getattr(params, "params", params)
    if not isinstance(params, Mapping):
        raise ClvError(_("Pareto/NBD needs the parameters r, alpha, s and beta."))
    try:
        values = tuple(float(params[name]) for name in PARAMS)
    except (KeyError, TypeError, ValueError):
        raise ClvError(_("Pareto/NBD needs the parameters r, alpha, s and beta.")) from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ClvError(_("Pareto/NBD parameters must be positive numbers."))
    return values


def _check_horizon(t) -> np.ndarray:
    try:
        t = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise ClvError(_("The horizon must be a time of 0 or more.")) from None
    if not np.isfinite(t).all() or (t < 0).any():
        raise ClvError(_("The horizon must be a time of 0 or more."))
    return t


def _log_hyp_term(r, alpha, s, beta, x, t):
    """Return log F(r+s+x, k; r+s+x+1; z) - (r+s+x) log(max(alpha, beta) + t), one per (x, t)."""
    c = r + s + x + 1.0
    if alpha >= beta:
        top, k, z = alpha, s + 1.0, (alpha - beta) / (alpha + t)
    else:
        top, k, z = beta, r + x, (beta - alpha) / (beta + t)
    # Euler's transformation: F(c-1, k; c; z) = (1-z)^(1-k) F(1, c-k; c; z).
    return (1.0 - k) * np.log1p(-z) + np.log(hyp2f1(1.0, c - k, c, z)) - (c - 1.0) * np.log(top + t)


def _log_a0(r, alpha, s, beta, x, tx, T, log_terms=None):
    """Return log A0; ``log_terms`` may hold the two hypergeometric terms already computed."""
    if log_terms is None:
        log_terms = (
            _log_hyp_term(r, alpha, s, beta, x, tx),
            _log_hyp_term(r, alpha, s, beta, x, T),
        )
    at_tx, at_T = log_terms
    # The term at t_x is the larger one; rounding may put them a hair the wrong way round
    # when t_x is close to T, where A0 is 0 anyway.
    with np.errstate(divide="ignore"):
        return at_tx + np.log(-np.expm1(np.minimum(at_T - at_tx, 0.0)))


def _log_alive_odds(r, alpha, s, beta, x, tx, T, log_a0):
    """Return log of (dead/alive) odds at T: s/(r+s+x) (a+T)^(r+x) (b+T)^s A0."""
    return (
        np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_a0
    )


def _log_likelihood(r, alpha, s, beta, x, tx, T, log_terms=None):
    """Return the log-likelihood of each customer."""
    log_a0 = _log_a0(r, alpha, s, beta, x, tx, T, log_terms)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + log_a0
    return common + np.logaddexp(alive, died)


class _Rows:
    """The unique (x, t_x, T) rows of a summary with their counts, and the unique (x, t) pairs.

    Customers with the same (x, t_x, T) contribute the same term, so each row is summed once,
    weighted. The hypergeometric terms depend on (x, t) only: every x = 0 customer shares
    t_x = 0, so computing them per unique pair halves the special-function calls.
    """

    def __init__(self, x, tx, T):
        rows, self.weights = np.unique(np.column_stack((x, tx, T)), axis=0, return_counts=True)
        self.x, self.tx, self.T = rows.T
        pairs, inverse = np.unique(
            np.concatenate((rows[:, [0, 1]], rows[:, [0, 2]])), axis=0, return_inverse=True
        )
        inverse = inverse.ravel()
        self.pair_x, self.pair_t = pairs.T
        self.at_tx, self.at_T = inverse[: len(rows)], inverse[len(rows) :]

    def log_likelihood(self, r, alpha, s, beta) -> float:
        terms = _log_hyp_term(r, alpha, s, beta, self.pair_x, self.pair_t)
        per_row = _log_likelihood(
            r, alpha, s, beta, self.x, self.tx, self.T, (terms[self.at_tx], terms[self.at_T])
        )
        return float(self.weights @ per_row)


def fit(frequency, recency, T) -> FitResult:
    """Fit Pareto/NBD by maximum likelihood and return r, alpha, s and beta."""
    started = time.perf_counter()
    x, tx, age = check_fittable(frequency, recency, T)
    customers = x.size

    # Time in units where the oldest customer is 10 old keeps alpha and beta near 1 whatever
    # the unit (days, weeks, months), so one starting point serves all.
    scale = 10.0 / age.max()
    rows = _Rows(x, tx * scale, age * scale)

    def objective(log_params):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = -rows.log_likelihood(*np.exp(log_params)) / customers
        # A finite penalty steers the line search back instead of stopping it.
        return value if np.isfinite(value) else 1e10

    # BFGS rather than L-BFGS-B: the latter's BLAS calls stall under a busy multi-threaded
    # OpenBLAS (150 ms instead of 20 ms on CDNOW here); positivity comes from the log params.
    result = minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-6})
    r, alpha, s, beta = np.exp(result.x)
    alpha, beta = alpha / scale, beta / scale
    log_likelihood = _Rows(x, tx, age).log_likelihood(r, alpha, s, beta)
    if not np.isfinite(log_likelihood):
        raise ClvError(_("The Pareto/NBD fit failed: the likelihood is not a finite number."))
    # BFGS with a numerical gradient often stops on "precision loss" right at the optimum;
    # a gradient that small (per customer) is an optimum all the same.
    converged = bool(result.success) or bool(np.abs(result.jac).max() < 1e-6)
    message = "" if converged else str(result.message)
    at_edge = [name for name, v in zip(PARAMS, result.x, strict=True) if abs(v) > LOG_LIMIT]
    if at_edge:
        converged = False
        message = _(
            "The data do not pin down %(names)s: the fit ran off towards 0 or infinity."
        ) % {"names": ", ".join(at_edge)}
    return FitResult(
        model="pareto_nbd",
        params={"r": float(r), "alpha": float(alpha), "s": float(s), "beta": float(beta)},
        log_likelihood=log_likelihood,
        customers=int(customers),
        converged=converged,
        iterations=int(result.nit),
        seconds=time.perf_counter() - started,
        message=message,
        extra={"evaluations": float(result.nfev)},
    )


def p_alive(params, frequency, recency, T) -> np.ndarray:
    """Return the probability that each customer is still alive at T."""
    r, alpha, s, beta = _unpack(params)
    x, tx, age = check_summary(frequency, recency, T)
    log_a0 = _log_a0(r, alpha, s, beta, x, tx, age)
    return expit(-_log_alive_odds(r, alpha, s, beta, x, tx, age, log_a0))


def _one_minus_power_over(c: float, log_ratio):
    """Return (1 - exp(-c * log_ratio)) / c, which tends to log_ratio as c goes to 0."""
    if abs(c) < 1e-12:
        return log_ratio
    return -np.expm1(-c * log_ratio) / c


def expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """Return the expected purchases of each customer in the next ``t`` units."""
    r, alpha, s, beta = _unpack(params)
    x, tx, age = check_summary(frequency, recency, T)
    t = _check_horizon(t)
    # (r+x)(b+T) / ((a+T)(s-1)) * [1 - ((b+T)/(b+T+t))^(s-1)], written to hold at s = 1 too.
    while_alive = (
        (r + x)
        * (beta + age)
        / (alpha + age)
        * _one_minus_power_over(s - 1.0, np.log1p(t / (beta + age)))
    )
    log_a0 = _log_a0(r, alpha, s, beta, x, tx, age)
    return while_alive * expit(-_log_alive_odds(r, alpha, s, beta, x, tx, age, log_a0))


def expected_cumulative(params, t) -> np.ndarray:
    """Return E[X(t)], the expected repeat purchases of a new customer by time ``t``."""
    r, alpha, s, beta = _unpack(params)
    t = _check_horizon(t)
    return r * beta / alpha * _one_minus_power_over(s - 1.0, np.log1p(t / beta))
