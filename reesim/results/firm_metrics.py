"""One firm's KPIs and series: output lost to shortage, stock cover, licences and supply.

`measure` (in `metrics`) gathers each firm's applications, decisions and arrivals into a
`FirmRecords` as it passes over the records; `firm_metrics` turns a firm's trace and its
records into numbers. The output path is walked in plain Python (a small world's firm has a
few steps and a dozen months, where numpy's fixed cost per call exceeds the work); stock cover,
a value per stock point and per day, is computed with numpy, column by column.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import NamedTuple

import numpy as np

from reesim.engine.recorder import FULL, STOPPED, FirmTrace
from reesim.results.layout import Layout
from reesim.results.names import DAILY

OUTCOMES = ("approve", "deny", "return")
"""A decision's outcomes, in the order KPIs and series are named and counted."""
APPROVE = 0
OUTCOME_INDEX = {outcome: k for k, outcome in enumerate(OUTCOMES)}
OUTCOME_NAMES = ("approved", "denied", "returned")

SUPPLY_ROUTES = ("gray", "producer", "emergency")
"""Routes whose arrivals count towards a firm's own supply KPIs (exports are counted per
material, pipeline stock was already in transit at the start)."""


class FirmRecords:
    """What a firm's records add up to, gathered while `measure` passes over all records."""

    __slots__ = ("filings", "outcomes", "approval_waits_days", "arrived_kg")

    def __init__(self) -> None:
        self.filings = 0
        self.outcomes = [0, 0, 0]  # decisions by outcome, in OUTCOMES order
        self.approval_waits_days: list[float] = []  # first filing to approval, in record order
        # kg that arrived unseized within the horizon, by supply route, in record order
        self.arrived_kg: dict[str, list[float]] = {route: [] for route in SUPPLY_ROUTES}


def firm_metrics(
    trace: FirmTrace,
    mine: FirmRecords,
    layout: Layout,
    kpis: dict[str, float],
    series: dict[str, np.ndarray] | None,
    daily: bool = True,
) -> None:
    """Add one firm's KPIs and series (``firms.<id>.*``) to `kpis` and `series` (None: KPIs
    only); the daily cover series only if `daily`."""
    p = f"firms.{trace.firm}"
    horizon = layout.horizon_days
    path = _output_path(trace, layout)
    lost = path.lost_units
    planned = _planned(trace.plan, 0.0, horizon)
    kpis[f"{p}.stockout_days"] = path.reduced_days
    kpis[f"{p}.stopped_days"] = path.stopped_days
    kpis[f"{p}.production_lost_units"] = lost
    kpis[f"{p}.production_lost_pct"] = 100.0 * lost / planned if planned else 0.0
    kpis[f"{p}.stockout_probability"] = float(not math.isnan(path.first_reduced_day))
    kpis[f"{p}.stop_probability"] = float(not math.isnan(path.first_stopped_day))
    kpis[f"{p}.first_stockout_day"] = path.first_reduced_day
    kpis[f"{p}.first_stop_day"] = path.first_stopped_day
    min_share = path.min_share
    kpis[f"{p}.min_output_pct"] = 100.0 * min_share if min_share < math.inf else 100.0
    cover = _cover_days(trace.stocks_kg, trace.rate_kg_per_day)
    lowest = cover.min() if len(cover) else math.nan
    if math.isnan(lowest):  # some cover undefined (or none recorded): the least defined one
        defined = cover[~np.isnan(cover)]
        lowest = np.min(defined) if len(defined) else math.nan
    kpis[f"{p}.min_cover_days"] = float(lowest)
    if trace.applicants > 1:
        kpis[f"{p}.applicants_short_share"] = trace.applicants_short / trace.applicants

    kpis[f"{p}.applications"] = float(mine.filings)
    for name, count in zip(OUTCOME_NAMES, mine.outcomes, strict=True):
        kpis[f"{p}.{name}"] = float(count)
    waits = mine.approval_waits_days
    kpis[f"{p}.licence_wait_days"] = math.fsum(waits) / len(waits) if waits else math.nan
    arrived = mine.arrived_kg
    kpis[f"{p}.gray_market_kg"] = sum(arrived["gray"])
    kpis[f"{p}.alternative_kg"] = sum(arrived["producer"])
    if layout.emergency:
        kpis[f"{p}.emergency_kg"] = sum(arrived["emergency"])
    if series is None:
        return

    # At each day's end too: a drawdown that starts and ends within a month is invisible at
    # month ends, and the cover chart draws this one (a series of days, not months).
    if not daily:  # month ends alone, the same arithmetic: the same values
        series[f"{p}.cover_days"] = _cover_at(trace.times, cover, layout.months.ends)
    else:
        if math.isnan(lowest):
            by_day = _cover_at_many(trace.times, cover, layout.days)
            at_month_ends = _cover_at(trace.times, cover, layout.months.ends)
        else:
            by_day = _cover_at_days(trace.times, cover, layout.days)
            if layout.month_end_days is not None:  # every month ends on a day's end: read off
                at_month_ends = by_day[layout.month_end_days]
            else:
                at_month_ends = _cover_at(trace.times, cover, layout.months.ends)
        series[f"{p}.cover_days"] = at_month_ends
        series[f"{p}.cover_days{DAILY}"] = by_day
    lost_by_month = path.lost_units_by_month
    series[f"{p}.lost_units"] = np.asarray(lost_by_month)
    series[f"{p}.output_pct"] = np.asarray(
        [
            100.0 * (1.0 - missed / want) if want > 0 else 100.0
            for missed, want in zip(
                lost_by_month, _planned_by_month(trace.plan, layout), strict=True
            )
        ]
    )


