"""Applications from everyone not modelled: a Poisson stream with destinations and end uses.

Arrivals come at `background.rate_per_day`. Each arrival draws a destination, an end use and a
material by the scenario's shares, from the arrival's own stream (arrival j always draws the same,
whatever else happens). It is filed only if its material needs a licence for its destination
and no general licence in force covers the destination: a truce that lifts a control, or a
general licence for a destination, thins the queue that everyone else waits in.

Nobody waits for a background application, so the stream schedules no events: the authority
asks for the arrivals due before each filing of its own (`LicensingAuthority.catch_up`), and
each is judged under the parameters in force on its arrival day (`World.state_at`).

When the rate changes, the pending arrival is dropped and the gap redrawn from the change's day
at the new rate; the Poisson process is memoryless, so this is exact.
"""

from __future__ import annotations

import math
from itertools import accumulate

from reesim.engine.authority import LicensingAuthority
from reesim.engine.reviewers import NEVER
from reesim.engine.streams import Streams, uniform
from reesim.engine.world import World
from reesim.scenario.schema import Background, Scenario

OTHER_DESTINATION = "other"
NOT_MODELLED = ""
"""The material of an application for goods the scenario does not model (always controlled)."""

Tables = tuple[tuple[tuple[str, ...], tuple[float, ...]], ...]


def _pick(u: float, names: tuple[str, ...], cumulative: tuple[float, ...], rest: str) -> str:
    for name, edge in zip(names, cumulative, strict=True):
        if u < edge:
            return name
    return rest


class BackgroundStream:
    """The authority's source of applications from everyone not modelled (see the module)."""

    def __init__(self, world: World, authority: LicensingAuthority):
        self.world = world
        self.authority = authority
        self._gaps = world.streams.key("background", "gaps")
        self._attributes = world.streams.key("background", "attributes")
        self._applications = world.streams.key("background", "applications")
        self._gap_draws = 0
        self._arrivals = 0
        states = world.states
        self._tables: list[Tables] = [_tables(p.authority.background) for p in states]
        # per parameter state: whether (material, destination) needs a licence, where that
        # does not depend on the day (no general licences in force)
        self._answers: list[dict[tuple[str, str], bool] | None] = [
            None if p.authority.general_licences else {} for p in states
        ]
        rate = world.params.authority.background.rate_per_day
        # (day, new rate) for each change of rate during the run, latest first (popped)
        self._rate_changes: list[tuple[float, float]] = []
        for day, params in world.changes:
            new = params.authority.background.rate_per_day
            if new != rate:
                self._rate_changes.append((day, new))
                rate = new
        self._rate_changes.reverse()
        self._rate = world.params.authority.background.rate_per_day
        self._next_day = self._gap_from(0.0)
        authority.arrivals = self

    def _gap_from(self, day: float) -> float:
        """The next arrival after `day` at the current rate (NEVER while the rate is zero)."""
        if self._rate <= 0:
            return NEVER
        u = uniform(self._gaps, self._gap_draws)
        self._gap_draws += 1
        return day + -math.log1p(-u) / self._rate

    def next_day(self) -> float:
        """When the next arrival comes (`authority.Arrivals`): a change of rate due before it
        drops it and draws the gap afresh from the change's day."""
        changes = self._rate_changes
        while changes and changes[-1][0] <= self._next_day:
            day, self._rate = changes.pop()
            self._next_day = self._gap_from(day)
        return self._next_day

    def arrive(self) -> None:
        """The arrival at `next_day()`: its destination, end use and material drawn from its
        own stream, and filed if it needs a licence on its day."""
        day = self._next_day
        self._next_day = self._gap_from(day)
        j = self._arrivals
        self._arrivals += 1
        state = self.world.state_at(day)
        attributes = 3 * j
        (dests, dest_edges), (uses, use_edges), (mats, mat_edges) = self._tables[state]
        destination = OTHER_DESTINATION
        if dests:
            u = uniform(self._attributes, attributes)
            destination = _pick(u, dests, dest_edges, OTHER_DESTINATION)
        end_use = "civil"
        if uses:
            end_use = _pick(uniform(self._attributes, attributes + 1), uses, use_edges, "civil")
        material = NOT_MODELLED
        if mats:
            u = uniform(self._attributes, attributes + 2)
            material = _pick(u, mats, mat_edges, NOT_MODELLED)
        if self._licensed(state, material, destination, day):
            stream = Streams.child(self._applications, j)
            self.authority.file_background(destination, end_use, material, j, stream, day)

    def _licensed(self, state: int, material: str, destination: str, day: float) -> bool:
        """Whether an application for this material and destination must be filed on `day`
        (remembered per parameter state, unless general licences make it depend on the day)."""
        answers = self._answers[state]
        params = self.world.states[state]
        if answers is None:
            return needs_licence(params, material, destination, day, self.world)
        found = answers.get((material, destination))
        if found is None:
            found = answers[(material, destination)] = needs_licence(
                params, material, destination, 0.0, self.world
            )
        return found


def _tables(spec: Background) -> Tables:
    """The destination, end-use and material shares as names and cumulative shares."""
    return tuple(
        (tuple(shares), tuple(accumulate(shares.values())))
        for shares in (spec.destinations, spec.end_uses, spec.materials)
    )


def needs_licence(
    params: Scenario, material: str, destination: str, now: float, world: World
) -> bool:
    """Whether a background application for `material` to `destination` must be filed now."""
    authority = params.authority
    if material != NOT_MODELLED and not authority.is_controlled(material, destination):
        return False
    if not authority.general_licences:
        return True
    today = world.calendar.date_of(now)
    for gl in authority.general_licences:
        if destination not in gl.destinations:
            continue
        if gl.materials and material not in gl.materials:
            continue  # a licence for named materials does not cover goods not modelled
        start = world.calendar.day_of(gl.start)
        if gl.start <= today and now < start + world.span_days(gl.validity, start):
            return False
    return True
