"""Scheduled calls: the engine's one kind of event.

Reviews, decisions, resubmissions, deliveries, wake-ups and policy changes are all "call this
function at that time". A `Call` is a SimPy event carrying its argument, scheduled directly on
the environment's queue with the function as its only callback: no process, no generator to
resume, no `Timeout` wrapper. A call that is no longer wanted is not cancelled (SimPy cannot
take an event off its queue); its owner recognises it as stale when it fires and ignores it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL


class Call(simpy.Event):
    """`fn(call)` at `env.now + delay`; `call.arg` is `arg`."""

    arg: Any

    def __init__(
        self, env: simpy.Environment, delay: float, fn: Callable[[Call], None], arg: Any = None
    ):
        # Event.__init__ and Timeout.__init__ inlined, as SimPy does for speed.
        self.env = env
        self.callbacks = [fn]
        self.arg = self._value = arg
        self._ok = True
        env.schedule(self, NORMAL, delay)


def events_processed(env: simpy.Environment) -> int:
    """Events the environment has taken off its queue: every event ever scheduled, less those
    still waiting (SimPy numbers events as it schedules them)."""
    scheduled = next(env._eid)  # noqa: SLF001 - SimPy keeps no public count
    return scheduled - len(env._queue)
