"""Per-replication numbers from the engine's records: KPIs and monthly series.

KPI and series names are flat dotted paths (``firms.tesla.stockout_days``,
``exports.us.ndfeb_magnet``) so that gates, sweeps and plots name them the same way. A KPI that
does not apply to a replication (the first stockout day of one with no stockout) is NaN, and
statistics count only the replications where it applies.

Units follow the name: ``*_days`` days, ``*_kg`` kg, ``*_units`` units of product, ``*_pct``
percent, ``*_probability``, ``*_share`` and ``utilization`` shares; monthly quantity series are
in tonnes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from reesim.engine.recorder import FirmTrace, RunRecords
from reesim.scenario.schema import Scenario

KG_PER_T = 1000.0


@dataclass(frozen=True)
class Months:
    """Calendar months covering the horizon: labels and [start, end) in sim days."""

    labels: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray

    @staticmethod
    def covering(start: date, horizon_days: float) -> Months:
        labels, starts, ends = [], [], []
        year, month, day0 = start.year, start.month, 0.0
        while day0 < horizon_days:
            nxt = date(year + month // 12, month % 12 + 1, 1)
            end = min(float((nxt - start).days), horizon_days)
            labels.append(f"{year:04d}-{month:02d}")
            starts.append(day0)
            ends.append(end)
            year, month, day0 = nxt.year, nxt.month, end
        return Months(tuple(labels), np.asarray(starts), np.asarray(ends))

    def index(self, days: np.ndarray) -> np.ndarray:
        """Month index of each time (times at or beyond the horizon get len(self))."""
        idx = np.searchsorted(self.ends, days, side="right")
        return np.minimum(idx, len(self.labels))


@dataclass(frozen=True)
class ReplicationMetrics:
    replication: int
    kpis: dict[str, float]
    series: dict[str, np.ndarray]  # one value per month
    events: int


KPI_UNITS = (
    ("_days", "d"),
    ("_day", "d"),
    ("_kg", "kg"),
    ("_units", "units"),
    ("_pct", "%"),
    ("_probability", "share"),
    ("_share", "share"),
    ("utilization", "share"),
)


def kpi_unit(name: str) -> str:
    return next((unit for suffix, unit in KPI_UNITS if name.endswith(suffix)), "count")


def series_unit(name: str) -> str:
    if name.startswith(("exports.", "smuggled.", "seized.")):
        return "t"
    if name.endswith("cover_days"):
        return "d"
    if name.endswith("lost_units"):
        return "units"
    return "count"


def measure(records: RunRecords, scenario: Scenario) -> ReplicationMetrics:
    """All KPIs and monthly series of one replication; every replication of a scenario yields
    the same names, whatever happened in it."""
    months = Months.covering(scenario.start, records.horizon_days)
    # Only destination x material pairs some firm there needs: no series that are zero by design.
    routes = sorted({(f.country, m) for f in scenario.firms.values() for m in f.needs})
    kpis: dict[str, float] = {}
    series: dict[str, np.ndarray] = {}
    horizon = records.horizon_days
    for trace in records.firms:
        _firm(trace, records, months, horizon, kpis, series)
    _materials(records, routes, months, horizon, kpis, series)
    _authority(records, months, horizon, kpis, series)
    return ReplicationMetrics(records.replication, kpis, series, records.events_processed)


def _monthly_sum(days: Iterable[float], amounts: Iterable[float], months: Months) -> np.ndarray:
    d = np.fromiter(days, dtype=float)
    a = np.fromiter(amounts, dtype=float)
    out = np.zeros(len(months.labels) + 1)
    np.add.at(out, months.index(d), a)
    return out[:-1]


def _firm(
    trace: FirmTrace,
    records: RunRecords,
    months: Months,
    horizon: float,
    kpis: dict[str, float],
    series: dict[str, np.ndarray],
) -> None:
    p = f"firms.{trace.firm}"
    halts = np.asarray(trace.halts, dtype=float).reshape(-1, 2)
    stopped = float(np.sum(halts[:, 1] - halts[:, 0]))
    lost = _planned_units(trace.plan, halts[:, 0], halts[:, 1])
    planned = float(_planned_units(trace.plan, np.zeros(1), np.full(1, horizon))[0])
    kpis[f"{p}.stockout_days"] = stopped
    kpis[f"{p}.production_lost_units"] = float(lost.sum())
    kpis[f"{p}.production_lost_pct"] = 100.0 * float(lost.sum()) / planned if planned else 0.0
    kpis[f"{p}.stockout_probability"] = float(len(halts) > 0)
    kpis[f"{p}.first_stockout_day"] = float(halts[0, 0]) if len(halts) else float("nan")
    cover = _cover_days(trace.stocks_kg, trace.rate_kg_per_day)
    kpis[f"{p}.min_cover_days"] = float(np.min(cover)) if len(cover) else float("nan")

    decisions = [d for d in records.decisions if d.firm == trace.firm]
    kpis[f"{p}.applications"] = float(sum(f.firm == trace.firm for f in records.filings))
    for outcome, name in (("approve", "approved"), ("deny", "denied"), ("return", "returned")):
        kpis[f"{p}.{name}"] = float(sum(d.outcome == outcome for d in decisions))
    waits = [d.decision_day - d.first_filed_day for d in decisions if d.outcome == "approve"]
    kpis[f"{p}.licence_wait_days"] = float(np.mean(waits)) if waits else float("nan")
    arrived = [
        s
        for s in records.shipments
        if s.firm == trace.firm and not s.seized and s.arrival_day < horizon
    ]
    kpis[f"{p}.gray_market_kg"] = sum(s.kg for s in arrived if s.route == "gray")
    kpis[f"{p}.alternative_kg"] = sum(s.kg for s in arrived if s.route == "producer")

    series[f"{p}.cover_days"] = _cover_at(trace, months.ends)
    starts = np.maximum(halts[:, 0, None], months.starts)
    ends = np.maximum(np.minimum(halts[:, 1, None], months.ends), starts)
    series[f"{p}.lost_units"] = (
        _planned_units(trace.plan, starts.ravel(), ends.ravel()).reshape(starts.shape).sum(axis=0)
    )


def _planned_units(
    plan: tuple[tuple[float, float], ...], starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Units the plan (piecewise constant from each change day) calls for in each [start, end)."""
    days = np.array([d for d, _ in plan] + [np.inf])
    rates = np.array([u for _, u in plan])
    lo = np.maximum(starts[:, None], days[None, :-1])
    hi = np.minimum(ends[:, None], days[None, 1:])
    return (np.clip(hi - lo, 0.0, None) * rates).sum(axis=1)


