"""Dates, simulation days and working days.

Simulation time is a float number of days since the scenario's start date: day 0.0 is 00:00 of
the start date, day 1.5 is noon of the next day. Day ``d`` (an integer) is the date whose midnight
is at time ``d``; `floor(t)` is the day containing time ``t``.

A working day is a date that is not a public holiday and either is not a weekend day or is listed
as a make-up working day (China moves weekends around its holidays). "MOFCOM decides within 45
working days" becomes `Calendar.add_working_days(t_filed, 45)`.

The conventions follow numpy's ``busday_offset(..., roll="forward")`` and ``busday_count``
(which cannot express make-up days on weekends, hence this module):

- A clock started on a non-working day starts at 00:00 of the next working day.
- The k-th working day after a working day ``d0`` is counted from the day after ``d0``; the
  time of day is kept, so 45 working days from Monday 10:00 (no holidays) is Monday 10:00 nine
  weeks later.
- ``working_days_between(t0, t1)`` counts the working days on or after the day of ``t0`` and
  before the day of ``t1``; so it undoes `add_working_days` for whole numbers of days.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from reesim.engine.calendar_data import BUILTIN

#: Padding of the working-day table before the start date and after the horizon, in days.
_PAD_BEFORE = 400
_PAD_AFTER = 3 * 366
#: Largest table we build (about 270 years); a time beyond it is almost surely a bug upstream.
_MAX_TABLE_DAYS = 100_000


@dataclass(frozen=True)
class CalendarSpec:
    """What a scenario says about working days: plain, frozen data.

    `weekends` holds ``date.weekday()`` numbers (Monday 0 .. Sunday 6); `holidays` are days off;
    `workdays` are make-up working days that fall on a weekend. A date listed as both a holiday
    and a make-up day, or a make-up day that is not a weekend day, is an error in the data.
    """

    weekends: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable (a scenario layer may hand over lists) but store frozensets.
        for name in ("weekends", "holidays", "workdays"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if not self.weekends <= set(range(7)):
            raise ValueError(f"weekends(={sorted(self.weekends)}) must be weekday numbers 0..6")
        if len(self.weekends) == 7 and not self.workdays:
            raise ValueError("weekends cover the whole week and there are no make-up workdays")
        if both := self.holidays & self.workdays:
            raise ValueError(f"dates listed as both holiday and workday: {_iso(both)}")
        if weekdays := {d for d in self.workdays if d.weekday() not in self.weekends}:
            raise ValueError(f"make-up workdays that are not weekend days: {_iso(weekdays)}")


def _iso(dates: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in sorted(dates))


def builtin_calendar(name: str) -> CalendarSpec:
    """The built-in calendar `name`: "china", or "none" (weekends only). ValueError if unknown."""
    try:
        data = BUILTIN[name]
    except KeyError:
        raise ValueError(
            f"unknown calendar {name!r}; built-in calendars: {', '.join(sorted(BUILTIN))}"
        ) from None
    return CalendarSpec(holidays=frozenset(data["holidays"]), workdays=frozenset(data["workdays"]))


class Calendar:
    """Working days of one `CalendarSpec`, on the time axis of a scenario starting at `start`.

    A cumulative count of working days over a padded range of days (a year before the start to
    three years after the horizon) answers every query with one array look-up or binary search;
    a query outside that range widens the table once, never loops over days.
    """

    def __init__(self, spec: CalendarSpec, start: date, horizon_days: float) -> None:
        if not horizon_days >= 0:  # also rejects NaN
            raise ValueError(f"horizon_days(={horizon_days}) must be >= 0")
        self.spec = spec
        self.start = start
        self.horizon_days = float(horizon_days)
        self._lo = 0  # day of _cum[0]
        # _cum[i]: working days in [_lo, _lo + i]. A Python list: the engine looks days up one
        # at a time, where list indexing and bisect beat numpy's per-call overhead.
        self._cum: list[int] = []
        self._build(-_PAD_BEFORE, math.ceil(self.horizon_days) + _PAD_AFTER)

    # --- dates and days -------------------------------------------------------------------

    def date_of(self, t_days: float) -> date:
        """The date containing time `t_days`."""
        return self.start + timedelta(days=math.floor(t_days))

    def day_of(self, d: date) -> float:
        """The time of `d`'s midnight; negative before the start, unbounded after the horizon."""
        return float((d - self.start).days)

    def is_working_day(self, d: date) -> bool:
        """True unless `d` is a holiday, or a weekend day that is not a make-up working day."""
        s = self.spec
        return d not in s.holidays and (d in s.workdays or d.weekday() not in s.weekends)

    # --- working days ---------------------------------------------------------------------

    def add_working_days(self, t_days: float, n: float) -> float:
        """The time `n` working days after `t_days` (n >= 0, may be fractional).

        With ``k = floor(n)`` and ``f = n - k``: if k == 0 the result is ``t + f``. Otherwise the
        clock starts at `t_days`, or at 00:00 of the next working day if `t_days` falls on a
        non-working day; the result is the k-th working day after the clock's start day, at the
        clock's time of day, plus ``f`` days of calendar time.
        """
        if not 0 <= n < math.inf:  # also rejects NaN
            raise ValueError(f"n(={n}) working days must be finite and >= 0")
        if not math.isfinite(t_days):
            raise ValueError(f"t_days(={t_days}) must be finite")
        k = math.floor(n)
        f = n - k  # exact for floats
        if k == 0:
            return _sum_in_day(t_days, f)
        d0 = math.floor(t_days)
        i = d0 - self._lo
        if not 0 < i < len(self._cum):
            self._ensure(d0)
            i = d0 - self._lo
        cum = self._cum
        before = cum[i - 1] if i > 0 else 0
        target = before + 1 + k  # before + 1: the clock's start day
        while target > cum[-1]:  # beyond the table: widen it (only forward, keeping _lo)
            self._ensure(self._lo + len(cum))
            cum = self._cum
        d_k = self._lo + bisect_left(cum, target)
        if cum[i] == before:  # d0 is not a working day: the clock starts at 00:00
            return _sum_in_day(d_k, f)
        # d_k + (t - d0) + f, rounded once so that a larger exact value never gets a smaller float.
        return _sum_in_day(d_k, t_days, -d0, f)

    def working_days_between(self, t0: float, t1: float) -> float:
        """Working days on or after the day of `t0` and before the day of `t1`.

        Negative if `t1` is on an earlier day. For whole k,
        ``working_days_between(t, add_working_days(t, k)) == k``.
        """
        d0, d1 = math.floor(t0), math.floor(t1)
        self._ensure(d0)
        self._ensure(d1)
        return float(self._count_before(d1) - self._count_before(d0))

    # --- the table ------------------------------------------------------------------------

    def _build(self, lo: int, hi: int) -> None:
        """(Re)build the cumulative working-day count for days lo .. hi-1."""
        if hi - lo > _MAX_TABLE_DAYS:
            raise ValueError(
                f"time out of range: days {lo}..{hi} from {self.start} span more than "
                f"{_MAX_TABLE_DAYS} days"
            )
        days = np.arange(lo, hi)
        weekday = (self.start.weekday() + days) % 7
        working = ~np.isin(weekday, sorted(self.spec.weekends))
        for dates, value in ((self.spec.workdays, True), (self.spec.holidays, False)):
            idx = np.array([(d - self.start).days - lo for d in dates], dtype=np.int64)
            working[idx[(idx >= 0) & (idx < hi - lo)]] = value
        self._lo, self._cum = lo, np.cumsum(working, dtype=np.int64).tolist()

    def _ensure(self, d: int) -> None:
        """Widen the table to cover day `d`, at least doubling it.

        Widening backwards moves the table start, which shifts every count: callers widen for
        all the days of a query before taking any count.
        """
        lo, hi = self._lo, self._lo + len(self._cum)
        if d < lo:
            self._build(min(d - _PAD_BEFORE, lo - (hi - lo)), hi)
        elif d >= hi:
            self._build(lo, max(d + _PAD_AFTER, hi + (hi - lo)))

    def _count_before(self, d: int) -> int:
        """Working days in [table start, d); day `d` must be in the table."""
        i = d - self._lo
        return self._cum[i - 1] if i > 0 else 0


@lru_cache(maxsize=32)
def calendar_for(spec: CalendarSpec, start: date, horizon_days: float) -> Calendar:
    """One `Calendar` per (spec, start, horizon), shared by every replication in the process:
    building the working-day table costs more than a small replication."""
    return Calendar(spec, start, horizon_days)


def _sum_in_day(*parts: float) -> float:
    """The float nearest to the exact sum of `parts`, but never rounded up onto a midnight.

    Rounding to nearest could turn 63.99999999999999999 into 64.0, moving a time into the next
    day; that would break "lands on a working day". Rounding down instead in that case keeps the
    result monotone in the exact sum.
    """
    total = math.fsum(parts)
    if total == math.floor(total) and math.fsum((*parts, -total)) < 0:
        return math.nextafter(total, -math.inf)
    return total
