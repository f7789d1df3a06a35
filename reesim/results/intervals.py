"""Confidence intervals that respect what a statistic can be.

A probability estimated from n replications is a binomial proportion: its interval must stay in
[0, 1] and must not collapse to a point when every replication agreed (0 of 20 stockouts does not
prove the risk is zero). The Student-t interval of a mean does neither, so proportions get their
own intervals here:

- `wilson_interval`: the Wilson score interval (Wilson 1927). Close to nominal coverage on
  average, never outside [0, 1], and finite-width at 0/n and n/n. The default for reporting.
- `clopper_pearson_interval`: the "exact" interval from beta quantiles (Clopper and Pearson 1934).
  Coverage is at least the nominal level for every p, at the price of width: use it where a
  guarantee is promised (a stockpile that keeps the risk below 5% with 95% confidence).

Both take counts, not means, so a caller with NaN-masked replications passes the count it used.
"""

from __future__ import annotations

import math
from statistics import NormalDist


def _check(successes: int, n: int, confidence: float) -> None:
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"expected 0 <= successes <= n, got {successes} of {n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"expected a confidence in (0, 1), got {confidence}")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) when n is 0."""
    _check(successes, n, confidence)
    if n == 0:
        return math.nan, math.nan
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # Exact end points where the formula meets them, so 0/n reports 0 and not 1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def clopper_pearson_interval(
    successes: int, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Clopper-Pearson ("exact") interval: coverage at least `confidence` for every p."""
    _check(successes, n, confidence)
    if n == 0:
        return math.nan, math.nan
    from scipy.stats import beta  # imported here: scipy is slow to import and rarely needed

    alpha = 1.0 - confidence
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2.0, successes, n - successes + 1))
    high = (
        1.0 if successes == n else float(beta.ppf(1.0 - alpha / 2.0, successes + 1, n - successes))
    )
    return low, high


def upper_bound(successes: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound: P(true p <= bound) >= `confidence` for every p."""
    _check(successes, n, confidence)
    if n == 0:
        return math.nan
    if successes == n:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(confidence, successes + 1, n - successes))
