"""Per-replication numbers from the engine's records: KPIs, monthly series, and each firm's
stock cover at every day's end (the one daily series, named ``*_daily``).

KPI and series names are flat dotted paths (``firms.tesla.stockout_days``,
``exports.us.ndfeb_magnet``) so that gates, sweeps and plots name them the same way. A KPI that
does not apply to a replication (the first stockout day of one with no stockout) is NaN, and
statistics count only the replications where it applies.

Units follow the name: ``*_days`` days, ``*_kg`` kg, ``*_units`` units of product, ``*_pct``
percent, ``*_probability``, ``*_share`` and ``utilization`` shares; monthly quantity series are
in tonnes.

`measure` passes once over each kind of record (filings, decisions, shipments), adding every
record to whatever counts it (its firm, its material, its month, the authority), so the cost
grows with the records, not with records times firms or materials. What is the same in every
replication of a scenario (months, which series exist) comes from its cached `Layout`. Sums
keep the order of the records, so a KPI is the same to the bit however the work is arranged.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from reesim.engine.collector import collector_paused
from reesim.engine.recorder import RunRecords
from reesim.results.firm_metrics import (
    APPROVE,
    OUTCOME_INDEX,
    OUTCOME_NAMES,
    FirmRecords,
    firm_metrics,
)
from reesim.results.layout import OVERALL, Layout, layout_of
from reesim.scenario.schema import Scenario

KG_PER_T = 1000.0


@dataclass(frozen=True)
class ReplicationMetrics:
    replication: int
    kpis: dict[str, float]
    series: dict[str, np.ndarray]  # one value per month
    events: int


class _MaterialFlows:
    """One material's exports, smuggling and seizures, gathered in one pass over shipments."""

    __slots__ = ("exports_kg", "exports_t", "exports_by_destination_t", "gray_kg", "gray_t")

    def __init__(self, layout: Layout, material: str) -> None:
        slots = len(layout.month_ends) + 1  # the last collects days at or past the horizon
        self.exports_kg: list[float] = []  # every export, in record order
        self.exports_t = [0.0] * slots  # by month cleared
        self.exports_by_destination_t = {
            d: [0.0] * slots for d in layout.destinations_by_material.get(material, ())
        }
        # Gray shipments arriving within the horizon, by seized (False, True): kg in record
        # order, and tonnes by month of arrival.
        self.gray_kg: tuple[list[float], list[float]] = ([], [])
        self.gray_t = ([0.0] * slots, [0.0] * slots)


class _Applications:
    """The authority's side of a replication, gathered in one pass over filings and decisions."""

    def __init__(self, layout: Layout) -> None:
        slots = len(layout.month_ends) + 1
        self.firm_filed = [0.0] * slots  # firms' filings (first and resubmitted) by month
        # Decisions by outcome (OUTCOMES order) and month: the firms' own, and everyone's.
        self.firm_decided = [[0.0] * slots for _ in OUTCOME_NAMES]
        self.all_decided = [[0.0] * slots for _ in OUTCOME_NAMES]
        self.queue_waits_days: list[float] = []
        # Applications first filed since `approvals_since`: month filed and destination; and
        # the month each was approved in.
        self.first: dict[int, tuple[int, str]] = {}
        self.approved_month: dict[int, int] = {}


def measure(
    records: RunRecords, scenario: Scenario, series: bool = True, daily: bool = True
) -> ReplicationMetrics:
    """All KPIs and monthly series of one replication; every replication of a scenario yields
    the same names, whatever happened in it. Less where less is kept, with the same values:
    with `series` False only the KPIs (a sweep keeps no series; the daily cover interpolation,
    the approval curves and the arrays of every other series are half the work for a small
    world); with `daily` False no daily series (a run summarises them over its first
    `results.result.DAILY_LIMIT` replications only). The cyclic garbage collector is paused
    meanwhile, as in `simulate` (`reesim.engine.collector`)."""
    with collector_paused():
        return _measure(records, scenario, series, daily)


def _measure(
    records: RunRecords, scenario: Scenario, with_series: bool, daily: bool
) -> ReplicationMetrics:
    layout = layout_of(scenario, records.horizon_days)
    by_firm = {trace.firm: FirmRecords() for trace in records.firms}
    materials = sorted({m for t in records.firms for m in t.materials})
    flows = {m: _MaterialFlows(layout, m) for m in materials}
    applications = _Applications(layout)
    _pass_filings(records, layout, by_firm, applications)
    _pass_decisions(records, layout, by_firm, applications)
    _pass_shipments(records, layout, by_firm, flows)

    kpis: dict[str, float] = {}
    series: dict[str, np.ndarray] = {}
    wanted = series if with_series else None
    for trace in records.firms:
        firm_metrics(trace, by_firm[trace.firm], layout, kpis, wanted, daily)
    _materials(flows, kpis, wanted)
    _authority(records, layout, applications, kpis, wanted)
    if wanted is not None:
        _approvals(layout, applications, wanted)
    return ReplicationMetrics(records.replication, kpis, series, records.events_processed)


def _pass_filings(
    records: RunRecords, layout: Layout, by_firm: dict[str, FirmRecords], apps: _Applications
) -> None:
    ends, since = layout.month_ends, layout.approvals_since_day
    firm_filed, first = apps.firm_filed, apps.first
    for f in records.filings:
        k = bisect_right(ends, f.day)
        if f.firm:
            firm_filed[k] += 1.0
            mine = by_firm.get(f.firm)
            if mine is not None:
                mine.filings += 1
        if f.submission == 0 and f.day >= since:
            first[f.application_id] = (k, f.destination)


