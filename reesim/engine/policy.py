"""The dated policy timeline: at each event's day the next parameter state comes into force.

Changes on or before the start date are in force from the start. For an event with an
`announced` date, importers with `prestock` are told on that date (ordering ahead until the
event's date); buyers that restock after a named event are told on its date.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reesim.engine.buyer import Buyer
from reesim.engine.recorder import PolicyFired
from reesim.engine.world import World
from reesim.scenario.load import PolicyChange

if TYPE_CHECKING:
    from reesim.engine.schedule import Call


class Timeline:
    def __init__(self, world: World, changes: Sequence[PolicyChange], buyers: Sequence[Buyer]):
        self.world = world
        self.buyers = buyers
        for change in changes:
            if change.day > 0.0:
                world.at(change.day, self._fire, change)
            announced = change.announced_day
            if announced is not None and announced < change.day and change.day > 0.0:
                world.announcements.append((announced, change.day))
                world.at(max(announced, 0.0), self._announce, change)

    def _fire(self, call: Call) -> None:
        change: PolicyChange = call.arg
        world = self.world
        world.recorder.policy.append(PolicyFired(world.env._now, change.name, change.source))
        world.change_params(change.params)
        for buyer in self.buyers:
            buyer.timeline_event(change.name)

    def _announce(self, call: Call) -> None:
        for buyer in self.buyers:
            buyer.announcement()
