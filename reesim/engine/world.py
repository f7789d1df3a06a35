"""The shared state of one replication: clock, current parameters, calendar, streams, recorder.

Parameters change only at policy events: `World.params` is the frozen `Scenario` in force now,
and mechanisms read it when they act. A mechanism that must react at once to a change waits on
`World.policy_changed`, an event that fires at each change and is then replaced.
"""

from __future__ import annotations

import simpy

from reesim.engine.calendar import Calendar, CalendarSpec, builtin_calendar
from reesim.engine.recorder import Recorder
from reesim.engine.streams import Streams
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.schema import WEEKDAYS, CalendarConfig, Scenario
from reesim.scenario.units import CALENDAR_DAYS, Duration


class CountingEnvironment(simpy.Environment):
    """A simpy Environment that counts the events it processes (a measure of engine cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0

    def step(self) -> None:
        self.events_processed += 1
        super().step()


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
        return self._span(duration.value, duration.unit, at)

    def draw_days(self, dist: DurationDistribution, stream: str, at: float) -> float:
        """Draw a duration from `dist` on the named stream and convert it to calendar days."""
        value = max(float(dist.sample(self.streams[stream])), 0.0)
        return self._span(value, dist.unit, at)

    def _span(self, value: float, unit: str, at: float) -> float:
        # Hot path: plain numbers, no Duration objects built per draw.
        if unit == "wd":
            return self.calendar.add_working_days(at, value) - at
        return value * CALENDAR_DAYS[unit]
