"""A buying firm: stock that drains while it produces, orders to its suppliers, licence filings.

Stock is linear in time between events, so the firm never ticks: it computes when the next thing
will happen (a material running out, a reorder point being crossed, the next periodic review),
waits for that instant or for something to wake it earlier (a delivery, a licence decision, a
policy change), brings its stock up to the present in one step, and acts.

Production needs every material: while any of them is out, the firm stands still and consumes
nothing, and each day standing still loses `units_per_day` units.

Suppliers are tried in the firm's order of preference for the shortfall being ordered:
- ``exports``: licensed exports of the controlling state. Uncontrolled material, or material
  under a general licence covering the firm or its country, ships at once. Controlled material
  ships against the firm's valid licences; any rest makes the firm file an application (one at
  a time per material) for `apply_for` or the rest, whichever is larger. With `apply_ahead` the
  firm files earlier, as soon as its drawn-down position would need a licence within that time.
- a producer: ships what its shared capacity allows, after its lead time.
- a gray channel: only for controlled material; ships what its capacity allows, and each
  shipment may be seized on the way.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from reesim.engine.authority import Application, LicensingAuthority
from reesim.engine.recorder import FirmTrace, Shipment
from reesim.engine.supply import CapacityPool, GrayChannel
from reesim.engine.world import World
from reesim.scenario.schema import EXPORTS, Firm
from reesim.scenario.units import Duration

EPS_KG = 1e-6
"""Below this a stock counts as empty: float rounding at a computed stockout instant."""


@dataclass
class Licence:
    remaining_kg: float
    expires_day: float


class FirmAgent:
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
        spec = self.spec
        self.materials = tuple(spec.needs)
        self._production = spec.production
        self.units_per_day = self._draw_units_per_day()
        self.plan: list[tuple[float, float]] = [(0.0, self.units_per_day)]
        self._needs = spec.needs
        self.rate = self._planned_rates()
        self.stock = np.array(
            [self._kg(spec.stockpile.get(m, 0.0), i) for i, m in enumerate(self.materials)],
            dtype=float,
        )
        self.initial = self.stock.copy()
        self.received = np.zeros(len(self.materials))
        self.consumed = np.zeros(len(self.materials))
        self.on_order = np.zeros(len(self.materials))
        self.pending: dict[str, Application | None] = dict.fromkeys(self.materials)
        self.licences: dict[str, list[Licence]] = {m: [] for m in self.materials}
        self.t = 0.0
        self.producing = True
        self.halt_start = 0.0
        self._review_now = False
        self._next_reorder_day: dict[str, float] = dict.fromkeys(self.materials, 0.0)
        self._params = world.params
        self._params_changed = False
        self._wake: simpy.Event = world.env.event()
        world.env.process(self._run())

    @property
    def spec(self) -> Firm:
        return self.world.params.firms[self.id]

    # --- stock arithmetic ---------------------------------------------------------------------
    def _draw_units_per_day(self) -> float:
        rng = self.world.streams[f"firm.{self.id}.production"]
        return max(0.0, float(self._production.units_per_day.sample(rng)))

    def _planned_rates(self) -> np.ndarray:
        needs = self.spec.needs
        return np.array([needs[m].kg_per_day(self.units_per_day) for m in self.materials])

    def _follow_params(self) -> None:
        """Take up a changed production plan or needs (a timeline event): a new plan is drawn
        from the firm's own stream, and rates apply from now on."""
        spec = self.spec
        self._params_changed = self._params is not self.world.params
        self._params = self.world.params
        if spec.production is not self._production and spec.production != self._production:
            self._production = spec.production
            self.units_per_day = self._draw_units_per_day()
            self.plan.append((self.world.now, self.units_per_day))
        if spec.needs is not self._needs or self.plan[-1][0] == self.world.now:
            self._needs = spec.needs
            self.rate = self._planned_rates()

    def _kg(self, amount: Duration | float, i: int) -> float:
        """A quantity given as kg or as days of cover at the planned rate."""
        if isinstance(amount, Duration):
            return amount.calendar_days() * float(self.rate[i])
        return float(amount)

    def _advance(self) -> None:
        """Bring stock from the last event up to now (linear use while producing)."""
        now = self.world.now
        if self.producing and now > self.t:
            use = np.minimum(self.rate * (now - self.t), self.stock)
            self.stock -= use
            self.consumed += use
        self.stock[self.stock < EPS_KG] = 0.0
        self.t = now

    def _update_production(self) -> None:
        out = bool(np.any((self.rate > 0) & (self.stock <= 0.0)))
        now = self.world.now
        if self.producing and out:
            self.producing, self.halt_start = False, now
        elif not self.producing and not out:
            self.producing = True
            if now > self.halt_start:  # resupplied in the same instant: nothing was lost
                self.world.recorder.firm_halt(self.id, self.halt_start, now)

    def _position(self, i: int) -> float:
        return float(self.stock[i] + self.on_order[i])

    # --- the process --------------------------------------------------------------------------
    def _run(self) -> Generator[Any, Any, None]:
        world = self.world
        next_review = 0.0
        while True:
            self._advance()
            self._follow_params()
            self._update_production()
            ordering = self.spec.ordering
            if ordering.policy == "order_up_to":
                if self._review_now or world.now >= next_review - 1e-9:
                    self._order_up_to()
                while next_review <= world.now + 1e-9:
                    next_review += world.span_days(ordering.review_period, next_review)
            else:
                self._reorder()
            self._apply_ahead()
            self._review_now = False
            world.recorder.firm_point(self.id, self.materials, world.now, tuple(self.stock))
            wait = self._time_to_next(next_review)
            events = [self._wake, world.policy_changed]
            if math.isfinite(wait):
                events.append(world.env.timeout(wait))
            yield world.env.any_of(events)
            if self._wake.triggered:
                self._wake = world.env.event()

    def wake(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    def _time_to_next(self, next_review: float) -> float:
        now = self.world.now
        candidates = [math.inf]
        using = self.rate > 0
        if self.producing and np.any(using):
            candidates.append(float(np.min(self.stock[using] / self.rate[using])))
        ordering = self.spec.ordering
        if ordering.policy == "order_up_to":
            candidates.append(next_review - now)
        else:
            assert ordering.reorder_point is not None
            for i in map(int, np.flatnonzero(using)):
                gap = self._position(i) - self._kg(ordering.reorder_point, i)
                if gap > EPS_KG:
                    if self.producing:
                        candidates.append(gap / float(self.rate[i]))
                elif self._next_reorder_day[self.materials[i]] > now:
                    # still at or below the point after a short order: retry when due
                    candidates.append(self._next_reorder_day[self.materials[i]] - now)
                m = self.materials[i]
                if ordering.apply_ahead is not None and self.producing and self.pending[m] is None:
                    # the instant filing ahead becomes due (checked again then)
                    ahead = self.world.span_days(ordering.apply_ahead, now)
                    licensed = sum(lic.remaining_kg for lic in self.licences[m])
                    lead = (gap + licensed) / float(self.rate[i]) - ahead
                    if lead > 0:
                        candidates.append(lead)
        return max(0.0, min(candidates))

    def _order_up_to(self) -> None:
        level = self.spec.ordering.level
        for i, m in enumerate(self.materials):
            shortfall = self._kg(level, i) - self._position(i)
            if shortfall > EPS_KG:
                self._order(i, m, shortfall)

    def _reorder(self) -> None:
        """Order `quantity` of each material at or below its reorder point, at each decision
        point. After an order that could not be covered in full the firm waits `review_period`
        before trying again (unless a licence arrives or the rules change): otherwise every
        delivery from a capacity-limited source would set off another order for the sliver
        accrued since."""
        ordering = self.spec.ordering
        assert ordering.reorder_point is not None and ordering.quantity is not None
        now = self.world.now
        for i, m in enumerate(self.materials):
            due = (
                self._review_now or self._params_changed or now >= self._next_reorder_day[m] - 1e-9
            )
            if due and self._position(i) <= self._kg(ordering.reorder_point, i) + EPS_KG:
                wanted = self._kg(ordering.quantity, i)
                short = self._order(i, m, wanted) < wanted - EPS_KG
                period = self.world.span_days(ordering.review_period, now) if short else 0.0
                self._next_reorder_day[m] = now + period

    # --- sourcing -----------------------------------------------------------------------------
    def _order(self, i: int, material: str, kg: float) -> float:
        """Order `kg` from the suppliers in order of preference; returns what was shipped."""
        remaining = kg
        controlled = self.world.params.authority.is_controlled(material, self.spec.country)
        for supplier in self.spec.suppliers:
            if remaining <= EPS_KG:
                break
            if supplier == EXPORTS:
                remaining -= self._from_exports(i, material, remaining, controlled)
                continue
            pool = self.pools[supplier]
            if isinstance(pool, GrayChannel) and not controlled:
                continue
            taken = pool.draw(material, remaining)
            if taken > EPS_KG:
                remaining -= taken
                self._ship_from_pool(i, material, taken, pool)
        return kg - remaining

    def _from_exports(self, i: int, material: str, kg: float, controlled: bool) -> float:
        if not controlled or self._has_general_licence(material):
            self._ship_export(i, material, kg)
            return kg
        shipped = 0.0
        for lic in sorted(self._valid_licences(material), key=lambda lic: lic.expires_day):
            take = min(lic.remaining_kg, kg - shipped)
            lic.remaining_kg -= take
            shipped += take
        if shipped > 0:
            self._ship_export(i, material, shipped)
        rest = kg - shipped
        if rest > EPS_KG and self.pending[material] is None:
            self._apply(i, material, rest)
        return shipped

    def _valid_licences(self, material: str) -> list[Licence]:
        now = self.world.now
        valid = [
            lic
            for lic in self.licences[material]
            if lic.expires_day > now and lic.remaining_kg > EPS_KG
        ]
        self.licences[material] = valid
        return valid

    def _apply(self, i: int, material: str, shortfall_kg: float) -> None:
        """File one application for the larger of the shortfall and `apply_for`."""
        spec = self.spec
        apply_for = spec.ordering.apply_for
        ask = max(shortfall_kg, self._kg(apply_for, i) if apply_for is not None else 0.0)
        self.pending[material] = self.authority.new_application(
            self.id,
            spec.country,
            spec.end_use,
            material,
            ask,
            lambda outcome, granted: self._on_decision(material, outcome, granted),
            lambda: self._needs_licence(material),
        )

    def _apply_ahead(self) -> None:
        """With `apply_ahead`, file for controlled material before an order falls short: when
        the position drawn down at the planned rate for that long, plus what valid licences
        still cover, would be at or below the level (or reorder point)."""
        ordering = self.spec.ordering
        if ordering.apply_ahead is None:
            return
        now = self.world.now
        ahead = self.world.span_days(ordering.apply_ahead, now)
        threshold = ordering.level if ordering.policy == "order_up_to" else ordering.reorder_point
        assert threshold is not None
        for i, m in enumerate(self.materials):
            if self.pending[m] is not None or not self._needs_licence(m):
                continue
            licensed = sum(lic.remaining_kg for lic in self._valid_licences(m))
            projected = self._position(i) - float(self.rate[i]) * ahead + licensed
            if projected <= self._kg(threshold, i) + EPS_KG:
                self._apply(i, m, self._kg(threshold, i) - projected)

    def _needs_licence(self, material: str) -> bool:
        controlled = self.world.params.authority.is_controlled(material, self.spec.country)
        return controlled and not self._has_general_licence(material)

    def _has_general_licence(self, material: str) -> bool:
        today = self.world.calendar.date_of(self.world.now)
        spec = self.spec
        for gl in self.world.params.authority.general_licences:
            if gl.materials and material not in gl.materials:
                continue
            if self.id not in gl.firms and spec.country not in gl.destinations:
                continue
            start = self.world.calendar.day_of(gl.start)
            if gl.start <= today and self.world.now < start + self.world.span_days(
                gl.validity, start
            ):
                return True
        return False

    def _on_decision(self, material: str, outcome: str, granted_kg: float) -> None:
        self.pending[material] = None
        if outcome == "approve" and granted_kg > EPS_KG:
            world = self.world
            validity = world.span_days(world.params.authority.licence_validity, world.now)
            self.licences[material].append(Licence(granted_kg, world.now + validity))
            self._review_now = True
        self.wake()

    # --- shipping -----------------------------------------------------------------------------
    def _ship_export(self, i: int, material: str, kg: float) -> None:
        world = self.world
        now = world.now
        delay = world.draw_days(self.spec.transit, f"firm.{self.id}.transit", now)
        customs = world.params.authority.customs_delay.get(material)
        if customs is not None:
            delay += world.draw_days(customs, "authority.customs", now + delay)
        self._ship(i, material, kg, delay, EXPORTS, EXPORTS, seized=False)

    def _ship_from_pool(self, i: int, material: str, kg: float, pool: CapacityPool) -> None:
        world = self.world
        now = world.now
        if isinstance(pool, GrayChannel):
            spec = world.params.smuggling.channels[pool.name]
            delay = world.draw_days(spec.delay, f"channel.{pool.name}.delay", now)
            seized = (
                float(world.streams[f"channel.{pool.name}.seizure"].random())
                < pool.seizure_probability()
            )
            self._ship(i, material, kg, delay, "gray", pool.name, seized)
        else:
            lead = world.params.producers[pool.name].lead_time
            delay = world.draw_days(lead, f"producer.{pool.name}", now)
            self._ship(i, material, kg, delay, "producer", pool.name, seized=False)

    def _ship(
        self,
        i: int,
        material: str,
        kg: float,
        delay: float,
        route: str,
        supplier: str,
        seized: bool,
    ) -> None:
        world = self.world
        world.recorder.shipments.append(
            Shipment(
                world.now,
                world.now + delay,
                self.id,
                self.spec.country,
                material,
                kg,
                route,
                supplier,
                seized,
            )
        )
        self.on_order[i] += kg
        world.env.process(self._deliver(i, kg, delay, seized))

    def _deliver(self, i: int, kg: float, delay: float, seized: bool) -> Generator[Any, Any, None]:
        yield self.world.env.timeout(delay)
        self.on_order[i] -= kg
        if not seized:
            self._advance()
            world = self.world
            world.recorder.firm_point(self.id, self.materials, world.now, tuple(self.stock))
            self.stock[i] += kg
            self.received[i] += kg
        self.wake()

    # --- the end ------------------------------------------------------------------------------
    def finish(self) -> FirmTrace:
        """Close the books at the horizon and hand over the trace."""
        world = self.world
        self._advance()
        if not self.producing:
            world.recorder.firm_halt(self.id, self.halt_start, world.now)
        world.recorder.firm_point(self.id, self.materials, world.now, tuple(self.stock))
        return world.recorder.freeze_firm(
            self.id,
            self._planned_rates(),
            self.plan,
            self.initial,
            self.received,
            self.consumed,
            self.stock.copy(),
        )
