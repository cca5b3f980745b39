"""Whether a change between two periods exceeds the noise: three large-sample tests at 95%.

Each test returns a ``Comparison`` of "after minus before" with its standard error, 95%
interval and verdict. The tests rely on the normal approximation; when a sample is too small
for it the verdict says so instead of pretending to know.

- A proportion (CSAT: satisfied answers of all answers): the two-proportion z-test with the
  pooled proportion for the test and the unpooled standard error for the interval.
- NPS: each answer scores +1 (promoter), 0 (passive) or -1 (detractor); NPS is 100 times their
  mean, whose variance per answer is p + d - (p - d)^2. The two periods are independent, so
  the variances of the two means add up.
- A mean (CES) with the sample standard deviation of each period (Welch's z).
"""

import math
from dataclasses import dataclass

# The two-sided 95% quantile of the normal distribution.
Z95 = 1.959963984540054
# The normal approximation wants at least this many successes and failures per sample...
MIN_EXPECTED = 5
# ...and at least this many answers per period for NPS and means.
MIN_N = 10


class Verdict:
    """What a comparison says; the page shows a sentence per verdict."""

    BEYOND = "beyond"  # the change exceeds the noise at 95%
    WITHIN = "within"  # the change may be chance
    TOO_FEW = "too_few"  # a sample is too small for the approximation
    NO_ESTIMATE = "no_estimate"  # the KPI has no variance to test with
    NO_DATA = "no_data"  # a period has no value at all


@dataclass(frozen=True)
class Comparison:
    """A difference "after minus before", in the KPI's unit, and how sure it is."""

    difference: float
    standard_error: float
    z: float | None
    low: float
    high: float
    verdict: str

    @property
    def beyond_noise(self) -> bool:
        return self.verdict == Verdict.BEYOND


def _verdict(difference: float, z: float | None) -> str:
    if z is None:
        # No spread at all in either period: any difference is real, none is noise.
        return Verdict.BEYOND if difference else Verdict.WITHIN
    return Verdict.BEYOND if abs(z) > Z95 else Verdict.WITHIN


def two_proportions(
    before_successes: int, before_n: int, after_successes: int, after_n: int
) -> Comparison | None:
    """Compare two proportions, in percentage points; None when a period has no answers.

    >>> round(two_proportions(40, 100, 60, 100).z, 3)
    2.828
    """
    if before_n <= 0 or after_n <= 0:
        return None
    p1, p2 = before_successes / before_n, after_successes / after_n
    difference = 100.0 * (p2 - p1)
    pooled = (before_successes + after_successes) / (before_n + after_n)
    test_se = math.sqrt(pooled * (1 - pooled) * (1 / before_n + 1 / after_n))
    se = math.sqrt(p1 * (1 - p1) / before_n + p2 * (1 - p2) / after_n)
    z = None if test_se == 0 else (p2 - p1) / test_se
    verdict = _verdict(difference, z)
    small = min(
        before_n * pooled, before_n * (1 - pooled), after_n * pooled, after_n * (1 - pooled)
    )
    if small < MIN_EXPECTED:
        verdict = Verdict.TOO_FEW
    margin = Z95 * 100.0 * se
    return Comparison(difference, 100.0 * se, z, difference - margin, difference + margin, verdict)


def nps_difference(before: tuple[int, int, int], after: tuple[int, int, int]) -> Comparison | None:
    """Compare two NPS, each given as (promoters, detractors, answers), in points.

    None when a period has no answers.
    """
    variances, scores = [], []
    for promoters, detractors, n in (before, after):
        if n <= 0:
            return None
        p, d = promoters / n, detractors / n
        scores.append(100.0 * (p - d))
        variances.append((p + d - (p - d) ** 2) / n)
    difference = scores[1] - scores[0]
    se = 100.0 * math.sqrt(sum(variances))
    z = None if se == 0 else difference / se
    verdict = _verdict(difference, z)
    if min(before[2], after[2]) < MIN_N:
        verdict = Verdict.TOO_FEW
    margin = Z95 * se
    return Comparison(difference, se, z, difference - margin, difference + margin, verdict)


def mean_difference(
    before: tuple[float, float, int], after: tuple[float, float, int]
) -> Comparison | None:
    """Compare two means, each given as (mean, sample standard deviation, n).

    None when a period has no values.
    """
    if before[2] <= 0 or after[2] <= 0:
        return None
    difference = after[0] - before[0]
    se = math.sqrt(before[1] ** 2 / before[2] + after[1] ** 2 / after[2])
    z = None if se == 0 else difference / se
    verdict = _verdict(difference, z)
    if min(before[2], after[2]) < MIN_N:
        verdict = Verdict.TOO_FEW
    margin = Z95 * se
    return Comparison(difference, se, z, difference - margin, difference + margin, verdict)


def sample_sd(n: int, total: float, total_of_squares: float) -> float:
    """Return the sample standard deviation of ``n`` values from their sum and sum of squares."""
    if n < 2:
        return 0.0
    mean = total / n
    # Rounding can leave a tiny negative for values that are all equal.
    return math.sqrt(max(0.0, (total_of_squares - n * mean * mean) / (n - 1)))
