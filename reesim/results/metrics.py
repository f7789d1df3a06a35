"""Per-replication numbers from the engine's records: KPIs, monthly series, and each firm's
stock cover at every day's end (the one daily series, named ``*_daily``).

KPI and series names are flat dotted paths (``firms.tesla.stockout_days``,
``exports.us.ndfeb_magnet``) so that gates, sweeps and plots name them the same way. A KPI that
does not apply to a replication (the first stockout day of one with no stockout) is NaN, and
statistics count only the replications where it applies.

Units follow the name: ``*_days`` days, ``*_kg`` kg, ``*_units`` units of product, ``*_pct``
percent, ``*_probability``, ``*_share`` and ``utilization`` shares; monthly quantity series are
in tonnes.

Records are grouped by firm in one pass, so the cost grows with the records, not with records
times firms.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from reesim.engine.recorder import FULL, STOPPED, Decision, FirmTrace, RunRecords, Shipment
from reesim.results.months import Months
from reesim.results.names import DAILY
from reesim.scenario.schema import Scenario

KG_PER_T = 1000.0
OVERALL = "all"
"""The destination name of the approval curve over every application."""


@dataclass(frozen=True)
class ReplicationMetrics:
    replication: int
    kpis: dict[str, float]
    series: dict[str, np.ndarray]  # one value per month
    events: int


@dataclass
class _FirmRecords:
    decisions: list[Decision]
    shipments: list[Shipment]
    filings: int = 0


def measure(records: RunRecords, scenario: Scenario) -> ReplicationMetrics:
    """All KPIs and monthly series of one replication; every replication of a scenario yields
    the same names, whatever happened in it."""
    months = Months.covering(scenario.start, records.horizon_days)
    by_firm: dict[str, _FirmRecords] = defaultdict(lambda: _FirmRecords([], []))
    for d in records.decisions:
        if d.firm:
            by_firm[d.firm].decisions.append(d)
    for s in records.shipments:
        by_firm[s.firm].shipments.append(s)
    for f in records.filings:
        if f.firm:
            by_firm[f.firm].filings += 1
    emergency = any(p.emergency_below is not None for p in scenario.producers.values())
    kpis: dict[str, float] = {}
    series: dict[str, np.ndarray] = {}
    horizon = records.horizon_days
    for trace in records.firms:
        _firm(trace, by_firm[trace.firm], months, horizon, emergency, kpis, series)
    # Only destination x material pairs some firm there needs: no series that are zero by design.
    routes = sorted({(f.country, m) for f in scenario.firms.values() for m in f.needs})
    _materials(records, routes, months, horizon, kpis, series)
    _authority(records, months, kpis, series)
    _approvals(records, scenario, months, series)
    return ReplicationMetrics(records.replication, kpis, series, records.events_processed)


def _monthly_sum(days: Iterable[float], amounts: Iterable[float], months: Months) -> np.ndarray:
    """Amounts summed by the month their day falls in (days at or past the horizon dropped)."""
    ends = months.end_days
    out = [0.0] * (len(ends) + 1)
    for day, amount in zip(days, amounts, strict=True):
        out[bisect_right(ends, day)] += amount
    return np.asarray(out[:-1])


def _firm(
    trace: FirmTrace,
    mine: _FirmRecords,
    months: Months,
    horizon: float,
    emergency: bool,
    kpis: dict[str, float],
    series: dict[str, np.ndarray],
) -> None:
    p = f"firms.{trace.firm}"
    plan = trace.plan
    month_starts, month_ends = months.starts.tolist(), months.ends.tolist()
    planned_by_month = [_planned(plan, a, b) for a, b in zip(month_starts, month_ends, strict=True)]
    planned = _planned(plan, 0.0, horizon)
    # The output path has few steps: plain Python beats numpy's per-call cost here.
    times = trace.output_times.tolist()
    lost_by_month = [0.0] * len(month_starts)
    lost, reduced_days, stopped_days, min_share = 0.0, 0.0, 0.0, math.inf
    first_reduced = first_stopped = math.nan
    for start, end, share, state in zip(
        times,
        [*times[1:], horizon],
        trace.output_share.tolist(),
        trace.output_state.tolist(),
        strict=True,
    ):
        start, end = min(start, horizon), min(end, horizon)
        if end <= start:
            continue
        min_share = min(min_share, share)
        if state != FULL:
            reduced_days += end - start
            if math.isnan(first_reduced):
                first_reduced = start
        if state == STOPPED:
            stopped_days += end - start
            if math.isnan(first_stopped):
                first_stopped = start
        lacking = 1.0 - share
        if lacking <= 0.0:
            continue
        k = bisect_right(month_ends, start)  # the month containing start
        while k < len(month_starts) and month_starts[k] < end:
            a, b = max(start, month_starts[k]), min(end, month_ends[k])
            if b > a:
                missed = _planned(plan, a, b) * lacking
                lost_by_month[k] += missed
                lost += missed
            k += 1
    kpis[f"{p}.stockout_days"] = reduced_days
    kpis[f"{p}.stopped_days"] = stopped_days
    kpis[f"{p}.production_lost_units"] = lost
    kpis[f"{p}.production_lost_pct"] = 100.0 * lost / planned if planned else 0.0
    kpis[f"{p}.stockout_probability"] = float(not math.isnan(first_reduced))
    kpis[f"{p}.stop_probability"] = float(not math.isnan(first_stopped))
    kpis[f"{p}.first_stockout_day"] = first_reduced
    kpis[f"{p}.first_stop_day"] = first_stopped
    kpis[f"{p}.min_output_pct"] = 100.0 * min_share if min_share < math.inf else 100.0
    cover = _cover_days(trace.stocks_kg, trace.rate_kg_per_day)
    defined = cover[~np.isnan(cover)]
    kpis[f"{p}.min_cover_days"] = float(np.min(defined)) if len(defined) else math.nan
    if trace.applicants > 1:
        kpis[f"{p}.applicants_short_share"] = trace.applicants_short / trace.applicants

    decisions = mine.decisions
    kpis[f"{p}.applications"] = float(mine.filings)
    for outcome, name in (("approve", "approved"), ("deny", "denied"), ("return", "returned")):
        kpis[f"{p}.{name}"] = float(sum(d.outcome == outcome for d in decisions))
    waits = [d.decision_day - d.first_filed_day for d in decisions if d.outcome == "approve"]
    kpis[f"{p}.licence_wait_days"] = math.fsum(waits) / len(waits) if waits else math.nan
    arrived = [s for s in mine.shipments if not s.seized and s.arrival_day < horizon]
    kpis[f"{p}.gray_market_kg"] = sum(s.kg for s in arrived if s.route == "gray")
    kpis[f"{p}.alternative_kg"] = sum(s.kg for s in arrived if s.route == "producer")
    if emergency:
        kpis[f"{p}.emergency_kg"] = sum(s.kg for s in arrived if s.route == "emergency")

    series[f"{p}.cover_days"] = _cover_at(trace, cover, months.ends)
    # At each day's end too: a drawdown that starts and ends within a month is invisible at
    # month ends, and the cover chart draws this one (a series of days, not months).
    days = np.arange(1.0, math.ceil(horizon) + 1.0)
    series[f"{p}.cover_days{DAILY}"] = _cover_at_many(trace, cover, days)
    series[f"{p}.lost_units"] = np.asarray(lost_by_month)
    series[f"{p}.output_pct"] = np.asarray(
        [
            100.0 * (1.0 - missed / want) if want > 0 else 100.0
            for missed, want in zip(lost_by_month, planned_by_month, strict=True)
        ]
    )


def _planned(plan: tuple[tuple[float, float], ...], start: float, end: float) -> float:
    """Units the plan (piecewise constant from each change day) calls for in [start, end)."""
    if len(plan) == 1:  # the usual case: one rate all along
        day, units = plan[0]
        overlap = end - max(start, day)
        return overlap * units if overlap > 0 else 0.0
    total = 0.0
    for k, (day, units) in enumerate(plan):
        until = plan[k + 1][0] if k + 1 < len(plan) else math.inf
        overlap = min(end, until) - max(start, day)
        if overlap > 0:
            total += overlap * units
    return total


def _cover_days(stocks_kg: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Days the stock would last at the planned rate: the scarcest material decides. Undefined
    (NaN) for a firm that uses nothing at its plan: no number of days is right, and an
    infinite one would poison every mean and interval it entered."""
    using = rate > 0
    if not np.any(using):
        return np.full(len(stocks_kg), np.nan)
    cover: np.ndarray = np.min(stocks_kg[:, using] / rate[using], axis=1)
    return cover