def _pass_decisions(
    records: RunRecords, layout: Layout, by_firm: dict[str, FirmRecords], apps: _Applications
) -> None:
    ends, first, approved_month = layout.month_ends, apps.first, apps.approved_month
    waits, all_decided, firm_decided = apps.queue_waits_days, apps.all_decided, apps.firm_decided
    for d in records.decisions:
        waits.append(d.review_start_day - d.filed_day)
        outcome = OUTCOME_INDEX[d.outcome]
        k = bisect_right(ends, d.decision_day)
        all_decided[outcome][k] += 1.0
        if d.firm:
            firm_decided[outcome][k] += 1.0
            mine = by_firm.get(d.firm)
            if mine is not None:
                mine.outcomes[outcome] += 1
                if outcome == APPROVE:
                    mine.approval_waits_days.append(d.decision_day - d.first_filed_day)
        if outcome == APPROVE and d.application_id in first:
            approved_month[d.application_id] = k


def _pass_shipments(
    records: RunRecords,
    layout: Layout,
    by_firm: dict[str, FirmRecords],
    flows: dict[str, _MaterialFlows],
) -> None:
    ends, horizon = layout.month_ends, layout.horizon_days
    for s in records.shipments:
        route = s.route
        if route == "exports":  # most shipments: counted per material and destination only
            flow = flows[s.material]
            flow.exports_kg.append(s.kg)
            k = bisect_right(ends, s.cleared_day)
            tonnes = s.kg / KG_PER_T
            flow.exports_t[k] += tonnes
            to = flow.exports_by_destination_t.get(s.destination)
            if to is not None:
                to[k] += tonnes
            continue
        if s.arrival_day >= horizon:
            continue
        if route == "gray":
            flow = flows[s.material]
            flow.gray_kg[s.seized].append(s.kg)
            flow.gray_t[s.seized][bisect_right(ends, s.arrival_day)] += s.kg / KG_PER_T
        if not s.seized:
            mine = by_firm.get(s.firm)
            if mine is not None:
                kg = mine.arrived_kg.get(route)
                if kg is not None:
                    kg.append(s.kg)


def _materials(
    flows: dict[str, _MaterialFlows],
    kpis: dict[str, float],
    series: dict[str, np.ndarray] | None,
) -> None:
    for m, flow in flows.items():
        kpis[f"materials.{m}.exports_kg"] = sum(flow.exports_kg)
        kpis[f"materials.{m}.smuggled_kg"] = sum(flow.gray_kg[False])
        kpis[f"materials.{m}.seized_kg"] = sum(flow.gray_kg[True])
        if series is None:
            continue
        series[f"exports.total.{m}"] = np.asarray(flow.exports_t[:-1])
        for dest, monthly in flow.exports_by_destination_t.items():
            series[f"exports.{dest}.{m}"] = np.asarray(monthly[:-1])
        series[f"smuggled.{m}"] = np.asarray(flow.gray_t[False][:-1])
        series[f"seized.{m}"] = np.asarray(flow.gray_t[True][:-1])


def _authority(
    records: RunRecords,
    layout: Layout,
    apps: _Applications,
    kpis: dict[str, float],
    series: dict[str, np.ndarray] | None,
) -> None:
    waits = apps.queue_waits_days
    kpis["authority.queue_wait_days"] = math.fsum(waits) / len(waits) if waits else math.nan
    kpis["authority.backlog_max"] = float(records.backlog_counts.max())
    kpis["authority.applications"] = float(len(records.filings))
    if records.reviewer_capacity_days:
        kpis["authority.utilization"] = records.reviewer_busy_days / records.reviewer_capacity_days
    if series is None:
        return
    idx = records.backlog_times.searchsorted(layout.months.ends, side="right") - 1
    series["authority.pending_applications"] = records.backlog_counts[idx].astype(float)
    series["authority.filed"] = np.asarray(apps.firm_filed[:-1])
    for scope, decided in (
        ("authority", apps.firm_decided),
        (f"applications.{OVERALL}", apps.all_decided),
    ):
        for name, monthly in zip(OUTCOME_NAMES, decided, strict=True):
            series[f"{scope}.{name}"] = np.asarray(monthly[:-1])


def _approvals(layout: Layout, apps: _Applications, series: dict[str, np.ndarray]) -> None:
    """Approval curves: of the applications first filed since `reporting.approvals_since` (or
    the start) and by each month end, the share approved by that month end; per destination
    and over all applications, background included, as published tallies count them."""
    # Counted by month: an application counts from the month whose end is past its filing
    # (and its approval), and every month after; cumulative sums give the month-end tallies.
    n = len(layout.month_ends) + 1
    filed_in = {scope: [0] * n for scope in layout.approval_scopes}
    approved_in = {scope: [0] * n for scope in layout.approval_scopes}
    overall_filed, overall_approved = filed_in[OVERALL], approved_in[OVERALL]
    approved_month = apps.approved_month
    for application, (k, dest) in apps.first.items():
        ka = approved_month.get(application, n - 1)  # never approved: past every month
        overall_filed[k] += 1
        overall_approved[ka] += 1
        if dest in filed_in:
            filed_in[dest][k] += 1
            approved_in[dest][ka] += 1
    for scope in layout.approval_scopes:
        filed = accumulate(filed_in[scope][:-1])
        granted = accumulate(approved_in[scope][:-1])
        series[f"applications.{scope}.approved_share"] = np.asarray(
            [g / f if f else math.nan for f, g in zip(filed, granted, strict=True)]
        )
