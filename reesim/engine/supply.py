"""Supply with limited capacity: alternative producers and gray channels.

Capacity is a rate (kg/day per material) shared by every buyer. It accrues continuously into a
bucket holding at most `CAPACITY_WINDOW_DAYS` of output, and orders draw from the bucket: a buyer
who has not ordered for a while finds up to a month's output waiting, not a year's. Accrual is
computed when someone draws, so an idle source costs no events. Rates changed by the timeline
apply from the next draw on.
"""

from __future__ import annotations

from reesim.engine.world import World

CAPACITY_WINDOW_DAYS = 30.0


class CapacityPool:
    """The capacity of one source (a producer or a gray channel), per material."""

    gray = False

    def __init__(self, world: World, name: str):
        self.world = world
        self.name = name
        self._stored: dict[str, float] = {}
        self._since: dict[str, float] = {}

    def rate_kg_per_day(self, material: str) -> float:
        raise NotImplementedError

    def available_from_day(self) -> float:
        return 0.0

    def available_kg(self, material: str) -> float:
        now = self.world.env._now
        start = self.available_from_day()
        if now < start:
            return 0.0
        rate = self.rate_kg_per_day(material)
        since = max(self._since.get(material, start), start)
        stored = self._stored.get(material, 0.0) + rate * (now - since)
        return min(stored, rate * CAPACITY_WINDOW_DAYS)

    def draw(self, material: str, kg: float) -> float:
        """Take up to `kg` of `material` now; returns what was taken."""
        available = self.available_kg(material)
        taken = min(kg, available)
        self._stored[material] = available - taken
        self._since[material] = self.world.env._now
        return taken


class Producer(CapacityPool):
    def rate_kg_per_day(self, material: str) -> float:
        return self.world.params.producers[self.name].capacity.get(material, 0.0)

    def emergency_below_days(self) -> float | None:
        """Cover below which buyers turn to this source; None for a regular supplier."""
        below = self.world.params.producers[self.name].emergency_below
        return None if below is None else below.calendar_days()

    def available_from_day(self) -> float:
        spec = self.world.params.producers[self.name]
        if spec.available_from is None:
            return 0.0
        return max(0.0, self.world.calendar.day_of(spec.available_from))


class GrayChannel(CapacityPool):
    """Enforcement above the nominal level 1 divides capacity (when the scenario says so) and
    raises the chance that a shipment is seized to ``1 - (1 - interdiction) ** enforcement``."""

    gray = True

    def rate_kg_per_day(self, material: str) -> float:
        spec = self.world.params.smuggling.channels[self.name]
        rate = spec.capacity.get(material, 0.0)
        enforcement = self.world.params.smuggling.enforcement
        if spec.capacity_scales_with_enforcement and enforcement > 1.0:
            rate /= enforcement
        return rate

    def seizure_probability(self) -> float:
        spec = self.world.params.smuggling.channels[self.name]
        seized: float = 1.0 - (1.0 - spec.interdiction) ** self.world.params.smuggling.enforcement
        return seized
