"""Customer value models: fit times on CDNOW, and a million customers side by side with lifetimes.

``python -m bench.clv`` prints JSON:

- ``cdnow``: the median of ``BENCH_CLV_REPEATS`` (default 20) fits of BG/NBD, Pareto/NBD and
  Gamma-Gamma on the CDNOW sample's 39-week calibration period (2,357 customers), ours and,
  when ``lifetimes`` is installed (``pip install -e ".[bench]"``), lifetimes' on the same
  arrays; with the fitted parameters of both (and our log-likelihoods).
- ``scale``: ``BENCH_CLV_CUSTOMERS`` (default 1,000,000) customers drawn with replacement from
  the summaries of the whole CDNOW data (23,570 customers, 78 weeks). Each side fits BG/NBD
  and Gamma-Gamma and scores every customer (expected purchases in 13 and 52 weeks, P(alive),
  12-month CLV at 10 % a year), in its own child process so that its peak memory is its own.
  ``ratio`` is lifetimes' time over ours.

The data comes from ``../shared/data/cdnow/`` (``BENCH_CLV_DATA`` to point elsewhere); a
missing directory or a missing ``lifetimes`` is reported in the JSON, not raised.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCH_CLV_DATA", ROOT.parent / "shared" / "data" / "cdnow"))
TARGETS = {
    "cdnow_bgnbd_fit_ms": 50.0,
    "cdnow_pareto_fit_ms": 200.0,
    "cdnow_gamma_gamma_fit_ms": 20.0,
    "scale_seconds": 30.0,
    "scale_peak_mb": 2048.0,
    "scale_ratio": 5.0,
}
SEED = 20261123
ANNUAL_DISCOUNT = 0.10
HORIZON_MONTHS = 12


# --- Data -----------------------------------------------------------------------------------


def calibration_summary() -> dict[str, np.ndarray]:
    """Return the CDNOW sample's 39-week calibration summary (x, t_x, T in weeks, zbar)."""
    rows = np.genfromtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    names = rows.dtype.names
    return {
        "frequency": rows[names[1]].astype(float),
        "recency": rows[names[2]].astype(float),
        "T": rows[names[3]].astype(float),
        "monetary": rows[names[4]].astype(float),
    }


def master_summary() -> dict[str, np.ndarray]:
    """Return every CDNOW master customer's summary over the 78 weeks (days aggregated)."""
    from rapport.analytics.clv.summary import summarise

    raw = np.genfromtxt(DATA / "CDNOW_master.txt", skip_header=1, dtype=None, encoding=None)
    ids = raw[raw.dtype.names[0]]
    dates = np.array(
        [f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in raw[raw.dtype.names[1]]],
        dtype="datetime64[D]",
    )
    amounts = raw[raw.dtype.names[3]].astype(float)
    summary = summarise(
        ids, dates, amounts, calibration_end=np.datetime64("1998-06-30"), unit_days=7
    )
    return {
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
        "monetary": summary.monetary,
    }


def resampled(count: int) -> dict[str, np.ndarray]:
    """Return ``count`` customers drawn with replacement from the CDNOW master summaries."""
    base = master_summary()
    picks = np.random.default_rng(SEED).integers(0, len(base["frequency"]), size=count)
    return {name: values[picks] for name, values in base.items()}


# --- Ours and lifetimes' ---------------------------------------------------------------------


