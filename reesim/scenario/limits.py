"""Limits on values in combination: each value alone is in range, but together they would make a
run the engine cannot do in reasonable time or with enough precision.

The engine keeps time as a float number of days and stock as float kg, and treats less than a
milligram as nothing. A firm using material so fast that one tick of the clock at the horizon
consumes more than that could wait forever for its stock to reach zero; a review time or a
review period of seconds in a run of months, or a background stream of millions of applications,
would run for hours. Each rule here names the value to change, like the checks of
`reesim.scenario.references`; the loader applies them to the base scenario and to every state
of its timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.dotted import Key
from reesim.scenario.references import Found
from reesim.scenario.schema import Scenario
from reesim.scenario.units import CALENDAR_DAYS, MAX_KG, MAX_KG_PER_DAY, Duration, format_kg

MAX_USE_KG = MAX_KG
"""Most a firm may plan to use of one material over a whole run (one million tonnes): the
engine's clock, a float of days, then still resolves a milligram of use at the horizon."""
MAX_REPEATS = 200_000
"""Most times a delay may fit in a run: any duration but 0 is at least 1/MAX_REPEATS of the run,
so that nothing that repeats (reviews, resubmissions, a licence filed again as soon as the last
one arrives) costs more than some hundred thousand events."""
MAX_BACKGROUND_APPLICATIONS = 500_000
"""Most applications the background stream may be expected to file over a run: a few events each,
so at most some seconds of a replication; enough for a world of 3,000 firms whose background
grows with them (controls-2025's 1.5 a day per six firms, for a year)."""


def check_limits(s: Scenario) -> list[Found]:
    """Every combination of values in `s` beyond what a run can do, with where to change it."""
    found: list[Found] = []
    days = s.horizon_days
    background = s.authority.background.rate_per_day
    if background * days > MAX_BACKGROUND_APPLICATIONS:
        found.append(
            (
                ("authority", "background", "rate_per_day"),
                f"expected at most {MAX_BACKGROUND_APPLICATIONS:,} background applications over "
                f"the run, got {background:g} a day for {days:g} days",
            )
        )
    for firm_id, firm in s.firms.items():
        at = ("firms", firm_id)
        units = firm.production.units_per_day.upper_bound()
        for material, need in firm.needs.items():
            key = (*at, "needs", material, "rate" if need.rate is not None else "per_unit")
            rate = need.kg_per_day(units)
            per = "" if need.rate is not None else f" ({need.per_unit:g} kg x {units:g} units)"
            if rate > MAX_KG_PER_DAY:
                found.append(
                    (
                        key,
                        f"expected a use of at most {format_kg(MAX_KG_PER_DAY)} a day, got "
                        f"{format_kg(rate)} a day{per}",
                    )
                )
            elif rate * days > MAX_USE_KG:
                found.append(
                    (
                        key,
                        f"expected a use of at most {format_kg(MAX_USE_KG)} over the run, got "
                        f"{format_kg(rate)} a day{per} for {days:g} days",
                    )
                )
    found += _short_durations(s, days / MAX_REPEATS)
    return found


def _short_durations(s: Scenario, shortest_days: float) -> list[Found]:
    """Every duration (or mean of a distribution of durations) in `s` that is positive but
    shorter than `shortest_days`; working days count as days (each lasts at least one)."""
    found: list[Found] = []
    for key, value in _durations(s, ()):
        if isinstance(value, Duration):
            days = value.value if value.is_working_days else value.calendar_days()
            shown = f"'{value}'"
        else:
            mean = value.mean()
            days = mean if value.unit == "wd" else mean * CALENDAR_DAYS[value.unit]
            shown = f"a mean of {Duration(mean, value.unit)}"
        if 0 < days < shortest_days:
            found.append(
                (
                    key,
                    f"expected 0 or a duration of at least 1/{MAX_REPEATS:,} of the run "
                    f"({shortest_days:.3g}d), got {shown}",
                )
            )
    return found


def _durations(value: Any, key: Key) -> Iterator[tuple[Key, Duration | DurationDistribution]]:
    """Each Duration and DurationDistribution inside `value`, with its key."""
    if isinstance(value, Duration | DurationDistribution):
        yield key, value
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            if name != "horizon":
                yield from _durations(getattr(value, name, None), (*key, info.alias or name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _durations(v, (*key, str(k)))
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _durations(v, (*key, i))
