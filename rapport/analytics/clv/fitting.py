"""What every model fit returns, and the error it raises when the data cannot support a fit."""

from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

#: Fewer customers than this cannot support a fit of any of the models.
MIN_CUSTOMERS = 10


class ClvError(ValueError):
    """Data a model cannot be fitted to or scored with; ``message`` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FitResult:
    """A fitted model: its parameters by name, the log-likelihood, and how the fit went."""

    model: str  # "bgnbd", "pareto_nbd" or "gamma_gamma"
    params: dict[str, float]
    log_likelihood: float
    customers: int  # how many customers the likelihood summed over
    converged: bool
    iterations: int
    seconds: float
    message: str = ""  # the optimiser's own words when it did not converge
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Return the result as plain JSON-ready values."""
        return {
            "model": self.model,
            "params": dict(self.params),
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "converged": self.converged,
            "iterations": self.iterations,
            "seconds": self.seconds,
            "message": self.message,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


def check_summary(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the three statistics as float arrays, or raise ClvError when they are not valid."""
    try:
        x = np.asarray(frequency, dtype=float)
        tx = np.asarray(recency, dtype=float)
        age = np.asarray(T, dtype=float)
    except (TypeError, ValueError):
        raise ClvError(_("Frequency, recency and T must be numbers.")) from None
    try:
        x, tx, age = np.broadcast_arrays(x, tx, age)
    except ValueError:
        raise ClvError(_("Frequency, recency and T must have the same length.")) from None
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(age).all()):
        raise ClvError(_("Frequency, recency and T must be finite numbers."))
    if (x < 0).any() or (x != np.round(x)).any():
        raise ClvError(_("Frequency must be a whole number of repeat purchases, 0 or more."))
    if (tx < 0).any() or (tx > age + 1e-9).any():
        raise ClvError(_("Recency must lie between 0 and T."))
    if ((x == 0) & (tx != 0)).any():
        raise ClvError(_("A customer without repeat purchases must have a recency of 0."))
    if ((x > 0) & (tx <= 0)).any():
        raise ClvError(_("A customer with repeat purchases must have a recency above 0."))
    return x, tx, age


def check_fittable(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the statistics as flat float arrays if a purchase model can be fitted to them.

    Beyond ``check_summary``: enough customers, some repeat purchases, and some customer who
    has been known for a while; else ClvError saying which is missing.
    """
    x, tx, age = (values.ravel() for values in check_summary(frequency, recency, T))
    if x.size < MIN_CUSTOMERS:
        raise ClvError(
            _("At least %(n)d customers are needed to fit a purchase model; there are %(c)d.")
            % {"n": MIN_CUSTOMERS, "c": x.size}
        )
    if not (x > 0).any():
        raise ClvError(
            _("No customer made a repeat purchase: the data cannot tell how often customers buy.")
        )
    if (age <= 0).all():
        raise ClvError(_("Every customer made the first purchase at the calibration end."))
    return x, tx, age
