"""Statistics across replications: the mean with an interval that fits the KPI, and
percentiles with distribution-free intervals.

Replications are independent draws of the same random world. NaN values mark replications
where a KPI does not apply and are left out (n says how many counted). The interval of a mean
depends on what the KPI can be (`Bounds`, from its name):

- **An indicator** (every value 0 or 1, e.g. ``*_probability``): the mean is a binomial
  proportion and gets the **Wilson score interval** on (ones, n) (`intervals.wilson_interval`):
  inside [0, 1], and not a point at 0 of n (0 stockouts in 20 runs bounds the risk by 16%, it
  does not prove it is 0). Method ``wilson``.
- **Anything else**: the Student-t interval of the mean, intersected with the KPI's possible
  range (shares [0, 1] such as ``utilization``, percentages [0, 100], days counted within the
  run [0, horizon], other quantities >= 0). The true mean lies in that range, so the
  intersection never loses coverage and never shows an impossible bound. Method ``t``.
  A mean of fractions is not a count of successes, so fractional shares are not given Wilson
  intervals (which would treat 0.88 from 50 runs as 44 of 50 and be several times too wide).
- **No spread, at a bound of a finite range** (every replication at 0 stockout days of a
  365-day run): the t-interval would be a point. Whatever the distribution, P(all n values at
  the bound) <= (1 - m)^n where m is the mean as a fraction of the range, so the interval runs
  from the bound to the Clopper-Pearson bound for 0 of n, scaled to the range. Method
  ``bound``. With no finite range, or all values equal inside it, the interval is the point.

Percentiles p5, p50 and p95 come with distribution-free intervals from order statistics: the
k-th smallest of n values lies below the p-quantile with probability P(Binomial(n, p) >= k), so
[x_(l), x_(u)] with l and u from binomial quantiles covers it with at least 95% probability
(for p5 this needs n >= 72; below that the missing end is the KPI's bound). Past
`fold.KPI_EXACT_LIMIT` replications the order statistics come from a sketch, widened by its
relative accuracy.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from reesim.results.fold import ColumnFold, ColumnState

CONFIDENCE = 0.95
PERCENTILES = (5.0, 50.0, 95.0)
NAN_PAIR = (math.nan, math.nan)


@dataclass(frozen=True)
class Bounds:
    """The range a KPI's values (and so its mean) can take."""

    low: float = 0.0
    high: float = math.inf

    @property
    def finite(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def clip(self, lo: float, hi: float) -> tuple[float, float]:
        return max(lo, self.low), min(hi, self.high)

    def checked(self, minimum: float, maximum: float) -> Bounds:
        """These bounds, less any side the data contradicts (a value below `low` or above
        `high` means the rule does not fit this KPI; the data wins)."""
        low = self.low if not minimum < self.low else -math.inf
        high = self.high if not maximum > self.high else math.inf
        return Bounds(low, high)


UNBOUNDED = Bounds(-math.inf, math.inf)
DAY_COUNTS = ("stockout_days", "stopped_days")
"""KPIs counting days of the run: between 0 and the horizon."""


def kpi_bounds(name: str, horizon_days: float | None = None) -> Bounds:
    """What a KPI can be, from its name (see `reesim.results.metrics` for the conventions):
    shares [0, 1], percentages [0, 100], days of the run [0, horizon], anything else >= 0."""
    if name.endswith(("_probability", "_share", "utilization")):
        return Bounds(0.0, 1.0)
    if name.endswith("_pct"):
        return Bounds(0.0, 100.0)
    within_run = name.endswith(DAY_COUNTS) or name.endswith("_day")
    if within_run and horizon_days is not None and math.isfinite(horizon_days):
        return Bounds(0.0, float(horizon_days))
    return Bounds(0.0, math.inf)


@dataclass(frozen=True)
class Summary:
    mean: float
    std: float
    ci_low: float
    ci_high: float
    p5: float
    p50: float
    p95: float
    n: int
    interval: str = "t"
    """How ci_low..ci_high was made: ``wilson``, ``t`` or ``bound`` (see the module)."""
    percentile_ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    """95% distribution-free intervals of p5, p50, p95 (NaN where n does not allow one)."""
    exact: bool = True
    """Percentiles from every value (True) or from the sketch past the exact limit."""
    ones: int | None = None
    """For an indicator: how many replications were 1 (the Wilson interval's successes)."""

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0

    @property
    def symmetric(self) -> bool:
        """The interval is mean ± half-width (up to rounding)."""
        if math.isnan(self.ci_low) or math.isnan(self.ci_high):
            return True
        tol = 1e-9 * max(1.0, abs(self.mean))
        return abs((self.mean - self.ci_low) - (self.ci_high - self.mean)) <= tol


EMPTY = Summary(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, 0)


def warm_up() -> None:
    """Import what summaries need (scipy.special, ~0.15 s) now. A run calls this once its
    workers are busy, so the import overlaps the simulation instead of following it."""
    import scipy.special  # noqa: F401


def t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student-t quantile for `df` degrees of freedom (``t.ppf(0.5 + c / 2, df)``)."""
    from scipy.special import stdtrit  # what scipy.stats.t.ppf computes, without scipy.stats

    return float(stdtrit(df, 0.5 + confidence / 2.0))


def summarize(
    values: np.ndarray, bounds: Bounds | None = None, confidence: float = CONFIDENCE
) -> Summary:
    """The summary of one KPI's values over replications (NaN: not applicable)."""
    x = np.asarray(values, dtype=float).ravel()
    return summarize_column(ColumnFold.of(x[:, None]), 0, bounds or Bounds(), confidence)


def summarize_column(
    fold: ColumnFold, j: int, bounds: Bounds, confidence: float = CONFIDENCE
) -> Summary:
    """Column `j` of a fold as a Summary (see the module docstring)."""
    c = fold.column(j)
    if c.n == 0:
        return EMPTY
    bounds = bounds.checked(float(fold.minimum[j]), float(fold.maximum[j]))
    if c.values is not None:
        mean = float(np.mean(c.values))
        std = float(np.std(c.values, ddof=1)) if c.n > 1 else 0.0
        p5, p50, p95 = (float(v) for v in np.percentile(c.values, PERCENTILES))
    else:
        mean, std = c.mean, math.sqrt(c.variance)
        p5, p50, p95 = (float(v) for v in fold.percentiles(PERCENTILES)[:, j])
    if std <= 1e-12 * max(1.0, abs(mean)):
        std = 0.0  # identical values up to float rounding: no spread to report
    lo, hi, method = mean_interval(mean, std, c, bounds, confidence)
    ones = c.ones if method == "wilson" else None
    ranks = {f"p{q:g}": percentile_interval(c, q / 100.0, bounds, confidence) for q in PERCENTILES}
    return Summary(
        mean,
        std,
        lo,
        hi,
        p5,
        p50,
        p95,
        c.n,
        method,
        ranks,
        exact=c.values is not None,
        ones=ones,
    )


def summarize_columns(
    matrix: np.ndarray,
    confidence: float = CONFIDENCE,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """`summarize` for each column of a (replications x KPIs) matrix, or of each matrix in a
    (points x replications x KPIs) stack, at once (a sweep summarises thousands of points); NaN marks a replication where a
    KPI does not apply. `low` and `high` are each KPI's bounds (default 0 and +inf), dropped
    where the data contradicts them, as for a run; the `interval` entry says which interval
    each mean got (see `results.stats`)."""
    x = np.asarray(matrix, dtype=float)
    k = x.shape[-1]
    low = np.zeros(k) if low is None else np.asarray(low, dtype=float)
    high = np.full(k, np.inf) if high is None else np.asarray(high, dtype=float)
    n = np.sum(~np.isnan(x), axis=-2)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=-2)
        std = np.where(n > 1, np.nanstd(x, axis=-2, ddof=1), 0.0)
        std = np.where(std <= 1e-12 * np.maximum(1.0, np.abs(mean)), 0.0, std)
        p5, p50, p95 = np.nanpercentile(x, [5, 50, 95], axis=-2)
        lowest, highest = np.nanmin(x, axis=-2), np.nanmax(x, axis=-2)
        ones = np.sum(x == 1.0, axis=-2)
        binary = np.all(np.isnan(x) | (x == 0.0) | (x == 1.0), axis=-2)
    lo_b = np.where(lowest < low, -np.inf, np.broadcast_to(low, mean.shape))
    hi_b = np.where(highest > high, np.inf, np.broadcast_to(high, mean.shape))
    ci_low, ci_high, method = mean_intervals(mean, std, n, ones, binary, lo_b, hi_b, confidence)
    ci_low = np.where(n > 0, ci_low, np.nan)
    ci_high = np.where(n > 0, ci_high, np.nan)
    std = np.where(n > 0, std, np.nan)
    return {
        "mean": mean,
        "std": std,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p5": p5,
        "p50": p50,
        "p95": p95,
        "n": n.astype(float),
        "interval": method,
    }


def mean_interval(
    mean: float, std: float, c: ColumnState, bounds: Bounds, confidence: float = CONFIDENCE
) -> tuple[float, float, str]:
    """(low, high, method) for the mean of one column (see the module docstring)."""
    lo, hi, method = mean_intervals(
        np.array([mean]),
        np.array([std]),
        np.array([c.n]),
        np.array([c.ones]),
        np.array([c.binary]),
        np.array([bounds.low]),
        np.array([bounds.high]),
        confidence,
    )
    return float(lo[0]), float(hi[0]), str(method[0])


def mean_intervals(
    mean: np.ndarray,
    std: np.ndarray,
    n: np.ndarray,
    ones: np.ndarray,
    binary: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    confidence: float = CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`mean_interval` for many columns at once (sweeps summarise thousands of points):
    arrays of low, high and method (``wilson``, ``t``, ``bound``)."""
    from scipy.special import stdtrit

    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    n = np.asarray(n, dtype=float)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    with np.errstate(all="ignore"):
        t = stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2.0)
        half = t * std / np.sqrt(np.maximum(n, 1))
        lo = np.where(n >= 2, np.maximum(mean - half, low), np.nan)
        hi = np.where(n >= 2, np.minimum(mean + half, high), np.nan)
        method = np.full(mean.shape, "t", dtype=object)
        # No spread at a bound of a finite range: 0 of n left it (Clopper-Pearson, scaled).
        finite = np.isfinite(low) & np.isfinite(high)
        alpha = 1.0 - confidence
        share = 1.0 - (alpha / 2.0) ** (1.0 / np.maximum(n, 1))
        span = (high - low) * share
        flat = (std == 0.0) & (n >= 1) & finite
        at_low, at_high = flat & (mean == low), flat & (mean == high) & (mean != low)
        lo = np.where(at_low, mean, np.where(at_high, mean - span, lo))
        hi = np.where(at_low, mean + span, np.where(at_high, mean, hi))
        method[at_low | at_high] = "bound"
        # Indicators: Wilson on (ones, n).
        wilson = np.asarray(binary, dtype=bool) & (low == 0.0) & (high == 1.0) & (n > 0)
        w_lo, w_hi = wilson_arrays(np.asarray(ones, dtype=float), n, confidence)
        lo = np.where(wilson, w_lo, lo)
        hi = np.where(wilson, w_hi, hi)
        method[wilson] = "wilson"
    return lo, hi, method


def wilson_arrays(
    ones: np.ndarray, n: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """`intervals.wilson_interval` on arrays (NaN where n is 0)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    with np.errstate(all="ignore"):
        p = ones / n
        z2n = z * z / n
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
        lo = np.where(ones == 0, 0.0, np.maximum(0.0, centre - half))
        hi = np.where(ones == n, 1.0, np.minimum(1.0, centre + half))
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def percentile_interval(
    c: ColumnState, p: float, bounds: Bounds, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Distribution-free interval of the p-quantile from order statistics (see the module);
    an end that n cannot support is the KPI's bound on that side (NaN if unbounded)."""
    n = c.n
    if n == 0:
        return NAN_PAIR
    lower, upper = order_statistic_ranks(n, p, confidence)
    low = c.quantile_at_rank(lower - 1)[0] if lower >= 1 else bounds.low
    high = c.quantile_at_rank(upper - 1)[1] if upper <= n else bounds.high
    low = float(low) if math.isfinite(low) else math.nan
    high = float(high) if math.isfinite(high) else math.nan
    return low, high


@functools.lru_cache(maxsize=256)
def order_statistic_ranks(n: int, p: float, confidence: float) -> tuple[int, int]:
    """The 1-based ranks (l, u) of the order statistics bounding the p-quantile of n values
    with the given confidence. They depend on n, p and the confidence alone, so every KPI of a
    run (with the same n) shares them: computed once, not per KPI."""
    alpha = 1.0 - confidence
    # x_(l) <= quantile with probability P(B >= l), B ~ Binomial(n, p); l is 1-based.
    lower = binomial_quantile(alpha / 2.0, n, p)  # P(B <= l - 1) < alpha / 2
    upper = binomial_quantile(1.0 - alpha / 2.0, n, p) + 1
    return lower, upper


def binomial_quantile(q: float, n: int, p: float) -> int:
    """The smallest k with P(B <= k) >= q, B ~ Binomial(n, p): ``scipy.stats.binom.ppf``,
    found by bisection on the binomial distribution function (``scipy.special.bdtr``), so a run
    needs scipy.special only (scipy.stats takes several times longer to import)."""
    from scipy.special import bdtr

    if q <= 0.0:
        return -1  # as binom.ppf(0): below every value
    low, high = -1, n  # P(B <= low) < q <= P(B <= high) = 1
    while high - low > 1:
        middle = (low + high) // 2
        if bdtr(middle, n, p) >= q:
            high = middle
        else:
            low = middle
    return high


def bands(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, p5, p50 and p95 per column of a (replications x months) matrix."""
    m = np.asarray(matrix, dtype=float)
    p5, p50, p95 = np.percentile(m, [5, 50, 95], axis=0)
    return m.mean(axis=0), p5, p50, p95
