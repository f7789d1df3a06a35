"""The shared state of one replication: clock, current parameters, calendar, streams, recorder.

Parameters change only at policy events: `World.params` is the frozen `Scenario` in force now,
and mechanisms read it when they act. A mechanism that must react at once to a change waits on
`World.policy_changed`, an event that fires at each change and is then replaced.
"""

from __future__ import annotations

from collections.abc import Iterable

import simpy

from reesim.engine.calendar import Calendar, CalendarSpec, builtin_calendar
from reesim.engine.recorder import Recorder
from reesim.engine.streams import Streams
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.schema import WEEKDAYS, CalendarConfig, Scenario
from reesim.scenario.units import Duration


class CountingEnvironment(simpy.Environment):
    """A simpy Environment that counts the events it processes (a measure of engine cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0

    def step(self) -> None:
        self.events_processed += 1
        super().step()


def calendar_spec(config: CalendarConfig) -> CalendarSpec:
    base = builtin_calendar(config.base)
    return CalendarSpec(
        weekends=frozenset(WEEKDAYS.index(d) for d in config.weekends),
        holidays=base.holidays | frozenset(config.holidays),
        workdays=base.workdays | frozenset(config.workdays),
    )


class World:
    def __init__(self, params: Scenario, root_seed: int, replication: int):
        self.env = CountingEnvironment()
        self.params = params
        self.horizon_days = params.horizon_days
        self.calendar = Calendar(calendar_spec(params.calendar), params.start, self.horizon_days)
        self.streams = Streams(root_seed, replication)
        self.recorder = Recorder()
        self.policy_changed: simpy.Event = self.env.event()

    @property
    def now(self) -> float:
        return float(self.env.now)

    def change_params(self, params: Scenario) -> None:
        """Put new parameters in force and wake everything waiting on a change."""
        self.params = params
        fired, self.policy_changed = self.policy_changed, self.env.event()
        fired.succeed()

    def span_days(self, duration: Duration, at: float) -> float:
        """Calendar days that `duration` lasts when it starts at sim day `at`."""
        if duration.is_working_days:
            return self.calendar.add_working_days(at, duration.value) - at
        return duration.calendar_days()

    def draw_days(self, dist: DurationDistribution, stream: str, at: float) -> float:
        """Draw a duration from `dist` on the named stream and convert it to calendar days."""
        value = float(dist.sample(self.streams[stream]))
        return self.span_days(Duration(max(value, 0.0), dist.unit), at)

    def wait_any(self, events: Iterable[simpy.Event]) -> simpy.Event:
        return self.env.any_of(list(events))
