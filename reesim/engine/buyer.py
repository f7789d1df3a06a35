"""A buyer (a firm or a country aggregate): its importers, what they share, and its paths.

A buyer stands for `applicants.count` importers. Each is an `Applicant` with its own share of
the buyer's needs, stock and orders; this class holds what they share (materials, planned rates,
product lines, ordering amounts at buyer level, controls and general licences in force, the
suppliers) and keeps the buyer's aggregate paths as importers report changes:

- stock: the sum of the importers' stocks, linear between recorded points, since each importer's
  stock is linear between its own events and every change of slope is an importer's event;
- output: the share of planned output made, a step function changed whenever an importer's
  line stops or restarts.

Idle importers are state, not processes: a population of N costs events only for the importers
that act.
"""

from __future__ import annotations

import math
from itertools import chain
from statistics import NormalDist

import numpy as np

from reesim.engine.applicant import Applicant
from reesim.engine.authority import LicensingAuthority
from reesim.engine.firm_setup import Amount, FirmSetup, firm_setup
from reesim.engine.recorder import FULL, REDUCED, STOPPED, BuyerLog, FirmTrace
from reesim.engine.sourcing import ship_before_start
from reesim.engine.supply import CapacityPool
from reesim.engine.tolerance import EPS_KG
from reesim.engine.world import World
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.schema import EXPORTS
from reesim.scenario.units import CALENDAR_DAYS, Duration

GeneralLicenceWindow = tuple[float, float, frozenset[str] | None, float]
"""(first day, end day, exporters whose customers it covers or None for all, customer share)."""


