"""Score every customer: fit the purchase and spend models to all orders and store the results.

One run reads every revenue order as three numpy arrays (customer, day, amount), fits BG/NBD
(or Pareto/NBD) and Gamma-Gamma, computes RFM, expected purchases, P(alive) and a 12-month
CLV per customer, and upserts one ``CustomerValue`` row per customer who bought. The write is
one transaction: a failed fit or write leaves the previous scores as they were.

Choices recorded here (and on each ``ValueModelFit``):

- Time unit: weeks (``UNIT_DAYS = 7``), the convention of the literature and of the CDNOW
  checks, so the optimiser starts where the fits are known to behave. The stored counts and
  durations are in days all the same.
- Currency: amounts are in ``RAPPORT_DEFAULT_CURRENCY``. Orders in other currencies are
  left out (and counted in ``ScoringStats.other_currency_orders``): adding amounts of two
  currencies would be a silent wrong number, and converting them is out of scope.
- Days are UTC calendar days; orders after the UTC day of ``calibration_end`` (default: now)
  are ignored, orders later on that day count (a purchase is a day, not a moment).
"""

import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.analytics.clv import bgnbd, gamma_gamma, pareto_nbd, rfm, summary, value
from rapport.analytics.clv.fitting import ClvError, FitResult
from rapport.analytics.models import (
    BASELINE_DAYS,
    VALUABLE_SEGMENTS,
    CustomerValue,
    FitKind,
    FitOutcome,
    ValueModelFit,
)
from rapport.commerce.models import NON_REVENUE_STATUSES, Order
from rapport.commerce.money import MAX_AMOUNT
from rapport.customers.models import Customer

UNIT_DAYS = 7
HORIZON_MONTHS = 12
ANNUAL_DISCOUNT = 0.10
DEFAULT_MARGIN = 0.3
READ_CHUNK = 20_000
WRITE_BATCH = 2_000
#: The top fifth by CLV or by historic value counts as valuable.
VALUABLE_QUANTILE = 0.8
PURCHASE_MODELS = {
    "bgnbd": FitKind.BGNBD,
    "pareto": FitKind.PARETO_NBD,
    "pareto_nbd": FitKind.PARETO_NBD,
}
UPDATED_FIELDS = [
    "frequency",
    "recency_days",
    "age_days",
    "orders",
    "total_value",
    "monetary",
    "currency",
    "first_order_at",
    "last_order_at",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "expected_purchases_90d",
    "expected_purchases_1y",
    "p_alive",
    "p_alive_previous",
    "p_alive_previous_at",
    "expected_average_value",
    "clv",
    "valuable",
    "at_stake",
    "scored_at",
    "fit",
]
EPOCH = date(1970, 1, 1).toordinal()


@dataclass
class ScoringStats:
    """What one scoring run did; ``error`` says why it failed (scores then unchanged)."""

    ok: bool = False
    customers: int = 0
    orders: int = 0
    other_currency_orders: int = 0
    removed: int = 0
    seconds: float = 0.0
    error: str = ""
    fit_ids: list[int] = field(default_factory=list)


@dataclass
class OrderArrays:
    customer_ids: np.ndarray  # int64
    days: np.ndarray  # int64, days since 1970-01-01 (UTC)
    amounts: np.ndarray  # float64


def margin() -> float:
    """Return the share of revenue that is profit (setting ``CLV_MARGIN``, default 0.3)."""
    value = float(getattr(settings, "CLV_MARGIN", DEFAULT_MARGIN))
    if not 0 < value <= 1:
        raise ClvError(
            _("CLV_MARGIN must be above 0 and at most 1, not %(value)s.") % {"value": value}
        )
    return value


