"""Statistics across replications: mean, Student-t interval, percentiles.

Replications are independent draws of the same random world, so the mean of a KPI over n of
them has a t-interval with n - 1 degrees of freedom. NaN values mark replications where a KPI
does not apply and are left out (n says how many counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95


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

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0


def t_half_width(std: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the t-interval of a mean; NaN below two observations."""
    if n < 2:
        return math.nan
    return float(sps.t.ppf(0.5 + confidence / 2.0, n - 1)) * std / math.sqrt(n)


def summarize(values: np.ndarray, confidence: float = CONFIDENCE) -> Summary:
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        nan = math.nan
        return Summary(nan, nan, nan, nan, nan, nan, nan, 0)
    mean = float(np.mean(x))
    std = float(np.std(x, ddof=1)) if n > 1 else 0.0
    if std <= 1e-12 * max(1.0, abs(mean)):
        std = 0.0  # identical values up to float rounding: no spread to report
    half = t_half_width(std, n, confidence) if std > 0 else (0.0 if n > 1 else math.nan)
    p5, p50, p95 = (float(v) for v in np.percentile(x, [5, 50, 95]))
    return Summary(mean, std, mean - half, mean + half, p5, p50, p95, n)


def bands(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, p5, p50 and p95 per column of a (replications x months) matrix."""
    m = np.asarray(matrix, dtype=float)
    p5, p50, p95 = np.percentile(m, [5, 50, 95], axis=0)
    return m.mean(axis=0), p5, p50, p95
