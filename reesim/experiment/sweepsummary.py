"""A sweep as plain data: what a run of it did (`SweepOutcome`), and a finished sweep's
manifest, each design point's factor values and KPI statistics, and the Sobol indices of a Sobol
design (`SweepSummary`).

`reesim.experiment.store.read_sweep` reads one from a sweep directory (the only reader of its
files); the report layer draws and tabulates it, and `ranked` chooses the points a summary
shows. Nothing here imports pyarrow or numpy, so a summary travels to any layer above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reesim.errors import UsageError

STATS = ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "n")
"""The statistics of each KPI at each point (points.parquet's ``<kpi>.<stat>`` columns)."""


@dataclass(frozen=True)
class SobolRow:
    """A factor's first-order and total Sobol index for one KPI, with 95% half-widths, and its
    rank by the total index (1: matters most)."""

    kpi: str
    factor: str
    path: str
    s1: float
    s1_conf: float
    st: float
    st_conf: float
    rank: int


@dataclass
class SweepOutcome:
    """What running a sweep did: counts, time, status, the first failures, Sobol indices."""

    out_dir: Path
    points: int
    replications: int
    done: int
    failed: int
    ran: int
    wall_s: float
    status: str
    kpis: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The first few failures (point, replication, seed, error, replay)."""
    sensitivity: list[SobolRow] = field(default_factory=list)
    sensitivity_skipped: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """What resuming found wrong (corrupt parts, by file)."""


@dataclass(frozen=True)
class SweepPoint:
    index: int
    factors: dict[str, str]
    """Factor values as points.csv writes them (numbers or values with units, e.g. '30wd')."""
    values: dict[str, Any]
    """Factor values as points.parquet holds them (numbers as numbers)."""
    stats: dict[str, dict[str, float]]
    """KPI name -> statistic (`STATS`) -> value; NaN where the KPI is undefined at the point."""


@dataclass(frozen=True)
class SweepSummary:
    path: str
    manifest: dict[str, Any]
    factors: tuple[str, ...]
    """Factor names, in design order."""
    paths: tuple[str, ...]
    """Each factor's dotted path in the scenario."""
    kpis: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    sensitivity: tuple[SobolRow, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or "")

    def values(self, kpi: str, stat: str = "mean") -> list[float]:
        """One value of `kpi`'s statistic per point (NaN where it has none)."""
        return [p.stats.get(kpi, {}).get(stat, math.nan) for p in self.points]

    def ranked(self, kpi: str, k: int = 5) -> tuple[list[SweepPoint], list[SweepPoint]]:
        """The `k` points with the highest mean of `kpi` (first the highest) and the `k` with
        the lowest (first the lowest), none in both; points where it is undefined left out,
        ties in point order; UsageError for a KPI the sweep does not have."""
        if kpi not in self.kpis:
            raise UsageError(f"expected a KPI of this sweep for --sort-by, got {kpi!r}")
        defined = [p for p in self.points if not math.isnan(p.stats[kpi]["mean"])]
        ordered = sorted(defined, key=lambda p: (-p.stats[kpi]["mean"], p.index))
        top = ordered[:k]
        bottom = list(reversed(ordered[-k:])) if len(ordered) > k else []
        return top, [p for p in bottom if p not in top]