def read_orders(calibration_end: datetime, currency: str) -> tuple[OrderArrays, int]:
    """Return the revenue orders in ``currency`` up to ``calibration_end`` as arrays.

    Read in chunks into compact arrays (24 bytes an order), so that a million customers' orders
    never exist as a million model instances. Also return how many revenue orders in other
    currencies were left out.
    """
    # Purchases are counted by UTC day, so the whole calibration day counts, and no later one.
    day_after = datetime.combine(
        calibration_end.astimezone(UTC).date() + timedelta(days=1), clock.min, tzinfo=UTC
    )
    revenue = Order.objects.exclude(status__in=NON_REVENUE_STATUSES).filter(
        ordered_at__lt=day_after
    )
    ids, days, amounts = array("q"), array("q"), array("d")
    rows = revenue.filter(currency=currency).values_list("customer_id", "ordered_at", "total")
    for customer_id, ordered_at, total in rows.iterator(chunk_size=READ_CHUNK):
        ids.append(customer_id)
        days.append(ordered_at.astimezone(UTC).toordinal() - EPOCH)
        amounts.append(float(total))
    other = revenue.exclude(currency=currency).count()
    arrays = OrderArrays(
        np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, dtype=np.int64),
        np.frombuffer(days, dtype=np.int64) if days else np.zeros(0, dtype=np.int64),
        np.frombuffer(amounts, dtype=np.float64) if amounts else np.zeros(0, dtype=np.float64),
    )
    return arrays, other


@dataclass
class PerCustomer:
    """Each customer's order count and total spend, sorted by customer id."""

    customer_ids: np.ndarray
    orders: np.ndarray
    total: np.ndarray


def per_customer(arrays: OrderArrays) -> PerCustomer:
    """Return each customer's revenue order count and total spend.

    The purchase-day statistics (first purchase, repeat days, recency) come from
    ``clv.summary``; these two are plain sums the summary does not keep.
    """
    ids, inverse = np.unique(arrays.customer_ids, return_inverse=True)
    return PerCustomer(
        customer_ids=ids,
        orders=np.bincount(inverse, minlength=len(ids)),
        total=np.bincount(inverse, weights=arrays.amounts, minlength=len(ids)),
    )


