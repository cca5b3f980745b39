"""Expected customer lifetime value over a horizon: purchases times spend times margin, discounted.

A month is a twelfth of a year of 365.25 days; the purchases expected in month m are the
difference of the conditional expectations at the ends of months m and m-1, valued at the
customer's expected average purchase value (Gamma-Gamma) times the margin, and discounted to
today by (1 + annual_discount)^(m/12), as if paid at the end of the month.
"""

import importlib

import numpy as np
from django.utils.translation import gettext as _

from rapport.analytics.clv import bgnbd, gamma_gamma
from rapport.analytics.clv.fitting import ClvError, check_summary

DAYS_PER_MONTH = 365.25 / 12


def purchase_model(model: str):
    """Return the module of the named purchase model ("bgnbd" or "pareto"/"pareto_nbd")."""
    if model == "bgnbd":
        return bgnbd
    if model in ("pareto", "pareto_nbd"):
        try:
            return importlib.import_module("rapport.analytics.clv.pareto_nbd")
        except ImportError:
            raise ClvError(
                _("The Pareto/NBD model is not available in this installation.")
            ) from None
    raise ClvError(_("Unknown purchase model: %(model)s.") % {"model": model})


def customer_value(
    purchase_params,
    spend_params,
    frequency,
    recency,
    T,
    monetary,
    *,
    model: str = "bgnbd",
    horizon_months: int = 12,
    annual_discount: float = 0.10,
    margin: float = 1.0,
    unit_days: float = 7,
) -> np.ndarray:
    """Return each customer's expected value over the next ``horizon_months``, discounted."""
    module = purchase_model(model)
    if int(horizon_months) != horizon_months or horizon_months < 1:
        raise ClvError(_("The horizon must be a whole number of months, 1 or more."))
    if not np.isfinite(annual_discount) or annual_discount <= -1:
        raise ClvError(_("The annual discount rate must be greater than -1."))
    if not np.isfinite(margin):
        raise ClvError(_("The margin must be a number."))
    if not unit_days or not np.isfinite(unit_days) or unit_days <= 0:
        raise ClvError(_("The time unit must be a positive number of days."))
    x, tx, age = check_summary(frequency, recency, T)
    spend = gamma_gamma.expected_average_value(spend_params, x, monetary)

    # Many customers share (x, t_x, T); the special functions run once per distinct row.
    # Viewing each row as one 24-byte value makes np.unique sort once instead of per column.
    packed = np.ascontiguousarray(np.column_stack((x, tx, age))).view(np.dtype((np.void, 24)))
    rows, inverse = np.unique(packed.ravel(), return_inverse=True)
    rows = rows.view(float).reshape(-1, 3)
    inverse = inverse.reshape(-1)
    months = np.arange(int(horizon_months) + 1)
    ends = months * (DAYS_PER_MONTH / unit_days)
    cumulative = np.stack(
        [
            module.expected_purchases(purchase_params, end, rows[:, 0], rows[:, 1], rows[:, 2])
            for end in ends
        ]
    )
    per_month = np.diff(cumulative, axis=0)
    discount = (1.0 + annual_discount) ** (-months[1:] / 12.0)
    discounted_purchases = discount @ per_month
    return discounted_purchases[inverse] * spend * margin