def _cover_days(stocks_kg: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Days the stock would last at the planned rate: the scarcest material decides."""
    using = rate > 0
    if not np.any(using):
        return np.full(len(stocks_kg), np.inf)
    return np.min(stocks_kg[:, using] / rate[using], axis=1)


def _cover_at(trace: FirmTrace, times: np.ndarray) -> np.ndarray:
    """Cover at given times. Between recorded points stock is linear (a delivery records the
    state before and after it at the same instant), so interpolation is exact."""
    cover = _cover_days(trace.stocks_kg, trace.rate_kg_per_day)
    hi = np.searchsorted(trace.times, times, side="right")
    lo = np.clip(hi - 1, 0, len(cover) - 1)
    hi = np.clip(hi, 0, len(cover) - 1)
    t0, t1 = trace.times[lo], trace.times[hi]
    w = np.where(t1 > t0, (times - t0) / np.where(t1 > t0, t1 - t0, 1.0), 0.0)
    c0, c1 = cover[lo], cover[hi]
    finite = np.isfinite(c0) & np.isfinite(c1)
    # A firm using nothing has infinite cover; inf - inf would make NaN.
    step = np.subtract(c1, c0, out=np.zeros_like(c0), where=finite)
    return np.where(finite, c0 + w * step, np.maximum(c0, c1))


def _materials(
    records: RunRecords,
    routes: list[tuple[str, str]],
    months: Months,
    horizon: float,
    kpis: dict[str, float],
    series: dict[str, np.ndarray],
) -> None:
    materials = sorted({m for t in records.firms for m in t.materials})
    ships = records.shipments
    for m in materials:
        exports = [s for s in ships if s.material == m and s.route == "exports"]
        gray = [
            s for s in ships if s.material == m and s.route == "gray" and s.arrival_day < horizon
        ]
        kpis[f"materials.{m}.exports_kg"] = sum(s.kg for s in exports)
        kpis[f"materials.{m}.smuggled_kg"] = sum(s.kg for s in gray if not s.seized)
        kpis[f"materials.{m}.seized_kg"] = sum(s.kg for s in gray if s.seized)
        series[f"exports.total.{m}"] = _monthly_sum(
            (s.shipped_day for s in exports), (s.kg / KG_PER_T for s in exports), months
        )
        for dest in (d for d, needed in routes if needed == m):
            mine = [s for s in exports if s.destination == dest]
            series[f"exports.{dest}.{m}"] = _monthly_sum(
                (s.shipped_day for s in mine), (s.kg / KG_PER_T for s in mine), months
            )
        for name, seized in (("smuggled", False), ("seized", True)):
            chosen = [s for s in gray if s.seized == seized]
            series[f"{name}.{m}"] = _monthly_sum(
                (s.arrival_day for s in chosen), (s.kg / KG_PER_T for s in chosen), months
            )


def _authority(
    records: RunRecords,
    months: Months,
    horizon: float,
    kpis: dict[str, float],
    series: dict[str, np.ndarray],
) -> None:
    waits = [d.review_start_day - d.filed_day for d in records.decisions]
    kpis["authority.queue_wait_days"] = float(np.mean(waits)) if waits else float("nan")
    kpis["authority.backlog_max"] = float(np.max(records.backlog_counts))
    kpis["authority.applications"] = float(len(records.filings))
    if records.reviewer_capacity_days:
        kpis["authority.utilization"] = records.reviewer_busy_days / records.reviewer_capacity_days
    idx = np.searchsorted(records.backlog_times, months.ends, side="right") - 1
    series["authority.pending_applications"] = records.backlog_counts[idx].astype(float)
    firm_filings = [f for f in records.filings if f.firm]
    series["authority.filed"] = _monthly_sum(
        (f.day for f in firm_filings), (1.0 for _ in firm_filings), months
    )
    firm_decisions = [d for d in records.decisions if d.firm]
    for outcome, name in (("approve", "approved"), ("deny", "denied"), ("return", "returned")):
        chosen = [d for d in firm_decisions if d.outcome == outcome]
        series[f"authority.{name}"] = _monthly_sum(
            (d.decision_day for d in chosen), (1.0 for _ in chosen), months
        )
