"""What every replication of one scenario shares when its records become numbers: the months
the run is cut into, the days of the daily series, which series exist. Worked out once per
scenario (`layout_of`), not once per replication: a small world's replication takes well under a
millisecond, and these fixed costs were a large share of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from reesim.results.months import Months
from reesim.scenario.per_scenario import PerScenario
from reesim.scenario.schema import Scenario

OVERALL = "all"
"""The destination name of the approval curve over every application."""

LAYOUTS_KEPT = 64
"""Layouts cached at once (one per scenario object and horizon; a sweep makes one per point)."""


@dataclass(frozen=True)
class Layout:
    """A scenario's months and series names, for a run to `horizon_days`."""

    horizon_days: float
    months: Months
    month_starts: tuple[float, ...]
    month_ends: tuple[float, ...]
    days: np.ndarray
    """1, 2, … ceil(horizon): the ends of the days of the daily series."""
    month_end_days: np.ndarray | None
    """Each month's end as an index into `days`; None if some month ends within a day."""
    emergency: bool
    """Some producer sells emergency supply (so firms have an ``emergency_kg`` KPI)."""
    destinations_by_material: dict[str, tuple[str, ...]]
    """Destinations with a firm needing the material: ``exports.<destination>.<material>``."""
    approvals_since_day: float
    approval_scopes: tuple[str, ...]
    """``OVERALL`` and every destination: ``applications.<scope>.approved_share``."""
    planned_by_plan: dict[tuple[tuple[float, float], ...], tuple[float, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Units each production plan seen so far calls for in each month (`firm_metrics` fills it:
    a firm's plan is usually the same in every replication)."""

    @staticmethod
    def of(scenario: Scenario, horizon_days: float) -> Layout:
        months = Months.covering(scenario.start, horizon_days)
        days = np.arange(1.0, math.ceil(horizon_days) + 1.0)
        ends = months.end_days
        whole = all(e == int(e) and 1 <= e <= len(days) for e in ends)
        routes = sorted({(f.country, m) for f in scenario.firms.values() for m in f.needs})
        by_material: dict[str, list[str]] = {}
        for destination, material in routes:
            by_material.setdefault(material, []).append(destination)
        since = scenario.reporting.approvals_since or scenario.start
        destinations = sorted(
            {f.country for f in scenario.firms.values()}
            | set(scenario.authority.background.destinations)
        )
        return Layout(
            horizon_days=horizon_days,
            months=months,
            month_starts=tuple(months.starts.tolist()),
            month_ends=ends,
            days=days,
            month_end_days=np.asarray([int(e) - 1 for e in ends], dtype=np.intp) if whole else None,
            emergency=any(p.emergency_below is not None for p in scenario.producers.values()),
            destinations_by_material={m: tuple(d) for m, d in by_material.items()},
            approvals_since_day=float((since - scenario.start).days),
            approval_scopes=(OVERALL, *destinations),
        )


layout_of: PerScenario[float, Layout] = PerScenario(Layout.of, LAYOUTS_KEPT)
"""``layout_of(scenario, horizon_days)``: the layout of `scenario` run to `horizon_days`, built
once while the scenario object lives."""