def _median_ms(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def cdnow_fits(repeats: int) -> dict:
    """Time the three fits on the calibration data, ours and lifetimes'."""
    from rapport.analytics.clv import bgnbd, gamma_gamma, pareto_nbd

    s = calibration_summary()
    x, tx, big_t, m = s["frequency"], s["recency"], s["T"], s["monetary"]
    repeat = (x > 0) & (m > 0)
    ours = {
        "bgnbd": (lambda: bgnbd.fit(x, tx, big_t)),
        "pareto": (lambda: pareto_nbd.fit(x, tx, big_t)),
        "gamma_gamma": (lambda: gamma_gamma.fit(x, m)),
    }
    result: dict = {"customers": len(x), "repeat_customers": int(repeat.sum()), "ours": {}}
    for name, function in ours.items():
        fitted = function()
        result["ours"][name] = {
            "fit_ms": _median_ms(function, repeats),
            "params": {k: round(v, 4) for k, v in fitted.params.items()},
            "log_likelihood": round(fitted.log_likelihood, 2),
            "converged": fitted.converged,
        }
    try:
        import lifetimes
    except ImportError:
        result["lifetimes"] = {"skipped": "lifetimes is not installed (pip install -e '.[bench]')"}
        return result
    theirs = {
        "bgnbd": (lambda: lifetimes.BetaGeoFitter().fit(x, tx, big_t)),
        "pareto": (lambda: lifetimes.ParetoNBDFitter().fit(x, tx, big_t)),
        "gamma_gamma": (lambda: lifetimes.GammaGammaFitter().fit(x[repeat], m[repeat])),
    }
    result["lifetimes"] = {"version": lifetimes.__version__}
    for name, function in theirs.items():
        fitted = function()
        result["lifetimes"][name] = {
            "fit_ms": _median_ms(function, max(3, repeats // 4)),
            "params": {k: round(float(v), 4) for k, v in fitted.params_.items()},
        }
    return result


def score_ours(data: dict[str, np.ndarray]) -> dict:
    """Fit BG/NBD and Gamma-Gamma and score every customer with our models."""
    from rapport.analytics.clv import bgnbd, gamma_gamma, value

    x, tx, big_t, m = data["frequency"], data["recency"], data["T"], data["monetary"]
    started = time.perf_counter()
    purchases = bgnbd.fit(x, tx, big_t)
    spend = gamma_gamma.fit(x, m)
    fitted = time.perf_counter()
    quarter = bgnbd.expected_purchases(purchases.params, 13, x, tx, big_t)
    year = bgnbd.expected_purchases(purchases.params, 52, x, tx, big_t)
    alive = bgnbd.p_alive(purchases.params, x, tx, big_t)
    clv = value.customer_value(
        purchases.params,
        spend.params,
        x,
        tx,
        big_t,
        m,
        horizon_months=HORIZON_MONTHS,
        annual_discount=ANNUAL_DISCOUNT,
        unit_days=7,
    )
    done = time.perf_counter()
    return {
        "fit_seconds": round(fitted - started, 3),
        "score_seconds": round(done - fitted, 3),
        "seconds": round(done - started, 3),
        "bgnbd": {k: round(v, 4) for k, v in purchases.params.items()},
        "gamma_gamma": {k: round(v, 4) for k, v in spend.params.items()},
        "checksum": _checksum(quarter, year, alive, clv),
    }


def score_lifetimes(data: dict[str, np.ndarray]) -> dict:
    """The same with lifetimes: its fitters, its conditional expectations and its CLV."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x, tx, big_t, m = data["frequency"], data["recency"], data["T"], data["monetary"]
    repeat = (x > 0) & (m > 0)
    started = time.perf_counter()
    purchases = BetaGeoFitter().fit(x, tx, big_t)
    spend = GammaGammaFitter().fit(x[repeat], m[repeat])
    fitted = time.perf_counter()
    quarter = purchases.conditional_expected_number_of_purchases_up_to_time(13, x, tx, big_t)
    year = purchases.conditional_expected_number_of_purchases_up_to_time(52, x, tx, big_t)
    alive = purchases.conditional_probability_alive(x, tx, big_t)
    # lifetimes' discount rate is per month; (1 + 0.10) ** (1 / 12) - 1 is 10 % a year.
    clv = spend.customer_lifetime_value(
        purchases,
        pd.Series(x),
        pd.Series(tx),
        pd.Series(big_t),
        pd.Series(m),
        time=HORIZON_MONTHS,
        discount_rate=(1 + ANNUAL_DISCOUNT) ** (1 / 12) - 1,
        freq="W",
    )
    done = time.perf_counter()
    return {
        "fit_seconds": round(fitted - started, 3),
        "score_seconds": round(done - fitted, 3),
        "seconds": round(done - started, 3),
        "bgnbd": {k: round(float(v), 4) for k, v in purchases.params_.items()},
        "gamma_gamma": {k: round(float(v), 4) for k, v in spend.params_.items()},
        "checksum": _checksum(quarter, year, alive, np.asarray(clv)),
    }


def _checksum(*arrays) -> dict:
    """Return the means of the scores, so the two sides can be compared in the results."""
    names = ("expected_13_weeks", "expected_52_weeks", "p_alive", "clv")
    return {
        name: round(float(np.mean(np.asarray(a, dtype=float))), 4)
        for name, a in zip(names, arrays, strict=True)
    }


def child(side: str, count: int) -> None:
    """Run one side in this (child) process and print its figures with its peak memory."""
    data = resampled(count)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = score_ours(data) if side == "ours" else score_lifetimes(data)
    figures["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["peak_mb_after_loading_data"] = round(loaded, 1)
    print(json.dumps(figures))


def run_side(side: str, count: int, timeout: int) -> dict:
    """Run ``side`` in a child process; return its figures or what went wrong."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.clv", "--child", side, str(count)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout} s"}
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure() -> dict:
    """Return every figure of this benchmark (see the module docstring)."""
    if not DATA.is_dir():
        return {"skipped": f"no CDNOW data at {DATA}"}
    repeats = int(os.environ.get("BENCH_CLV_REPEATS", "20"))
    count = int(os.environ.get("BENCH_CLV_CUSTOMERS", "1000000"))
    timeout = int(os.environ.get("BENCH_CLV_TIMEOUT", "1800"))
    result = {"cdnow": cdnow_fits(repeats), "scale": {"customers": count}}
    result["scale"]["ours"] = run_side("ours", count, timeout)
    try:
        import lifetimes  # noqa: F401 - only whether it is there
    except ImportError:
        result["scale"]["lifetimes"] = {"skipped": "lifetimes is not installed"}
    else:
        result["scale"]["lifetimes"] = run_side("lifetimes", count, timeout)
    ours, theirs = result["scale"]["ours"], result["scale"]["lifetimes"]
    if "seconds" in ours and "seconds" in theirs:
        result["scale"]["ratio"] = round(theirs["seconds"] / ours["seconds"], 1)
    result["met"] = evaluate(result)
    return result


def evaluate(result: dict) -> dict:
    """Return which targets the figures meet."""
    ours = (result.get("cdnow") or {}).get("ours") or {}
    scale = result.get("scale") or {}
    met = {}
    for name, key in (("bgnbd", "cdnow_bgnbd_fit_ms"), ("pareto", "cdnow_pareto_fit_ms")):
        if name in ours:
            met[key] = ours[name]["fit_ms"] < TARGETS[key]
    if "gamma_gamma" in ours:
        met["cdnow_gamma_gamma_fit_ms"] = (
            ours["gamma_gamma"]["fit_ms"] < TARGETS["cdnow_gamma_gamma_fit_ms"]
        )
    side = scale.get("ours") or {}
    if "seconds" in side:
        met["scale_seconds"] = side["seconds"] < TARGETS["scale_seconds"]
        met["scale_peak_mb"] = side["peak_mb"] < TARGETS["scale_peak_mb"]
    if "ratio" in scale:
        met["scale_ratio"] = scale["ratio"] >= TARGETS["scale_ratio"]
    return met


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        print(json.dumps(measure(), indent=2))
