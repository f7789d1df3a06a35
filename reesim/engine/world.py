"""The shared state of one replication: clock, parameters in force, calendar, streams, recorder.

Engine code reads the clock as ``world.env._now``: SimPy's ``now`` is a property, and on the hot
path the call costs more than the work it guards.

Parameters change only at policy events: `World.params` is the frozen `Scenario` in force now,
and mechanisms read it when they act. The timeline tells each buyer directly when parameters
change (`World.listeners`): there is no shared event that every waiting entity re-registers on,
so a change costs one call per listener and a wake-up costs nothing extra. The timeline is
dated, so the parameters in force at any instant are known from the start (`World.state_at`):
the review queue uses this to settle applications ahead of the clock.

Durations drawn from distributions go through `World.draw_days`, which turns a uniform from a
keyed stream into calendar days (working days are counted on the calendar from the instant the
duration starts). Compiled samplers are cached per distribution object.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import lru_cache
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from reesim.engine.calendar import Calendar, CalendarSpec, builtin_calendar, calendar_for
from reesim.engine.recorder import Recorder
from reesim.engine.schedule import Call
from reesim.engine.streams import Streams
from reesim.errors import SimulationError
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.per_scenario import PerScenario
from reesim.scenario.schema import WEEKDAYS, CalendarConfig, Scenario
from reesim.scenario.units import CALENDAR_DAYS, Duration

_new_call = object.__new__

EVENT_BUDGET = 50_000_000
"""Most events one replication may schedule, counting each background application filed as
one (they are settled without events, but they are the work a runaway rate makes). A world
that needs more is almost surely running away (a zero-length cycle, a rate far beyond anything
real); at a few hundred thousand a second this stops it within minutes, with a message that
names the cause."""


@lru_cache(maxsize=32)
def calendar_spec(config: CalendarConfig) -> CalendarSpec:
    """The built-in calendar with the scenario's own days on top: the scenario's holidays and
    make-up days win over the built-in ones, and built-in make-up days that fall on no weekend
    under the scenario's weekends have nothing to make up and are dropped."""
    base = builtin_calendar(config.base)
    weekends = frozenset(WEEKDAYS.index(d) for d in config.weekends)
    own_holidays, own_workdays = frozenset(config.holidays), frozenset(config.workdays)
    base_workdays = frozenset(d for d in base.workdays if d.weekday() in weekends)
    return CalendarSpec(
        weekends=weekends,
        holidays=(base.holidays - own_workdays) | own_holidays,
        workdays=(base_workdays - own_holidays) | own_workdays,
    )


def _calendar(params: Scenario, horizon_days: float) -> Calendar:
    return calendar_for(calendar_spec(params.calendar), params.start, horizon_days)


scenario_calendar: PerScenario[float, Calendar] = PerScenario(_calendar, kept=64)
"""``scenario_calendar(params, horizon_days)``: the working-day calendar of a parameter state,
looked up once per state rather than hashing its calendar settings every replication."""


class World:
    def __init__(
        self,
        params: Scenario,
        root_seed: int,
        replication: int,
        budget: int = EVENT_BUDGET,
        changes: Sequence[tuple[float, Scenario]] = (),
    ):
        self.env = simpy.Environment(initial_time=0.0)
        self.params = params
        self.horizon_days = params.horizon_days
        # The timeline's changes that come into force during the run (day > 0, before the
        # horizon), in day order: changes at or after the horizon never happen.
        self.changes = tuple((d, p) for d, p in changes if 0.0 < d < self.horizon_days)
        self._change_days = [d for d, _ in self.changes]
        self._states = [params, *(p for _, p in self.changes)]
        self.calendar = scenario_calendar(params, self.horizon_days)
        self.streams = Streams(root_seed, replication)
        self.recorder = Recorder()
        self.listeners: list[Callable[[], None]] = []
        self.announcements: list[tuple[float, float]] = []  # (announced, effective) sim days
        self.budget = budget
        self._left = budget  # events the replication may still schedule

    @property
    def now(self) -> float:
        return self.env._now

    def at(self, delay: float, fn: Callable[[Call], None], arg: Any = None) -> Call:
        """Schedule `fn(call)` in `delay` days; `call.arg` is `arg`."""
        return self.at_day(self.env._now + delay, fn, arg)

    def at_day(self, day: float, fn: Callable[[Call], None], arg: Any = None) -> Call:
        """Schedule `fn(call)` at time `day` exactly (an instant settled in advance, not now
        plus a rounded difference); `call.arg` is `arg`."""
        self._left -= 1
        if self._left < 0:
            self.overspent(self.env._now)
        # Call.__init__ and Environment.schedule inlined: this runs for every event.
        call = _new_call(Call)
        call.callbacks = [fn]
        call.arg = call._value = arg
        call._ok = True
        env = self.env
        call.env = env
        heappush(env._queue, (day, NORMAL, next(env._eid), call))
        return call

    def spend(self, day: float) -> None:
        """Count one unit of work done without an event (a background application at `day`)
        against the event budget."""
        self._left -= 1
        if self._left < 0:
            self.overspent(day)

    def overspent(self, day: float) -> None:
        raise SimulationError(
            f"more than {self.budget:,} events in one replication by day {day:.6g}: "
            "the world is running away (look for a rate or a quantity far beyond the others, "
            "or a duration near zero)"
        )

    def state_at(self, t: float) -> int:
        """Which parameter state is in force at time `t`: 0 for the start, k after the k-th
        change (`World.states`)."""
        return bisect_right(self._change_days, t)

    @property
    def states(self) -> list[Scenario]:
        """The parameter states of the run in order: the start's, then each change's."""
        return self._states

    def change_params(self, params: Scenario) -> None:
        """Put new parameters in force and tell everything that follows them."""
        self.params = params
        for listener in self.listeners:
            listener()

    # --- durations ----------------------------------------------------------------------------
    def span_days(self, duration: Duration, at: float) -> float:
        """Calendar days that `duration` lasts when it starts at sim day `at`."""
        return self.span(duration.value, duration.unit, at)

    def draw_days(self, dist: DurationDistribution, u: float, at: float) -> float:
        """The duration at quantile `u` of `dist`, starting at `at`, in calendar days."""
        value = dist.dist.quantile(u)
        if not value > 0.0:
            return 0.0
        return self.span(value, dist.unit, at)

    def span(self, value: float, unit: str, at: float) -> float:
        if unit == "wd":
            # n working days take at least n calendar days: one that would end after the run
            # ends after the run whatever the calendar says, so the working-day table is not
            # stretched for a draw deep in a distribution's tail.
            beyond = self.horizon_days - at + 2.0
            if value > beyond:
                return beyond
            return self.calendar.add_working_days(at, value) - at
        return value * CALENDAR_DAYS[unit]

    def fixed_span(self, duration: Duration) -> float | None:
        """The calendar days of a duration that lasts the same whenever it starts (None for
        working days, which depend on the calendar)."""
        return None if duration.unit == "wd" else duration.value * CALENDAR_DAYS[duration.unit]

    def uniform(self, key: int, index: int = 0) -> float:
        return self.streams.uniform(key, index)
