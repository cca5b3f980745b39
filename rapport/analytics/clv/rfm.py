"""RFM: recency, frequency and monetary quintile scores, and the named customer segments.

Scores run from 1 to 5, 5 being best: the most recent last purchase, the most purchases, the
highest spend. Each score is the quintile of the customer's mid-rank: a customer whose value
is above ``below`` customers and equal to ``equal`` customers (itself included) sits at
``p = (below + equal / 2) / n`` and scores ``1 + floor(5 p)``. Equal values therefore always
get equal scores, larger values never a lower one, and the rule needs no tie-breaking order.
A large tied block takes the quintile its middle falls in: if 60% of customers bought once,
they all score F 2 (their ranks span quintiles 1 to 3). One customer, or customers who are
all alike, score 3, the middle, since there is nothing to tell them apart.

The segment comes from R and FM, the mean of F and M rounded down (F 5 and M 4 give FM 4),
on the commonly used RFM grid; every cell belongs to exactly one segment:

=====  ===============  ===================  ===================  ===========  ===========
R/FM   1                2                    3                    4            5
=====  ===============  ===================  ===================  ===========  ===========
5      new              potential_loyalists  potential_loyalists  champions    champions
4      promising        potential_loyalists  potential_loyalists  champions    champions
3      hibernating      about_to_sleep       need_attention       loyal        loyal
2      lost             lost                 at_risk              at_risk      cannot_lose
1      lost             lost                 at_risk              at_risk      cannot_lose
=====  ===============  ===================  ===================  ===========  ===========

The grid follows the segments of the usual RFM playbooks (R against FM): the best customers
recently active are champions, the same customers gone quiet are at risk or, for the very
best, cannot be lost; recent customers with little history yet are new (R 5) or promising
(R 4). Rounding FM down keeps the top segments for customers strong in both F and M.
"""

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from rapport.analytics.clv.fitting import ClvError

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
)

# GRID[r - 1][fm - 1]: the table of the module docstring, row R 1 first.
GRID = (
    ("lost", "lost", "at_risk", "at_risk", "cannot_lose"),
    ("lost", "lost", "at_risk", "at_risk", "cannot_lose"),
    ("hibernating", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
)
_GRID = np.array(GRID)

SEGMENT_LABELS = {
    "champions": pgettext_lazy("customer segment", "Champions"),
    "loyal": pgettext_lazy("customer segment", "Loyal customers"),
    "potential_loyalists": pgettext_lazy("customer segment", "Potential loyalists"),
    "new": pgettext_lazy("customer segment", "New customers"),
    "promising": pgettext_lazy("customer segment", "Promising"),
    "need_attention": pgettext_lazy("customer segment", "Need attention"),
    "about_to_sleep": pgettext_lazy("customer segment", "About to sleep"),
    "at_risk": pgettext_lazy("customer segment", "At risk"),
    "cannot_lose": pgettext_lazy("customer segment", "Cannot lose them"),
    "hibernating": pgettext_lazy("customer segment", "Hibernating"),
    "lost": pgettext_lazy("customer segment", "Lost"),
}

SEGMENT_DESCRIPTIONS = {
    "champions": pgettext_lazy(
        "customer segment", "Bought recently, buy often and spend the most."
    ),
    "loyal": pgettext_lazy(
        "customer segment", "Buy often and spend well; the last purchase was a while ago."
    ),
    "potential_loyalists": pgettext_lazy(
        "customer segment", "Bought recently, with an average history so far: could become loyal."
    ),
    "new": pgettext_lazy(
        "customer segment",
        "Bought very recently, but rarely and little so far: mostly first buyers.",
    ),
    "promising": pgettext_lazy(
        "customer segment", "Bought recently, but rarely and little so far."
    ),
    "need_attention": pgettext_lazy(
        "customer segment", "Average in recency, frequency and spend: may slip away without care."
    ),
    "about_to_sleep": pgettext_lazy(
        "customer segment",
        "Bought a while ago, less often and for less than average: will be lost without a nudge.",
    ),
    "at_risk": pgettext_lazy(
        "customer segment", "Used to buy often and spend well, but not for a long time."
    ),
    "cannot_lose": pgettext_lazy(
        "customer segment", "Among the best buyers, but not for a long time: win them back."
    ),
    "hibernating": pgettext_lazy(
        "customer segment", "Bought a while ago, rarely and for little: gone quiet."
    ),
    "lost": pgettext_lazy(
        "customer segment", "Bought long ago, rarely and for little: probably gone."
    ),
}


def _quintiles(values: np.ndarray) -> np.ndarray:
    """Return the 1-5 quintile of each value's mid-rank (larger value, higher score)."""
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    _unique, inverse, equal = np.unique(values, return_inverse=True, return_counts=True)
    below = np.cumsum(equal) - equal
    # Integer arithmetic: 1 + floor(5 * (below + equal / 2) / n), never above 5 since
    # below + equal <= n and equal >= 1.
    score = 1 + (5 * (2 * below + equal)) // (2 * n)
    return score[inverse.ravel()].astype(np.int8)


def _as_column(values) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ClvError(_("Recency, frequency and monetary value must be numbers.")) from None
    if array.ndim != 1 or not np.isfinite(array).all():
        raise ClvError(_("Recency, frequency and monetary value must be lists of finite numbers."))
    return array


def scores(recency_days, frequency, monetary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the R, F and M quintile scores (1-5, 5 best) of each customer.

    ``recency_days`` is the time since the last purchase (lower is better), ``frequency``
    the number of purchases, ``monetary`` the spend; each customer is compared with the
    others in the same call.
    """
    recency, purchases, spend = (_as_column(v) for v in (recency_days, frequency, monetary))
    if not recency.size == purchases.size == spend.size:
        raise ClvError(_("Recency, frequency and monetary value must have the same length."))
    if (recency < 0).any():
        raise ClvError(_("Recency must be 0 or more days: a last purchase cannot lie ahead."))
    if (purchases < 0).any():
        raise ClvError(_("Frequency must be 0 or more."))
    return _quintiles(-recency), _quintiles(purchases), _quintiles(spend)


def _check_scores(r, f, m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        r, f, m = np.broadcast_arrays(*(np.asarray(v) for v in (r, f, m)))
    except ValueError:
        raise ClvError(_("R, F and M scores must have the same length.")) from None
    for score in (r, f, m):
        if score.dtype.kind not in "iuf" or not np.isin(score, (1, 2, 3, 4, 5)).all():
            raise ClvError(_("R, F and M scores must be whole numbers from 1 to 5."))
    return r.astype(np.int8), f.astype(np.int8), m.astype(np.int8)


def fm_scores(f, m) -> np.ndarray:
    """Return the combined FM score: the mean of F and M, rounded down."""
    _r, f, m = _check_scores(1, f, m)
    return (f + m) // 2


def segments(r, f, m) -> np.ndarray:
    """Return the segment code of each customer from their R, F and M scores."""
    r, f, m = _check_scores(r, f, m)
    return _GRID[r - 1, (f + m) // 2 - 1]


def segment(r, f, m) -> str:
    """Return the segment code of one customer from their R, F and M scores."""
    if not all(np.ndim(v) == 0 for v in (r, f, m)):
        raise ClvError(_("R, F and M scores must be whole numbers from 1 to 5."))
    return str(segments(r, f, m))
