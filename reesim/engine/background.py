"""Applications from everyone not modelled: a Poisson stream with destinations and end uses.

Arrivals come at `background.rate_per_day`. Each arrival draws a destination, an end use and a
material by the scenario's shares, from the arrival's own stream (arrival j always draws the same,
whatever else happens). It is filed only if its material needs a licence for its destination
and no general licence in force covers the destination: a truce that lifts a control, or a
general licence for a destination, thins the queue that everyone else waits in.

When the rate changes the pending arrival is dropped and the gap redrawn from the new rate; the
Poisson process is memoryless, so this is exact.
"""

from __future__ import annotations

import math
from itertools import accumulate
from typing import TYPE_CHECKING

from reesim.engine.authority import LicensingAuthority
from reesim.engine.streams import Streams, uniform
from reesim.engine.world import World
from reesim.scenario.schema import Background, Scenario

if TYPE_CHECKING:
    from reesim.engine.schedule import Call

OTHER_DESTINATION = "other"
NOT_MODELLED = ""
"""The material of an application for goods the scenario does not model (always controlled)."""


def _pick(u: float, names: tuple[str, ...], cumulative: tuple[float, ...], rest: str) -> str:
    for name, edge in zip(names, cumulative, strict=True):
        if u < edge:
            return name
    return rest


class BackgroundStream:
    def __init__(self, world: World, authority: LicensingAuthority):
        self.world = world
        self.authority = authority
        self._gaps = world.streams.key("background", "gaps")
        self._attributes = world.streams.key("background", "attributes")
        self._applications = world.streams.key("background", "applications")
        self._gap_draws = 0
        self._arrivals = 0
        self._pending: Call | None = None
        self._spec: Background | None = None
        self._answers_of: object = None
        self._rate = -1.0
        world.listeners.append(self._follow_params)
        self._follow_params()

    def drop_references(self) -> None:
        """Forget the pending arrival (the replication is over): it refers back to this stream."""
        self._pending = None

    def _follow_params(self) -> None:
        spec = self.world.params.authority.background
        if spec is not self._spec:
            self._spec = spec
            self._tables = tuple(
                (tuple(shares), tuple(accumulate(shares.values())))
                for shares in (spec.destinations, spec.end_uses, spec.materials)
            )
        if spec.rate_per_day != self._rate:
            self._rate = spec.rate_per_day
            self._schedule()

    def _licensed(self, material: str, destination: str) -> bool:
        """Whether an application for this material and destination must be filed now (the
        answer is remembered per parameter state unless a general licence is in play)."""
        params = self.world.params
        if params is not self._answers_of:
            self._answers_of = params
            self._answers: dict[tuple[str, str], bool] = {}
        if params.authority.general_licences:
            return needs_licence(params, material, destination, self.world.env._now, self.world)
        found = self._answers.get((material, destination))
        if found is None:
            found = self._answers[(material, destination)] = needs_licence(
                params, material, destination, 0.0, self.world
            )
        return found

    def _schedule(self) -> None:
        if self._rate <= 0:
            self._pending = None  # nothing arrives until the rate changes
            return
        u = uniform(self._gaps, self._gap_draws)
        self._gap_draws += 1
        self._pending = self.world.at(-math.log1p(-u) / self._rate, self._arrive)

    def _arrive(self, call: Call) -> None:
        if call is not self._pending:
            return  # superseded by a rate change
        j = self._arrivals
        self._arrivals += 1
        self._schedule()
        attributes = 3 * j
        (dests, dest_edges), (uses, use_edges), (mats, mat_edges) = self._tables
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
        if self._licensed(material, destination):
            stream = Streams.child(self._applications, j)
            self.authority.new_application(
                "", 0, destination, end_use, "", material, 0.0, j, stream, owner=None
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
