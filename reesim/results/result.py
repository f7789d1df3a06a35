"""The result of running a scenario: KPI summaries, monthly series and provenance.

A `RunResult` records enough to replay any replication: the scenario's path and SHA-256, the
``--set`` overrides, the root seed, and the replication indices. It converts to and from a
versioned JSON document (`to_dict` / `from_dict`; version 1 files, which always held every
replication's values, still read).

`ResultFold` builds one from replications as they arrive (see `reesim.results.fold`): memory
stays flat in the number of replications, and per-replication values are kept only when asked
(`keep_replications`), e.g. to pair a saved result with a later run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reesim.results.fold import KPI_EXACT_LIMIT, SERIES_EXACT_LIMIT, ColumnFold
from reesim.results.metrics import ReplicationMetrics
from reesim.results.names import is_daily, kpi_unit, series_unit
from reesim.results.stats import Bounds, Summary, kpi_bounds, summarize_column

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Kpi:
    name: str
    unit: str
    summary: Summary
    values: tuple[float, ...] = ()
    """Per replication, in replication order, NaN where not applicable; empty unless kept
    (``--keep-replications``)."""
    bounds: Bounds = field(default_factory=Bounds)
    """What the KPI can be (see `reesim.results.stats.kpi_bounds`)."""

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
    replications: Sequence[int]
    """Indices of the replications run (0..n-1, or the one replayed): a `range` when
    contiguous, so it does not grow with n."""
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
    """Engine events of each replication; empty unless replications were kept."""
    timeline: tuple[TimelineEntry, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    """The scenario's resolved parameters (after --set), JSON-safe: what the run assumed."""
    events_mean: float = math.nan
    """Mean engine events per replication (kept or not)."""

    @property
    def mean_events(self) -> float:
        if not math.isnan(self.events_mean):
            return self.events_mean
        e = self.events_per_replication
        return sum(e) / len(e) if e else math.nan

    @property
    def kept_replications(self) -> bool:
        """Whether per-replication values are held (and so can be paired)."""
        return all(len(k.values) == len(self.provenance.replications) for k in self.kpis.values())

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
            "events_mean": _floats([self.mean_events])[0],
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
        if version not in READABLE_VERSIONS:
            raise ValueError(
                f"expected result schema_version {' or '.join(map(str, READABLE_VERSIONS))}, "
                f"got {version!r}"
            )
        sc = data["scenario"]
        provenance = Provenance(
            data["reesim_version"],
            sc["name"],
            sc["path"],
            sc["sha256"],
            tuple(sc["overrides"]),
            int(data["root_seed"]),
            compact_indices(data["replication_indices"]),
            float(data["wall_time_s"]),
            data["created_utc"],
        )
        kpis = {}
        for name, k in data["kpis"].items():
            stats = {
                f: _num(k[f]) for f in ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95")
            }
            ranges = {
                q: (_num(pair[0]), _num(pair[1])) for q, pair in k.get("percentile_ci", {}).items()
            }
            summary = Summary(
                **stats,
                n=int(k["n"]),
                interval=str(k.get("interval", "t")),
                percentile_ci=ranges,
                exact=bool(k.get("exact", True)),
                ones=None if k.get("ones") is None else int(k["ones"]),
            )
            low, high = k.get("bounds", [0.0, None])
            bounds = Bounds(
                -math.inf if low is None else float(low), math.inf if high is None else float(high)
            )
            values = tuple(_num(v) for v in k.get("values", ()))
            kpis[name] = Kpi(name, k["unit"], summary, values, bounds)
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
            tuple(data.get("events_per_replication", ())),
            timeline,
            data.get("inputs", {}),
            _num(data.get("events_mean")),
        )


DAILY_LIMIT = 500
"""Replications whose daily series (each firm's cover at every day's end, for the cover chart)
are summarised: the first this many, exactly. A daily series has ~30x the cells of a monthly
one, too many to fold past this into a sketch per cell; 500 replications give its band."""


