"""Streaming accumulation: replications fold into fixed-size state as they arrive.

A `ColumnFold` takes rows of C numbers (one per KPI, or per series-month; NaN where a value
does not apply) and keeps, per column, what the summaries need, with memory that stops growing:

- **Up to `exact_limit` rows** it keeps the rows themselves. Means, standard deviations and
  percentiles are then computed from them exactly as from a full array (numpy's mean, ``ddof=1``
  standard deviation and linearly interpolated percentiles), and percentile intervals use exact
  order statistics.
- **Past `exact_limit`** the rows are folded, in the order they came, into Welford's running
  mean and sum of squared deviations (exact up to float rounding, numerically stable) and into a
  DDSketch per column (Masson, Rim and Lee, VLDB 2019; the ``ddsketch`` package) with relative
  accuracy `SKETCH_RELATIVE_ACCURACY`: a percentile it returns is within 0.5% (relative) of the
  exact order statistic at that rank. The rows are then dropped. A sketch's memory grows with
  the logarithm of its values' range, not with their number, and is capped at
  `SKETCH_BINS` buckets per column (about nine decades of values; below that the lowest
  values share one bucket, so only a percentile that far under the largest values loses its
  accuracy).

Callers fold replications in replication order (see `reesim.experiment.runner`), so a result
never depends on which worker finished first, and the same seeds give the same numbers.
Beside the moments it tracks, per column, the count, the minimum and maximum, and whether
every value was 0 or 1 (an indicator, whose mean is a proportion) with the count of ones.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ddsketch import LogCollapsingLowestDenseDDSketch as DDSketch

KPI_EXACT_LIMIT = 10_000
"""Replications whose KPI values are kept exactly; beyond, moments and sketches."""
SERIES_EXACT_LIMIT = 1_000
"""The same for monthly series (a scenario has ~10x more series-months than KPIs)."""
SKETCH_RELATIVE_ACCURACY = 0.005
SKETCH_BINS = 2048


class ColumnFold:
    """Rows of `columns` numbers folded into per-column state (see the module docstring)."""

    def __init__(self, columns: int, exact_limit: int = KPI_EXACT_LIMIT):
        self.columns = columns
        self.exact_limit = exact_limit
        self.rows = 0
        self._exact = np.empty((min(64, max(1, exact_limit)), columns))
        self.count = np.zeros(columns, dtype=np.int64)
        self.ones = np.zeros(columns, dtype=np.int64)
        self.binary = np.ones(columns, dtype=bool)
        self.minimum = np.full(columns, np.inf)
        self.maximum = np.full(columns, -np.inf)
        # Welford state, used once the exact rows are dropped.
        self._mean = np.zeros(columns)
        self._m2 = np.zeros(columns)
        self._sketches: list[DDSketch] | None = None
        self._folded = np.zeros(columns, dtype=np.int64)

    @classmethod
    def of(cls, rows: np.ndarray) -> ColumnFold:
        """A fold holding these rows (replications x columns) exactly, at once."""
        x = np.asarray(rows, dtype=float)
        if x.ndim != 2:
            raise ValueError(f"expected a (rows x columns) array, got shape {x.shape}")
        fold = cls(x.shape[1], exact_limit=max(1, x.shape[0]))
        seen = ~np.isnan(x)
        fold.rows = x.shape[0]
        fold._exact = x.copy()
        fold.count = seen.sum(axis=0)
        fold.ones = (seen & (x == 1.0)).sum(axis=0)
        fold.binary = np.all(~seen | (x == 0.0) | (x == 1.0), axis=0)
        if x.shape[0]:
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fold.minimum = np.where(seen.any(axis=0), np.nanmin(x, axis=0), np.inf)
                fold.maximum = np.where(seen.any(axis=0), np.nanmax(x, axis=0), -np.inf)
        return fold

    @property
    def exact(self) -> bool:
        """Whether every row is still held (summaries are exact)."""
        return self._sketches is None

    def add(self, row: Sequence[float] | np.ndarray) -> None:
        x = np.asarray(row, dtype=float)
        if x.shape != (self.columns,):
            raise ValueError(f"expected a row of {self.columns} values, got shape {x.shape}")
        seen = ~np.isnan(x)
        self.count += seen
        self.ones += seen & (x == 1.0)
        self.binary &= ~seen | (x == 0.0) | (x == 1.0)
        with np.errstate(invalid="ignore"):
            np.fmin(self.minimum, x, out=self.minimum)
            np.fmax(self.maximum, x, out=self.maximum)
        if self._sketches is None and self.rows == len(self._exact):
            if self.rows >= self.exact_limit:
                self._spill()
            else:
                grown = np.empty((min(2 * self.rows, self.exact_limit), self.columns))
                grown[: self.rows] = self._exact[: self.rows]
                self._exact = grown
        if self._sketches is None:
            self._exact[self.rows] = x
        else:
            self._fold(x, seen)
        self.rows += 1

    def values(self) -> np.ndarray:
        """The rows kept (rows x columns); only while `exact`."""
        if self._sketches is not None:
            raise ValueError("the rows were folded into sketches past the exact limit")
        return self._exact[: self.rows]

    # -- past the exact limit -------------------------------------------------------------------
    def _spill(self) -> None:
        from ddsketch import LogCollapsingLowestDenseDDSketch as Sketch

        self._sketches = [
            Sketch(SKETCH_RELATIVE_ACCURACY, bin_limit=SKETCH_BINS) for _ in range(self.columns)
        ]
        counts = np.zeros(self.columns, dtype=np.int64)
        self._mean[:] = 0.0
        self._m2[:] = 0.0
        kept = self._exact[: self.rows]
        self._exact = np.empty((0, self.columns))
        for x in kept:  # in the order they came, as later rows will be
            seen = ~np.isnan(x)
            counts += seen
            self._welford(x, seen, counts)
            self._sketch(x, seen)
        self._folded = counts

    def _fold(self, x: np.ndarray, seen: np.ndarray) -> None:
        self._folded += seen
        self._welford(x, seen, self._folded)
        self._sketch(x, seen)

    def _welford(self, x: np.ndarray, seen: np.ndarray, counts: np.ndarray) -> None:
        if not seen.any():
            return
        delta = x[seen] - self._mean[seen]
        self._mean[seen] += delta / counts[seen]
        self._m2[seen] += delta * (x[seen] - self._mean[seen])

    def _sketch(self, x: np.ndarray, seen: np.ndarray) -> None:
        assert self._sketches is not None
        for j in np.flatnonzero(seen):
            self._sketches[j].add(float(x[j]))

    # -- what summaries need ----------------------------------------------------------------------
    def column(self, j: int) -> ColumnState:
        """Everything known about column `j`."""
        n = int(self.count[j])
        if self._sketches is None:
            v = self._exact[: self.rows, j]
            v = v[~np.isnan(v)]
            return ColumnState(n, int(self.ones[j]), bool(self.binary[j]), v, None, 0.0, 0.0)
        m2 = float(self._m2[j])
        var = m2 / (n - 1) if n > 1 else 0.0
        return ColumnState(
            n,
            int(self.ones[j]),
            bool(self.binary[j]),
            None,
            self._sketches[j],
            float(self._mean[j]),
            max(0.0, var),
        )

    def means(self) -> np.ndarray:
        """Per-column means (NaN where no value), exact or Welford."""
        if self._sketches is None:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                means: np.ndarray = np.nanmean(self._exact[: self.rows], axis=0)
                return means
        return np.where(self.count > 0, self._mean, np.nan)

    def percentiles(self, q: Sequence[float]) -> np.ndarray:
        """Per-column percentiles (len(q) x columns; NaN where no value)."""
        if self._sketches is None:
            return nan_percentiles(self._exact[: self.rows], q)
        out = np.full((len(q), self.columns), np.nan)
        for j, sketch in enumerate(self._sketches):
            if self.count[j]:
                for i, p in enumerate(q):
                    out[i, j] = sketch.get_quantile_value(p / 100.0)
        return out


def nan_percentiles(rows: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.nanpercentile(rows, q, axis=0)``, the same values, computed a group of columns at a
    time: numpy's own version loops over the columns in Python once any value is NaN (a run's
    series have thousands of columns, so that loop was most of a run's summary). Each column's
    values are moved ahead of its NaNs; the columns with n values then share one
    ``np.percentile`` of their first n rows, which is what nanpercentile computes for each of
    them. Where 0.0 and -0.0 tie, which of the two numpy returns depends on how it arranged the
    values; here a zero is always 0.0, so it never prints as "-0"."""
    x = np.asarray(rows, dtype=float)
    missing = np.isnan(x)
    with np.errstate(all="ignore"):  # inf - inf between two infinite values is NaN, as before
        if not missing.any():
            return np.asarray(np.percentile(x, q, axis=0)) + 0.0
        found = np.full((len(q), x.shape[1]), np.nan)
        counts = x.shape[0] - missing.sum(axis=0)
        ordered = np.take_along_axis(x, np.argsort(missing, axis=0, kind="stable"), axis=0)
        for n in np.unique(counts):
            if n == 0:
                continue  # no value: NaN, as nanpercentile gives (without its warning)
            columns = np.flatnonzero(counts == n)
            found[:, columns] = np.percentile(ordered[:n, columns], q, axis=0)
    return found + 0.0  # -0.0 + 0.0 is 0.0


@dataclass(frozen=True)
class ColumnState:
    """One column's accumulated state: exact values, or Welford moments and a sketch."""

    n: int
    ones: int
    binary: bool
    values: np.ndarray | None
    """The non-NaN values in the order they came, while exact; else None."""
    sketch: DDSketch | None
    mean: float
    """Welford's mean (used only when `values` is None)."""
    variance: float

    def quantile_at_rank(self, rank: int) -> tuple[float, float]:
        """Bounds on the order statistic of 0-based `rank`: exact from the values, or the
        sketch's bucket widened by its relative accuracy (so the true value lies inside)."""
        if self.values is not None:
            v = float(np.sort(self.values)[rank])
            return v, v
        assert self.sketch is not None
        q = rank / (self.n - 1) if self.n > 1 else 0.0
        x = float(self.sketch.get_quantile_value(q) or 0.0)
        a = SKETCH_RELATIVE_ACCURACY
        if x >= 0:
            return x / (1 + a), x / (1 - a)
        return x / (1 - a), x / (1 + a)
