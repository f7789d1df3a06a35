"""The result of running a scenario: KPI summaries, monthly series and provenance.

A `RunResult` records enough to replay any replication: the scenario's path and SHA-256, the
``--set`` overrides, the root seed, and the replication indices. It converts to and from a
versioned JSON document (`to_dict` / `from_dict`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reesim.results.metrics import ReplicationMetrics, kpi_unit, series_unit
from reesim.results.stats import Summary, bands, summarize

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Kpi:
    name: str
    unit: str
    summary: Summary
    values: tuple[float, ...]  # per replication, in replication order; NaN where not applicable

    @property
    def group(self) -> str:
        """What the KPI is about: ``firms.tesla``, ``materials.dysprosium`` or ``authority``."""
        head, _, rest = self.name.partition(".")
        return f"{head}.{rest.split('.')[0]}" if head in ("firms", "materials") else head

    @property
    def measure(self) -> str:
        return self.name[len(self.group) + 1 :]


@dataclass(frozen=True)
class Series:
    name: str
    unit: str
    mean: tuple[float, ...]
    p5: tuple[float, ...]
    p50: tuple[float, ...]
    p95: tuple[float, ...]


@dataclass(frozen=True)
class Provenance:
    reesim_version: str
    scenario_name: str
    scenario_path: str
    scenario_sha256: str
    overrides: tuple[str, ...]
    root_seed: int
    replications: tuple[int, ...]
    """Indices of the replications run (0..n-1, or the one replayed)."""
    wall_time_s: float
    created_utc: str


@dataclass(frozen=True)
class TimelineEntry:
    """A policy event of the scenario, for reports and charts."""

    date: str
    day: float
    name: str
    source: str


@dataclass(frozen=True)
class RunResult:
    provenance: Provenance
    months: tuple[str, ...]
    kpis: dict[str, Kpi]
    series: dict[str, Series]
    events_per_replication: tuple[int, ...]
    timeline: tuple[TimelineEntry, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    """The scenario's resolved parameters (after --set), JSON-safe: what the run assumed."""

    def to_dict(self) -> dict[str, Any]:
        p = self.provenance
        return {
            "schema_version": SCHEMA_VERSION,
            "reesim_version": p.reesim_version,
            "scenario": {
                "name": p.scenario_name,
                "path": p.scenario_path,
                "sha256": p.scenario_sha256,
                "overrides": list(p.overrides),
            },
            "root_seed": p.root_seed,
            "replications": len(p.replications),
            "replication_indices": list(p.replications),
            "wall_time_s": p.wall_time_s,
            "created_utc": p.created_utc,
            "events_per_replication": list(self.events_per_replication),
            "months": list(self.months),
            "timeline": [vars(e) for e in self.timeline],
            "inputs": self.inputs,
            "kpis": {k.name: _kpi_dict(k) for k in self.kpis.values()},
            "series": {
                s.name: {
                    "unit": s.unit,
                    "mean": _floats(s.mean),
                    "p5": _floats(s.p5),
                    "p50": _floats(s.p50),
                    "p95": _floats(s.p95),
                }
                for s in self.series.values()
            },
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunResult:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"expected result schema_version {SCHEMA_VERSION}, got {version!r}")
        sc = data["scenario"]
        provenance = Provenance(
            data["reesim_version"],
            sc["name"],
            sc["path"],
            sc["sha256"],
            tuple(sc["overrides"]),
            int(data["root_seed"]),
            tuple(data["replication_indices"]),
            float(data["wall_time_s"]),
            data["created_utc"],
        )
        kpis = {}
        for name, k in data["kpis"].items():
            stats = {
                f: _num(k[f]) for f in ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95")
            }
            summary = Summary(**stats, n=int(k["n"]))
            kpis[name] = Kpi(name, k["unit"], summary, tuple(_num(v) for v in k["values"]))
        series = {
            name: Series(
                name,
                s["unit"],
                *(tuple(_num(v) for v in s[f]) for f in ("mean", "p5", "p50", "p95")),
            )
            for name, s in data["series"].items()
        }
        timeline = tuple(TimelineEntry(**e) for e in data.get("timeline", ()))
        return RunResult(
            provenance,
            tuple(data["months"]),
            kpis,
            series,
            tuple(data["events_per_replication"]),
            timeline,
            data.get("inputs", {}),
        )


def aggregate(
    metrics: Sequence[ReplicationMetrics],
    months: Sequence[str],
    provenance: Provenance,
    timeline: Sequence[TimelineEntry] = (),
    inputs: dict[str, Any] | None = None,
) -> RunResult:
    """Summaries over replications; `metrics` in replication order."""
    names = list(metrics[0].kpis) if metrics else []
    kpis = {}
    for name in names:
        values = np.array([m.kpis.get(name, math.nan) for m in metrics])
        kpis[name] = Kpi(name, kpi_unit(name), summarize(values), tuple(float(v) for v in values))
    series = {}
    for name in metrics[0].series if metrics else {}:
        mean, p5, p50, p95 = bands(np.vstack([m.series[name] for m in metrics]))
        series[name] = Series(
            name, series_unit(name), *(tuple(map(float, a)) for a in (mean, p5, p50, p95))
        )
    events = tuple(m.events for m in metrics)
    return RunResult(
        provenance, tuple(months), kpis, series, events, tuple(timeline), dict(inputs or {})
    )


def _floats(values: Sequence[float]) -> list[float | None]:
    # JSON has no NaN: write null, read back as NaN.
    return [None if math.isnan(v) else v for v in values]


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _kpi_dict(k: Kpi) -> dict[str, Any]:
    s = k.summary
    (mean, std, lo, hi, p5, p50, p95) = _floats(
        (s.mean, s.std, s.ci_low, s.ci_high, s.p5, s.p50, s.p95)
    )
    return {
        "unit": k.unit,
        "mean": mean,
        "std": std,
        "ci_low": lo,
        "ci_high": hi,
        "p5": p5,
        "p50": p50,
        "p95": p95,
        "n": s.n,
        "values": _floats(k.values),
    }