class ResultFold:
    """Replications folded into a `RunResult` as they arrive, in replication order.

    Memory is flat in the number of replications (see `reesim.results.fold`) unless
    `keep_replications`, which also keeps each replication's KPI values and event count.
    Daily series are summarised over the first `DAILY_LIMIT` replications.
    """

    def __init__(self, horizon_days: float | None = None, keep_replications: bool = False):
        self.horizon_days = horizon_days
        self.keep = keep_replications
        self.names: list[str] = []
        self.series_names: list[str] = []
        self.daily_names: list[str] = []
        self.months = 0
        self.days = 0
        self.kpis: ColumnFold | None = None
        self.series: ColumnFold | None = None
        self.daily: ColumnFold | None = None
        self.replications: Sequence[int] = ()
        self.count = 0
        self.events_total = 0
        self.events: list[int] = []
        self.values: list[np.ndarray] = []

    def add(self, m: ReplicationMetrics) -> None:
        if self.kpis is None:
            self.names = list(m.kpis)
            self.series_names = [n for n in m.series if not is_daily(n)]
            self.daily_names = [n for n in m.series if is_daily(n)]
            self.months = max((len(m.series[n]) for n in self.series_names), default=0)
            self.days = max((len(m.series[n]) for n in self.daily_names), default=0)
            self.kpis = ColumnFold(len(self.names), KPI_EXACT_LIMIT)
            self.series = ColumnFold(len(self.series_names) * self.months, SERIES_EXACT_LIMIT)
            self.daily = ColumnFold(len(self.daily_names) * self.days, DAILY_LIMIT)
        assert self.series is not None and self.daily is not None
        row = np.array([m.kpis.get(n, math.nan) for n in self.names], dtype=float)
        self.kpis.add(row)
        if self.series_names:
            self.series.add(
                np.concatenate([np.asarray(m.series[n], dtype=float) for n in self.series_names])
            )
        if self.daily_names and self.daily.rows < DAILY_LIMIT:
            self.daily.add(
                np.concatenate([np.asarray(m.series[n], dtype=float) for n in self.daily_names])
            )
        self.count += 1
        self.events_total += m.events
        if self.keep:
            self.values.append(row)
            self.events.append(m.events)
        self._note(m.replication)

    def _note(self, replication: int) -> None:
        # Indices as a range while contiguous (they usually are): no list that grows with n.
        r = self.replications
        if not r:
            self.replications = IndexRange(replication, replication + 1)
        elif isinstance(r, IndexRange) and replication == r.stop:
            self.replications = IndexRange(r.start, r.stop + 1)
        else:
            self.replications = (*r, replication)

    def result(
        self,
        months: Sequence[str],
        provenance: Provenance,
        timeline: Sequence[TimelineEntry] = (),
        inputs: dict[str, Any] | None = None,
    ) -> RunResult:
        kpis: dict[str, Kpi] = {}
        values = np.vstack(self.values) if self.values else None
        if self.kpis is not None:
            for j, name in enumerate(self.names):
                bounds = kpi_bounds(name, self.horizon_days)
                summary = summarize_column(self.kpis, j, bounds)
                kept = tuple(float(v) for v in values[:, j]) if values is not None else ()
                kpis[name] = Kpi(name, kpi_unit(name), summary, kept, bounds)
        series = {}
        if self.series is not None and self.series_names and self.count:
            means = self.series.means()
            p5, p50, p95 = self.series.percentiles((5.0, 50.0, 95.0))
            for i, name in enumerate(self.series_names):
                cells = slice(i * self.months, (i + 1) * self.months)
                series[name] = Series(
                    name,
                    series_unit(name),
                    *(tuple(map(float, a[cells])) for a in (means, p5, p50, p95)),
                )
        if self.daily is not None and self.daily_names and self.daily.rows:
            means = self.daily.means()
            p5, p50, p95 = self.daily.percentiles((5.0, 50.0, 95.0))
            for i, name in enumerate(self.daily_names):
                cells = slice(i * self.days, (i + 1) * self.days)
                series[name] = Series(
                    name,
                    series_unit(name),
                    *(tuple(map(float, a[cells])) for a in (means, p5, p50, p95)),
                )
        return RunResult(
            provenance,
            tuple(months),
            kpis,
            series,
            tuple(self.events),
            tuple(timeline),
            dict(inputs or {}),
            self.events_total / self.count if self.count else math.nan,
        )


def aggregate(
    metrics: Sequence[ReplicationMetrics],
    months: Sequence[str],
    provenance: Provenance,
    timeline: Sequence[TimelineEntry] = (),
    inputs: dict[str, Any] | None = None,
    horizon_days: float | None = None,
) -> RunResult:
    """Summaries over replications held in memory; `metrics` in replication order."""
    fold = ResultFold(horizon_days, keep_replications=True)
    for m in metrics:
        fold.add(m)
    return fold.result(months, provenance, timeline, inputs)


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
    out: dict[str, Any] = {
        "unit": k.unit,
        "mean": mean,
        "std": std,
        "ci_low": lo,
        "ci_high": hi,
        "interval": s.interval,
        "p5": p5,
        "p50": p50,
        "p95": p95,
        "percentile_ci": {q: _floats(pair) for q, pair in s.percentile_ci.items()},
        "exact": s.exact,
        "n": s.n,
        "bounds": [_bound(k.bounds.low), _bound(k.bounds.high)],
    }
    if s.ones is not None:
        out["ones"] = s.ones
    if k.values:
        out["values"] = _floats(k.values)
    return out


def _bound(x: float) -> float | None:
    return x if math.isfinite(x) else None


class IndexRange(Sequence[int]):
    """Contiguous replication indices start..stop-1 in constant memory; equal to any sequence
    of the same integers (a tuple, a list, a range), so callers need not care."""

    __slots__ = ("_range",)

    def __init__(self, start: int, stop: int):
        self._range = range(start, stop)

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, i: Any) -> Any:
        return self._range[i]

    def __iter__(self) -> Any:
        return iter(self._range)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IndexRange):
            return self._range == other._range
        if isinstance(other, Sequence) and not isinstance(other, str):
            return same_indices(self, other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._range)) if len(self._range) < 1000 else hash(self._range)

    def __repr__(self) -> str:
        return f"IndexRange({self._range.start}, {self._range.stop})"

    @property
    def start(self) -> int:
        return self._range.start

    @property
    def stop(self) -> int:
        return self._range.stop


def compact_indices(indices: Sequence[int]) -> Sequence[int]:
    """Replication indices as an `IndexRange` when they are contiguous, else a tuple."""
    found = tuple(int(i) for i in indices)
    if found and found == tuple(range(found[0], found[0] + len(found))):
        return IndexRange(found[0], found[0] + len(found))
    return found


def same_indices(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether two index sequences (ranges or tuples) list the same replications."""
    if len(a) != len(b):
        return False
    if isinstance(a, range | IndexRange) and isinstance(b, range | IndexRange):
        return len(a) == 0 or (a[0] == b[0])
    return all(x == y for x, y in zip(a, b, strict=True))
