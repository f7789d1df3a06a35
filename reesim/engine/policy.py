"""The dated policy timeline: at each event's day, the next parameter state comes into force."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from reesim.engine.recorder import PolicyFired
from reesim.engine.world import World
from reesim.scenario.load import PolicyChange


def follow_timeline(world: World, changes: Sequence[PolicyChange]) -> Generator[Any, Any, None]:
    """Apply each change at its day. Changes on the start date are applied before the run."""
    for change in changes:
        if change.day > world.now:
            yield world.env.timeout(change.day - world.now)
        world.recorder.policy.append(PolicyFired(world.now, change.name, change.source))
        world.change_params(change.params)