class _OutputPath(NamedTuple):
    """A firm's output path over the horizon, summed up."""

    lost_units: float
    lost_units_by_month: list[float]
    reduced_days: float  # below plan (some line stopped)
    stopped_days: float  # every line stopped
    min_share: float  # of planned output; inf if the path has no step within the horizon
    first_reduced_day: float  # NaN if never
    first_stopped_day: float


def _output_path(trace: FirmTrace, layout: Layout) -> _OutputPath:
    """Walk the output steps once: days below plan and stopped, and units lost by month (the
    plan's units in each step's overlap with each month, times the share not made). Plain
    comparisons rather than min()/max() calls: this runs once per step, thousands of times
    per firm in big worlds (they pick the same value, so the same numbers)."""
    horizon, plan = layout.horizon_days, trace.plan
    month_starts, month_ends = layout.month_starts, layout.month_ends
    months = len(month_starts)
    times = trace.output_times.tolist()
    lost_by_month = [0.0] * months
    lost, reduced_days, stopped_days, min_share = 0.0, 0.0, 0.0, math.inf
    first_reduced = first_stopped = math.nan
    for start, end, share, state in zip(
        times,
        [*times[1:], horizon],
        trace.output_share.tolist(),
        trace.output_state.tolist(),
        strict=True,
    ):
        if horizon < start:
            start = horizon
        if horizon < end:
            end = horizon
        if end <= start:
            continue
        if share < min_share:
            min_share = share
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
        while k < months and month_starts[k] < end:
            a = month_starts[k] if month_starts[k] > start else start
            b = month_ends[k] if month_ends[k] < end else end
            if b > a:
                missed = _planned(plan, a, b) * lacking
                lost_by_month[k] += missed
                lost += missed
            k += 1
    return _OutputPath(
        lost, lost_by_month, reduced_days, stopped_days, min_share, first_reduced, first_stopped
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


PLANS_KEPT = 256
"""Production plans whose monthly totals a layout remembers (usually one per firm)."""


def _planned_by_month(plan: tuple[tuple[float, float], ...], layout: Layout) -> tuple[float, ...]:
    """Units the plan calls for in each month, remembered by the layout."""
    known = layout.planned_by_plan.get(plan)
    if known is None:
        pairs = zip(layout.month_starts, layout.month_ends, strict=True)
        known = tuple(_planned(plan, a, b) for a, b in pairs)
        if len(layout.planned_by_plan) < PLANS_KEPT:
            layout.planned_by_plan[plan] = known
    return known


def _cover_days(stocks_kg: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Days the stock would last at the planned rate: the scarcest material decides. Undefined
    (NaN) for a firm that uses nothing at its plan: no number of days is right, and an
    infinite one would poison every mean and interval it entered."""
    if len(rate) == 1:  # one material (the usual case): its cover is the firm's
        return stocks_kg[:, 0] / rate[0] if rate[0] > 0 else np.full(len(stocks_kg), np.nan)
    using = rate > 0
    if not using.any():
        return np.full(len(stocks_kg), np.nan)
    per_material = stocks_kg / rate if using.all() else stocks_kg[:, using] / rate[using]
    # Column by column: np.minimum over a few long columns is far quicker than .min(axis=1)
    # over many two-element rows, and takes the same values.
    cover: np.ndarray = per_material[:, 0]
    for column in range(1, per_material.shape[1]):
        cover = np.minimum(cover, per_material[:, column])
    return cover


def _cover_at_days(times: np.ndarray, cover: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Cover at given times (ascending), where cover is defined throughout. Between recorded
    points stock is linear (a delivery records the state before and after it at the same
    instant), so interpolation is exact; before the first point and after the last, the
    nearest point's cover."""
    hi = times.searchsorted(days, side="right")
    lo = hi - 1
    if len(days) and days[0] < times[0]:
        np.maximum(lo, 0, out=lo)
    np.minimum(hi, len(cover) - 1, out=hi)
    t0 = times[lo]
    span = times[hi] - t0
    w = np.divide(days - t0, span, out=np.zeros(len(days)), where=span > 0)
    c0 = cover[lo]
    between: np.ndarray = c0 + w * (cover[hi] - c0)
    return between


def _cover_at_many(times: np.ndarray, cover: np.ndarray, days: np.ndarray) -> np.ndarray:
    """`_cover_at_days` where cover may be undefined (NaN): where it is at either end of the
    span, the cover in force, unchanged."""
    hi = np.searchsorted(times, days, side="right")
    last = len(cover) - 1
    lo = np.minimum(np.maximum(hi - 1, 0), last)
    hi = np.minimum(hi, last)
    t0, t1 = times[lo], times[hi]
    span = t1 - t0
    w = np.divide(days - t0, span, out=np.zeros_like(days), where=span > 0)
    c0, c1 = cover[lo], cover[hi]
    defined = ~(np.isnan(c0) | np.isnan(c1))
    step = np.subtract(c1, c0, out=np.zeros_like(c0), where=defined)
    between: np.ndarray = np.where(defined, c0 + w * step, c0)
    return between


def _cover_at(times: np.ndarray, cover: np.ndarray, at: np.ndarray) -> np.ndarray:
    """`_cover_at_many` one time at a time (a dozen month ends: plain Python is cheaper than
    numpy's per-call cost). The same arithmetic, so the same values to the bit."""
    points, covers = times.tolist(), cover.tolist()
    last = len(points) - 1
    out = []
    for x in at.tolist():
        hi = bisect_right(points, x)
        lo, hi = max(hi - 1, 0), min(hi, last)
        t0, t1, c0, c1 = points[lo], points[hi], covers[lo], covers[hi]
        if math.isnan(c0) or math.isnan(c1):
            out.append(c0)
            continue
        w = (x - t0) / (t1 - t0) if t1 > t0 else 0.0
        out.append(c0 + w * (c1 - c0))
    return np.asarray(out)
