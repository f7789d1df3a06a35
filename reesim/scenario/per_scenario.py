"""A cache of what is derived from one frozen `Scenario` object, for as long as it lives.

Every replication of a run reads the same parameter states (`ResolvedScenario.scenario` and one
`Scenario` per timeline event), and a small world's replication takes well under a millisecond:
what follows from a parameter state alone is worked out once per state, not once per
replication. Scenarios hold dicts and are not hashable, so entries are keyed by identity; a
weak reference tells a live scenario from a new object at a reused address and drops the entry
when its scenario goes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

from reesim.scenario.schema import Scenario

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerScenario(Generic[K, V]):
    """``cache(scenario, key)`` is ``build(scenario, key)``, built once per live scenario object
    and key; at most `kept` entries, the oldest dropped first (a sweep makes a state per point).
    `build` must depend on nothing but its arguments."""

    def __init__(self, build: Callable[[Scenario, K], V], kept: int) -> None:
        self._build = build
        self._kept = kept
        self._entries: dict[tuple[int, K], tuple[weakref.ref[Scenario], V]] = {}

    def __call__(self, scenario: Scenario, key: K) -> V:
        entry = (id(scenario), key)
        known = self._entries.get(entry)
        if known is not None and known[0]() is scenario:
            return known[1]
        value = self._build(scenario, key)
        if len(self._entries) >= self._kept:
            del self._entries[next(iter(self._entries))]
        self._entries[entry] = (weakref.ref(scenario, partial(self._forget, entry)), value)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def _forget(self, entry: tuple[int, K], _: weakref.ref[Scenario]) -> None:
        self._entries.pop(entry, None)