def score_customers(
    *, now: datetime | None = None, model: str = "bgnbd", calibration_end: datetime | None = None
) -> ScoringStats:
    """Fit the value models to every customer's orders and store each customer's scores.

    ``model`` is the purchase model, "bgnbd" or "pareto" (Pareto/NBD). Customers without
    revenue orders get no row (rows of customers who no longer have any are removed). A
    ``ClvError`` from a fit is recorded as a failed ``ValueModelFit`` and returned in the
    stats; the previous scores stay untouched.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    calibration_end = calibration_end or now
    stats = ScoringStats()
    kind = PURCHASE_MODELS.get(model)
    if kind is None:
        raise ValueError(f"unknown purchase model {model!r}: use bgnbd or pareto")
    arrays, stats.other_currency_orders = read_orders(
        calibration_end, settings.RAPPORT_DEFAULT_CURRENCY
    )
    stats.orders = len(arrays.customer_ids)
    try:
        scores, fits = _compute(arrays, kind, calibration_end)
    except ClvError as error:
        fits = getattr(error, "fits", [])
        failed = ValueModelFit.objects.create(
            kind=getattr(error, "kind", kind),
            outcome=FitOutcome.FAILED,
            calibration_end=calibration_end,
            unit_days=UNIT_DAYS,
            fitted_at=now,
            error=error.message,
        )
        stats.fit_ids = [_save_fit(f, calibration_end, now).pk for f in fits] + [failed.pk]
        stats.error = error.message
        stats.seconds = time.perf_counter() - started
        return stats
    with transaction.atomic():
        saved = [_save_fit(f, calibration_end, now) for f in fits]
        stats.fit_ids = [f.pk for f in saved]
        stats.customers = _write(scores, saved[0], now)
        stats.removed = CustomerValue.objects.exclude(fit=saved[0]).delete()[0]
    stats.ok = True
    stats.seconds = time.perf_counter() - started
    return stats


def _fail(message: str, kind: str, fits: list[FitResult]) -> ClvError:
    error = ClvError(message)
    error.kind = kind  # type: ignore[attr-defined]
    error.fits = fits  # type: ignore[attr-defined]
    return error


def _compute(arrays: OrderArrays, kind: str, calibration_end: datetime) -> tuple[dict, list]:
    """Return the per-customer scores (arrays by name) and the two fits; raise ClvError."""
    if not len(arrays.customer_ids):
        raise _fail(_("There are no revenue orders to fit the models to."), kind, [])
    purchase, spend = (bgnbd if kind == FitKind.BGNBD else pareto_nbd), gamma_gamma
    end_day = calibration_end.astimezone(UTC).toordinal() - EPOCH
    summed = summary.summarise(
        arrays.customer_ids,
        arrays.days.astype("datetime64[D]"),
        arrays.amounts,
        calibration_end=np.datetime64(end_day, "D"),
        unit_days=UNIT_DAYS,
    )
    facts = per_customer(arrays)
    # The summary's customers (those with a purchase day) matched to their orders' facts.
    at = np.searchsorted(facts.customer_ids, summed.customer_ids)
    freq, rec, age, mon = summed.frequency, summed.recency, summed.T, summed.monetary
    purchase_fit = purchase.fit(freq, rec, age)
    try:
        spend_fit = spend.fit(freq, mon)
    except ClvError as error:
        raise _fail(error.message, FitKind.GAMMA_GAMMA, [purchase_fit]) from error
    fits = [purchase_fit, spend_fit]
    pp, sp = purchase_fit.params, spend_fit.params
    expected_90 = purchase.expected_purchases(pp, 90 / UNIT_DAYS, freq, rec, age)
    expected_1y = purchase.expected_purchases(pp, 365 / UNIT_DAYS, freq, rec, age)
    alive = purchase.p_alive(pp, freq, rec, age)
    average = spend.expected_average_value(sp, freq, mon)
    clv = value.customer_value(
        pp,
        sp,
        freq,
        rec,
        age,
        mon,
        model="bgnbd" if kind == FitKind.BGNBD else "pareto_nbd",
        horizon_months=HORIZON_MONTHS,
        annual_discount=ANNUAL_DISCOUNT,
        margin=margin(),
        unit_days=UNIT_DAYS,
    )
    for name, values in (
        ("expected purchases", expected_90),
        ("expected purchases", expected_1y),
        ("P(alive)", alive),
        ("expected average value", average),
        ("CLV", clv),
    ):
        if not np.all(np.isfinite(values)):
            raise _fail(
                _("The model gave non-finite %(what)s for some customers.") % {"what": name},
                kind,
                fits,
            )
    first = summed.first_purchase.astype(np.int64)
    recency_days = np.rint(rec * UNIT_DAYS).astype(np.int64)
    last = first + recency_days
    total = facts.total[at]
    days_since_last = end_day - last
    r, f, m = rfm.scores(days_since_last, freq, total)
    segments = np.asarray(rfm.segments(r, f, m))
    clv = np.clip(clv, 0, float(MAX_AMOUNT))
    valuable = (
        ((clv > 0) & (clv >= np.quantile(clv, VALUABLE_QUANTILE)))
        | ((total > 0) & (total >= np.quantile(total, VALUABLE_QUANTILE)))
        | np.isin(segments, [str(s) for s in VALUABLE_SEGMENTS])
    )
    alive = np.clip(alive, 0.0, 1.0)
    scores = {
        "customer_id": summed.customer_ids,
        "frequency": freq,
        "recency_days": recency_days,
        "age_days": end_day - first,
        "orders": facts.orders[at],
        "total_value": np.clip(total, -float(MAX_AMOUNT), float(MAX_AMOUNT)),
        "monetary": np.clip(mon, 0, float(MAX_AMOUNT)),
        "first_day": first,
        "last_day": last,
        "r_score": r,
        "f_score": f,
        "m_score": m,
        "segment": segments,
        "expected_purchases_90d": expected_90,
        "expected_purchases_1y": expected_1y,
        "p_alive": alive,
        "expected_average_value": np.clip(average, 0, float(MAX_AMOUNT)),
        "clv": clv,
        "valuable": valuable,
        # What a lapse would cost: the larger of the expected and the historic value.
        "at_stake": np.maximum(clv, np.maximum(total, 0)) * (1 - alive),
    }
    return scores, fits


def _save_fit(result: FitResult, calibration_end: datetime, now: datetime) -> ValueModelFit:
    return ValueModelFit.objects.create(
        kind=result.model,
        outcome=FitOutcome.OK,
        params=dict(result.params),
        log_likelihood=float(result.log_likelihood),
        customers=result.customers,
        converged=result.converged,
        iterations=result.iterations,
        seconds=result.seconds,
        unit_days=UNIT_DAYS,
        calibration_end=calibration_end,
        fitted_at=now,
        error=result.message if not result.converged else "",
    )


def _previous_p_alive() -> dict[str, np.ndarray]:
    """Return the stored scores' customer ids (sorted), P(alive), baselines and their times.

    Times are seconds since the epoch; NaN where there is no baseline yet.
    """
    ids, alive, scored = array("q"), array("d"), array("d")
    base, base_at = array("d"), array("d")
    rows = CustomerValue.objects.order_by("customer_id").values_list(
        "customer_id", "p_alive", "scored_at", "p_alive_previous", "p_alive_previous_at"
    )
    for customer_id, p, at, previous, previous_at in rows.iterator(chunk_size=READ_CHUNK):
        ids.append(customer_id)
        alive.append(p)
        scored.append(at.timestamp())
        base.append(np.nan if previous is None else previous)
        base_at.append(np.nan if previous_at is None else previous_at.timestamp())
    return {
        "ids": np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, dtype=np.int64),
        "p_alive": _floats(alive),
        "scored_at": _floats(scored),
        "baseline": _floats(base),
        "baseline_at": _floats(base_at),
    }


def _floats(values: array) -> np.ndarray:
    return np.frombuffer(values, dtype=np.float64) if values else np.zeros(0)


def _baseline(old: dict, k: int, now: datetime) -> tuple[float | None, datetime | None]:
    """Return the baseline to keep for stored row ``k``: the old one while it is younger
    than ``BASELINE_DAYS``, else the latest stored P(alive) (which becomes the baseline)."""
    kept_at = old["baseline_at"][k]
    if not np.isnan(kept_at) and now.timestamp() - kept_at < BASELINE_DAYS * 86400:
        return float(old["baseline"][k]), datetime.fromtimestamp(kept_at, tz=UTC)
    return float(old["p_alive"][k]), datetime.fromtimestamp(old["scored_at"][k], tz=UTC)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _moment(day: int) -> datetime:
    return datetime.fromordinal(int(day) + EPOCH).replace(tzinfo=UTC)


def _write(scores: dict, fit: ValueModelFit, now: datetime) -> int:
    """Upsert the scores in batches; the baseline P(alive) moves on once it is a month old."""
    old = _previous_p_alive()
    old_ids = old["ids"]
    currency = settings.RAPPORT_DEFAULT_CURRENCY
    ids = scores["customer_id"]
    written = 0
    for start in range(0, len(ids), WRITE_BATCH):
        batch = slice(start, start + WRITE_BATCH)
        batch_ids = ids[batch]
        # A customer deleted since the orders were read must not fail the whole run.
        existing = set(
            Customer.objects.filter(pk__in=batch_ids.tolist()).values_list("pk", flat=True)
        )
        where = np.searchsorted(old_ids, batch_ids)
        where = np.minimum(where, max(len(old_ids) - 1, 0))
        had = (old_ids[where] == batch_ids) if len(old_ids) else np.zeros(len(batch_ids), bool)
        rows = []
        for i, customer_id in enumerate(batch_ids.tolist()):
            if customer_id not in existing:
                continue
            k = start + i
            baseline, baseline_at = _baseline(old, where[i], now) if had[i] else (None, None)
            rows.append(
                CustomerValue(
                    customer_id=customer_id,
                    frequency=int(scores["frequency"][k]),
                    recency_days=int(scores["recency_days"][k]),
                    age_days=int(scores["age_days"][k]),
                    orders=int(scores["orders"][k]),
                    total_value=_money(scores["total_value"][k]),
                    monetary=_money(scores["monetary"][k]),
                    currency=currency,
                    first_order_at=_moment(scores["first_day"][k]),
                    last_order_at=_moment(scores["last_day"][k]),
                    r_score=int(scores["r_score"][k]),
                    f_score=int(scores["f_score"][k]),
                    m_score=int(scores["m_score"][k]),
                    segment=str(scores["segment"][k]),
                    expected_purchases_90d=float(scores["expected_purchases_90d"][k]),
                    expected_purchases_1y=float(scores["expected_purchases_1y"][k]),
                    p_alive=float(scores["p_alive"][k]),
                    p_alive_previous=baseline,
                    p_alive_previous_at=baseline_at,
                    expected_average_value=_money(scores["expected_average_value"][k]),
                    clv=_money(scores["clv"][k]),
                    valuable=bool(scores["valuable"][k]),
                    at_stake=_money(scores["at_stake"][k]),
                    scored_at=now,
                    fit=fit,
                )
            )
        CustomerValue.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=UPDATED_FIELDS,
        )
        written += len(rows)
    return written
