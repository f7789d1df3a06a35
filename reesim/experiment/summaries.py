"""A sweep's per-point summaries, built while it runs: no part is read back to summarise.

Each finished replication (from a task that just ran, or from a part on disk when a sweep
resumes) is added to its point. A point's KPI values are held only until all of its
replications are in; the point is then summarised (`results.stats.summarize_columns`: the
same intervals as a run) and its values dropped. So the parent holds the
points in progress (bounded by the tasks in flight) and one summary row per finished point, whatever
the number of replications. A replication already added (a duplicate row, e.g. in a part a
crashed writer left behind) is ignored, so a point's n never counts a replication twice.

`finish` writes points.parquet/.csv, failures.csv and, for Sobol designs, sensitivity.csv.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from reesim.experiment.store import (
    _replay,
    _sensitivity,
    provenance_of,
    write_points,
)
from reesim.experiment.sweepfile import SweepPlan
from reesim.experiment.sweepsummary import STATS, SweepOutcome
from reesim.results.io import atomic_write_text
from reesim.results.stats import kpi_bounds, summarize_columns

FAILURE_EXAMPLES = 5


class PointSummaries:
    """Replications in, one summary row per point out (see the module docstring)."""

    def __init__(self, plan: SweepPlan, horizon_of: Callable[[int], float | None]):
        self.plan = plan
        self.reps = plan.replications
        self.horizon_of = horizon_of
        self.names: list[str] = []
        self._known: set[str] = set()
        self.open: dict[int, dict[int, Mapping[str, float] | None]] = {}
        self.rows: dict[int, tuple[int, int, dict[str, tuple[float, ...]]]] = {}
        self.failures: list[tuple[int, int, int, str]] = []
        self.done = 0
        self.failed = 0

    def add(
        self,
        point: int,
        replication: int,
        seed: int,
        kpis: Mapping[str, float] | None,
        error: str | None,
    ) -> bool:
        """Add one replication's KPIs (or its error); False if it was already there."""
        if point in self.rows:
            return False
        reps = self.open.setdefault(point, {})
        if replication in reps:
            return False
        if error is not None:
            reps[replication] = None
            self.failed += 1
            self.failures.append((point, replication, seed, error))
        else:
            reps[replication] = kpis or {}
            for name in kpis or {}:
                if name not in self._known:
                    self._known.add(name)
                    self.names.append(name)
        self.done += 1
        if len(reps) >= self.reps:
            self._close(point)
        return True

    def _close(self, point: int) -> None:
        reps = self.open.pop(point, {})
        ok = [reps[r] for r in sorted(reps) if reps[r] is not None]
        stats: dict[str, tuple[float, ...]] = {}
        if ok:
            names = self.names
            matrix = np.array(
                [[k.get(n, math.nan) for n in names] for k in ok if k is not None], dtype=float
            )
            horizon = self.horizon_of(point)
            bounds = [kpi_bounds(n, horizon) for n in names]
            found = summarize_columns(
                matrix,
                low=np.array([b.low for b in bounds]),
                high=np.array([b.high for b in bounds]),
            )
            for j, name in enumerate(names):
                stats[name] = tuple(float(found[s][j]) for s in STATS)
        self.rows[point] = (len(ok), len(reps) - len(ok), stats)

    # -- output -------------------------------------------------------------------------------
    def finish(self, out: Path, outcome: SweepOutcome) -> SweepOutcome:
        """Close the points still open (an interrupted or stopped sweep) and write the files."""
        for point in list(self.open):
            self._close(point)
        plan, kpis = self.plan, self.names
        design = plan.design
        points = len(design)
        rows = [self.rows.get(p, (0, 0, {})) for p in range(points)]
        means = np.full((points, len(kpis)), np.nan)
        for p, (_, _, stats) in enumerate(rows):
            for j, name in enumerate(kpis):
                if name in stats:
                    means[p, j] = stats[name][0]
        write_points(out, design, kpis, rows, provenance_of(plan))
        self._write_failures(out, outcome)
        outcome.kpis = list(kpis)
        outcome.done, outcome.failed = self.done, self.failed
        if design.kind == "sobol":
            _sensitivity(out, plan, kpis, means, outcome)
        return outcome

    def _write_failures(self, out: Path, outcome: SweepOutcome) -> None:
        path = out / "failures.csv"
        if not self.failures:
            path.unlink(missing_ok=True)
            return
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["point", "replication", "seed", "error", "replay"])
        for point, replication, seed, error in sorted(self.failures):
            replay = _replay(self.plan, point, replication, seed)
            writer.writerow([point, replication, seed, error, replay])
            if len(outcome.failures) < FAILURE_EXAMPLES:
                outcome.failures.append(
                    {
                        "point": point,
                        "replication": replication,
                        "seed": seed,
                        "error": error,
                        "replay": replay,
                    }
                )
        atomic_write_text(path, buf.getvalue())