def _cover_at(trace: FirmTrace, cover: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Cover at given times. Between recorded points stock is linear (a delivery records the
    state before and after it at the same instant), so interpolation is exact. (A dozen month
    ends per firm: plain Python is cheaper than numpy's per-call cost.)"""
    points, covers = trace.times.tolist(), cover.tolist()
    last = len(points) - 1
    out = []
    for x in times.tolist():
        hi = bisect_right(points, x)
        lo, hi = max(hi - 1, 0), min(hi, last)
        t0, t1, c0, c1 = points[lo], points[hi], covers[lo], covers[hi]
        if math.isnan(c0) or math.isnan(c1):
            out.append(c0)  # cover undefined at either end: the state in force, unchanged
            continue
        w = (x - t0) / (t1 - t0) if t1 > t0 else 0.0
        out.append(c0 + w * (c1 - c0))
    return np.asarray(out)


def _cover_at_many(trace: FirmTrace, cover: np.ndarray, times: np.ndarray) -> np.ndarray:
    """`_cover_at` for many times at once (a day-by-day series), vectorised."""
    hi = np.searchsorted(trace.times, times, side="right")
    last = len(cover) - 1
    lo = np.minimum(np.maximum(hi - 1, 0), last)
    hi = np.minimum(hi, last)
    t0, t1 = trace.times[lo], trace.times[hi]
    span = t1 - t0
    w = np.divide(times - t0, span, out=np.zeros_like(times), where=span > 0)
    c0, c1 = cover[lo], cover[hi]
    defined = ~(np.isnan(c0) | np.isnan(c1))
    # Cover undefined at either end (nothing used): the state in force, as in `_cover_at`.
    step = np.subtract(c1, c0, out=np.zeros_like(c0), where=defined)
    between: np.ndarray = np.where(defined, c0 + w * step, c0)
    return between


def _materials(
    records: RunRecords,
    routes: list[tuple[str, str]],
    months: Months,
    horizon: float,
    kpis: dict[str, float],
    series: dict[str, np.ndarray],
) -> None:
    materials = sorted({m for t in records.firms for m in t.materials})
    exports: dict[str, list[Shipment]] = {m: [] for m in materials}
    gray: dict[str, list[Shipment]] = {m: [] for m in materials}
    for s in records.shipments:
        if s.route == "exports":
            exports[s.material].append(s)
        elif s.route == "gray" and s.arrival_day < horizon:
            gray[s.material].append(s)
    for m in materials:
        mine = exports[m]
        kpis[f"materials.{m}.exports_kg"] = sum(s.kg for s in mine)
        kpis[f"materials.{m}.smuggled_kg"] = sum(s.kg for s in gray[m] if not s.seized)
        kpis[f"materials.{m}.seized_kg"] = sum(s.kg for s in gray[m] if s.seized)
        series[f"exports.total.{m}"] = _monthly_sum(
            (s.cleared_day for s in mine), (s.kg / KG_PER_T for s in mine), months
        )
        by_dest: dict[str, list[Shipment]] = defaultdict(list)
        for s in mine:
            by_dest[s.destination].append(s)
        for dest in (d for d, needed in routes if needed == m):
            to = by_dest[dest]
            series[f"exports.{dest}.{m}"] = _monthly_sum(
                (s.cleared_day for s in to), (s.kg / KG_PER_T for s in to), months
            )
        for name, seized in (("smuggled", False), ("seized", True)):
            chosen = [s for s in gray[m] if s.seized == seized]
            series[f"{name}.{m}"] = _monthly_sum(
                (s.arrival_day for s in chosen), (s.kg / KG_PER_T for s in chosen), months
            )


def _authority(
    records: RunRecords, months: Months, kpis: dict[str, float], series: dict[str, np.ndarray]
) -> None:
    waits = [d.review_start_day - d.filed_day for d in records.decisions]
    kpis["authority.queue_wait_days"] = math.fsum(waits) / len(waits) if waits else math.nan
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
    # Decisions by outcome per month: the firms' own, and everyone's (background included).
    ends = months.end_days
    counts = {
        (scope, outcome): [0.0] * (len(ends) + 1)
        for scope in ("authority", f"applications.{OVERALL}")
        for outcome in ("approve", "deny", "return")
    }
    for d in records.decisions:
        k = bisect_right(ends, d.decision_day)
        counts[(f"applications.{OVERALL}", d.outcome)][k] += 1.0
        if d.firm:
            counts[("authority", d.outcome)][k] += 1.0
    names = {"approve": "approved", "deny": "denied", "return": "returned"}
    for (scope, outcome), monthly in counts.items():
        series[f"{scope}.{names[outcome]}"] = np.asarray(monthly[:-1])


def _approvals(
    records: RunRecords, scenario: Scenario, months: Months, series: dict[str, np.ndarray]
) -> None:
    """Approval curves: of the applications first filed since `reporting.approvals_since` (or
    the start) and by each month end, the share approved by that month end; per destination
    and over all applications, background included, as published tallies count them."""
    since_date = scenario.reporting.approvals_since or scenario.start
    since = float((since_date - scenario.start).days)
    first: dict[int, tuple[float, str]] = {}
    for f in records.filings:
        if f.submission == 0 and f.day >= since:
            first[f.application_id] = (f.day, f.destination)
    approved = {
        d.application_id: d.decision_day
        for d in records.decisions
        if d.outcome == "approve" and d.application_id in first
    }
    dests = sorted(
        {f.country for f in scenario.firms.values()}
        | set(scenario.authority.background.destinations)
    )
    # Counted by month: an application counts from the month whose end is past its filing
    # (and its approval), and every month after; cumulative sums give the month-end tallies.
    ends = months.end_days
    n = len(ends) + 1
    filed_in = {dest: [0] * n for dest in [OVERALL, *dests]}
    approved_in = {dest: [0] * n for dest in [OVERALL, *dests]}
    for application, (day, dest) in first.items():
        k = bisect_right(ends, day)
        decided = approved.get(application)
        ka = bisect_right(ends, decided) if decided is not None else n - 1
        for scope in (OVERALL, dest):
            if scope in filed_in:
                filed_in[scope][k] += 1
                approved_in[scope][ka] += 1
    for dest in [OVERALL, *dests]:
        filed = accumulate(filed_in[dest][:-1])
        granted = accumulate(approved_in[dest][:-1])
        series[f"applications.{dest}.approved_share"] = np.asarray(
            [g / f if f else math.nan for f, g in zip(filed, granted, strict=True)]
        )