class Buyer:
    def __init__(
        self,
        world: World,
        firm_id: str,
        authority: LicensingAuthority,
        pools: dict[str, CapacityPool],
    ):
        self.world = world
        self.id = firm_id
        self.authority = authority
        self.pools = pools
        spec = world.params.firms[firm_id]
        self.materials = tuple(spec.needs)
        setup = firm_setup(world.params, (firm_id, self.materials))
        self.index_of = setup.index_of
        self.country = spec.country
        self.end_use = spec.end_use
        self._production_stream = world.streams.key("production", firm_id)
        self._units = spec.production.units_per_day
        self._needs = spec.needs
        self.plan: list[tuple[float, float]] = [(0.0, self._draw_units(0))]
        self._refresh(setup)
        self.stockpile_kg = self._kg_each(setup.stockpile)
        self.lines = setup.lines
        self.contracts = spec.applicants.contracts  # applications an importer may have pending
        self.applicants = self._population(setup)
        n = len(self.materials)
        self.total = [sum(a.stock[i] for a in self.applicants) for i in range(n)]
        self.total_slope = [sum(a.slope[i] for a in self.applicants) for i in range(n)]
        self.consuming = [sum(a.slope[i] > 0 for a in self.applicants) for i in range(n)]
        self._t = 0.0
        self.pairs = len(self.applicants) * len(self.lines)
        self.stopped = 0
        self.output_share = 1.0
        self.log = BuyerLog(self.materials)
        self.log.point(0.0, tuple(self.total))
        self.log.output(0.0, 1.0, FULL)
        world.listeners.append(self._follow_params)

    # --- set-up -------------------------------------------------------------------------------
    def _draw_units(self, index: int) -> float:
        u = self.world.uniform(self._production_stream, index)
        return max(0.0, self._units.quantile(u))

    @property
    def units_per_day(self) -> float:
        return self.plan[-1][1]

    def _kg_each(self, amounts: tuple[Amount, ...]) -> list[float]:
        """Buyer-level quantities of each material, given as kg or as days of cover at the
        planned rate."""
        rate = self.rate
        return [kg if days is None else days * rate[i] for i, (days, kg) in enumerate(amounts)]

    def _refresh(self, setup: FirmSetup) -> None:
        """Everything the importers read from the parameters in force: the firm's set-up under
        them (`firm_setup`, the same in every replication), in kg at the planned rate."""
        world = self.world
        spec = self.spec = setup.spec
        self.rate = [spec.needs[m].kg_per_day(self.units_per_day) for m in self.materials]
        o = self.ordering = spec.ordering
        self.up_to = setup.up_to
        self.level_kg = self._kg_each(setup.level)
        self.reorder_point_kg = self._kg_each(setup.reorder_point)
        self.quantity_kg = self._kg_each(setup.quantity)
        self.threshold_kg = self.level_kg if self.up_to else self.reorder_point_kg
        self.apply_for_kg = self._kg_each(setup.apply_for)
        self.restock_kg = self._kg_each(setup.restock) if setup.restock else None
        self.prestock_kg = self._kg_each(setup.prestock) if setup.prestock else None
        self.boosts = self.restock_kg is not None or self.prestock_kg is not None
        now = world.env._now
        decay, lag = setup.restock_decay_days, setup.restart_lag_days
        if decay is None:  # working days, counted from now
            decay = world.span_days(o.restock.decay, now) if o.restock else 0.0
        self.restock_decay_days = decay
        self.restart_lag_days = (
            lag if lag is not None else world.span_days(spec.production.restart_lag, now)
        )
        self._review_days = setup.review_days
        self._ahead_days = setup.ahead_days
        self.transit = spec.transit
        self.suppliers = [(s, None if s == EXPORTS else self.pools[s]) for s in spec.suppliers]
        self.exports_only = setup.exports_only
        self.controlled = setup.controlled
        self.general_licences = [self._general_licences(m) for m in self.materials]

    def _general_licences(self, material: str) -> list[GeneralLicenceWindow]:
        world = self.world
        windows: list[GeneralLicenceWindow] = []
        for gl in world.params.authority.general_licences:
            if gl.materials and material not in gl.materials:
                continue
            start = world.calendar.day_of(gl.start)
            end = start + world.span_days(gl.validity, start)
            if self.id in gl.firms or self.country in gl.destinations:
                windows.append((start, end, None, 1.0))
            elif gl.exporters:
                windows.append((start, end, frozenset(gl.exporters), gl.customer_share))
        return windows

    def _population(self, setup: FirmSetup) -> list[Applicant]:
        world = self.world
        spec = setup.spec
        count, cv = spec.applicants.count, spec.applicants.size_cv
        streams = world.streams
        scales = setup.scales
        if scales is None:
            sigma = math.sqrt(math.log1p(cv * cv))
            normal = NormalDist()
            size_key = streams.key("applicant-size", self.id)
            raw = [
                math.exp(sigma * normal.inv_cdf(world.uniform(size_key, k))) for k in range(count)
            ]
            total = math.fsum(raw)
            scales = tuple(size / total for size in raw)
        phase = self.ordering.review_phase
        phase_key = streams.key("review-phase", self.id) if phase == "random" else 0
        prestock = self.ordering.prestock
        aware_key = streams.key("prestock-aware", self.id) if prestock is not None else 0
        period = self.ordering.review_period
        exporters = setup.exporters
        applicants = []
        for k in range(count):
            if isinstance(phase, Duration):
                first = world.span_days(phase, 0.0)
            else:
                frac = k / count if phase == "staggered" else world.uniform(phase_key, k)
                first = world.span(period.value * frac, period.unit, 0.0)
            aware = prestock is not None and world.uniform(aware_key, k) < prestock.aware_share
            applicants.append(Applicant(self, k, scales[k], exporters[k], first, aware))
        return applicants

    def customer_u(self, k: int) -> float:
        """Importer k's uniform deciding which exporters' general licences name it (drawn when
        a licence first needs it; the same whenever that is)."""
        return self.world.uniform(self.world.streams.key("customer", self.id), k)

    def start(self) -> None:
        """The importers' first decisions, at time 0 (after a warm start's pipeline is set)."""
        if self.ordering.warm_start and self.spec.suppliers:
            for a in self.applicants:
                self._pipeline(a)
        for a in self.applicants:
            a.step()

    def _pipeline(self, a: Applicant) -> None:
        """Orders placed before the start and still in transit: one per past review period (or
        reorder cycle) of steady-state ordering, each with its own drawn transit time."""
        world = self.world
        customs_by_material = world.params.authority.customs_delay
        for i, material in enumerate(self.materials):
            r = a.rate[i]
            if r <= 0:
                continue
            if self.up_to:
                period = self.review_span(0.0)
                size = r * period
            else:
                size = self.quantity_kg[i] * a.scale
                period = size / r
            if not period > 0:
                continue
            customs = customs_by_material.get(material)
            longest = _longest_days(self.transit) + (_longest_days(customs) if customs else 0.0)
            j = 1
            while (ordered := a.next_review - j * period) + longest > 0 and j <= 10_000:
                ship_before_start(a, i, size, ordered, j, customs)
                j += 1

    # --- what importers read ------------------------------------------------------------------
    def review_span(self, at: float) -> float:
        days = self._review_days
        return days if days is not None else self.world.span_days(self.ordering.review_period, at)

    def apply_ahead_span(self, at: float) -> float:
        days = self._ahead_days
        if days is not None:
            return days
        ahead = self.ordering.apply_ahead
        return self.world.span_days(ahead, at) if ahead is not None else 0.0

    def announced(self, now: float) -> bool:
        """Whether an announced rule is pending (announced, not yet in force)."""
        return any(a <= now < e for a, e in self.world.announcements)

    # --- what importers report ----------------------------------------------------------------
    def _advance_total(self) -> None:
        now = self.world.env._now
        dt = now - self._t
        if dt > 0:
            floor = EPS_KG * len(self.applicants)
            for i, slope in enumerate(self.total_slope):
                if slope:
                    left = self.total[i] - slope * dt
                    self.total[i] = left if left > floor else 0.0
        self._t = now

    def stock_arrived(self, i: int, kg: float) -> None:
        self._advance_total()
        now = self.world.env._now
        self.log.point(now, tuple(self.total))
        self.total[i] += kg
        self.log.point(now, tuple(self.total))

    def lines_changed(
        self,
        a: Applicant,
        old_slopes: list[float],
        new_slopes: list[float],
        share_change: float,
        stopped_change: int,
    ) -> None:
        self._advance_total()
        for i, (old, new) in enumerate(zip(old_slopes, new_slopes, strict=True)):
            if old != new:
                self.consuming[i] += (new > 0) - (old > 0)
                self.total_slope[i] = self.total_slope[i] + new - old if self.consuming[i] else 0.0
        now = self.world.env._now
        self.log.point(now, tuple(self.total))
        if stopped_change or share_change:
            self.stopped += stopped_change
            self.output_share += share_change * a.scale
            if self.stopped == 0:
                state, share = FULL, 1.0
            elif self.stopped == self.pairs:
                state, share = STOPPED, 0.0
            else:
                state, share = REDUCED, min(1.0, max(0.0, self.output_share))
            self.log.output(now, share, state)

    # --- policy -------------------------------------------------------------------------------
    def _follow_params(self) -> None:
        spec = self.world.params.firms[self.id]
        rates_changed = False
        if spec.production.units_per_day != self._units:
            self._units = spec.production.units_per_day
            self.plan.append((self.world.env._now, self._draw_units(len(self.plan))))
            rates_changed = True
        if spec.needs != self._needs:
            self._needs = spec.needs
            rates_changed = True
        self._refresh(firm_setup(self.world.params, (self.id, self.materials)))
        for a in self.applicants:
            a.follow_params(rates_changed)

    def timeline_event(self, name: str) -> None:
        restock = self.ordering.restock
        if restock is not None and name in restock.on_events:
            for a in self.applicants:
                a.restock_event()

    def announcement(self) -> None:
        if self.ordering.prestock is not None:
            for a in self.applicants:
                if a.aware:
                    a.announcement()

    # --- the end ------------------------------------------------------------------------------
    def finish(self) -> FirmTrace:
        """Close the books at the horizon and hand over the trace."""
        applicants = self.applicants
        for a in applicants:
            a.advance()
        n = len(self.materials)
        # The running sum drifts by float rounding; the path ends on the exact sum.
        self._advance_total()
        self.total = final = _exact_sums([a.stock for a in applicants], n)
        self.log.point(self.world.env._now, tuple(final))
        log = self.log

        return FirmTrace(
            firm=self.id,
            materials=self.materials,
            horizon_days=self.world.horizon_days,
            rate_kg_per_day=np.asarray(self.rate, dtype=float),
            units_per_day=self.plan[0][1],
            plan=tuple(self.plan),
            times=np.asarray(log.times, dtype=float),
            # Flattened first: numpy reads a long list of short tuples several times slower.
            stocks_kg=np.fromiter(
                chain.from_iterable(log.stocks), float, len(log.times) * n
            ).reshape(len(log.times), n),
            output_times=np.asarray(log.output_times, dtype=float),
            output_share=np.asarray(log.output_share, dtype=float),
            output_state=np.asarray(log.output_state, dtype=np.int8),
            applicants=len(applicants),
            applicants_short=sum(a.ever_short for a in applicants),
            initial_kg=np.asarray(_exact_sums([a.initial for a in applicants], n)),
            pipeline_kg=np.asarray(_exact_sums([a.pipeline for a in applicants], n)),
            received_kg=np.asarray(_exact_sums([a.received for a in applicants], n)),
            consumed_kg=np.asarray(_exact_sums([a.consumed for a in applicants], n)),
            final_kg=np.asarray(final),
        )


def _exact_sums(rows: list[list[float]], columns: int) -> list[float]:
    """Each column's sum over the rows (one row per importer), exactly rounded (fsum)."""
    if not rows:
        return [0.0] * columns
    return [math.fsum(column) for column in zip(*rows, strict=True)]


def _longest_days(dist: DurationDistribution) -> float:
    """A practical upper bound of a duration distribution in calendar days: its one-in-a-million
    quantile (working days counted as 7/5 calendar days plus a week of holidays)."""
    value = dist.quantile(1.0 - 1e-6)
    if dist.unit == "wd":
        return value * 1.4 + 8.0
    return value * CALENDAR_DAYS[dist.unit]
