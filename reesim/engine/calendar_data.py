"""Built-in working-day calendars, as plain data.

Each entry gives public `holidays` (days off) and make-up `workdays` (weekend days worked instead).
Weekends themselves are not listed: a calendar's weekend is Saturday and Sunday unless a scenario
says otherwise. `sources` says where the dates come from; `years` which years are known (None:
all of them, there being nothing to know).

China: the State Council General Office publishes each year's arrangement in a notice in November of
the year before. The `chinese-calendar` package (a dependency; `calendar_package`) carries every
notice since 2004; the table below is the fallback when the package cannot be imported, and fills
any year the package does not have. The 2025 Labour Day (05-01..05-05, with 04-27 worked), Dragon Boat (05-31..06-02)
and National Day (10-01..10-08) dates are also cited in docs/sources.md §2;
the other dates follow the notices of November 2024 (for 2025) and November 2025 (for 2026).
Beyond the years known only weekends count: `coverage_warning` says so before a run.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypedDict

from reesim.engine.calendar_package import china_from_package

if TYPE_CHECKING:
    from reesim.scenario.schema import Scenario


class CalendarData(TypedDict):
    """One built-in calendar: days off, weekend days worked, and where the dates come from."""

    holidays: list[date]
    workdays: list[date]
    sources: list[str]
    years: tuple[int, int] | None


def _days(first: str, last: str) -> list[date]:
    """Every date from `first` to `last`, both included (ISO strings)."""
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


_CHINA_HOLIDAYS: list[date] = [
    # 2025 — State Council General Office notice, November 2024.
    *_days("2025-01-01", "2025-01-01"),  # New Year's Day
    *_days("2025-01-28", "2025-02-04"),  # Spring Festival
    *_days("2025-04-04", "2025-04-06"),  # Qingming
    *_days("2025-05-01", "2025-05-05"),  # Labour Day (also in docs/sources.md §2)
    *_days("2025-05-31", "2025-06-02"),  # Dragon Boat (also in docs/sources.md §2)
    *_days("2025-10-01", "2025-10-08"),  # National Day + Mid-Autumn (also in docs/sources.md §2)
    # 2026 — State Council General Office notice, November 2025.
    *_days("2026-01-01", "2026-01-03"),  # New Year's Day
    *_days("2026-02-15", "2026-02-23"),  # Spring Festival
    *_days("2026-04-04", "2026-04-06"),  # Qingming
    *_days("2026-05-01", "2026-05-05"),  # Labour Day
    *_days("2026-06-19", "2026-06-21"),  # Dragon Boat
    *_days("2026-09-25", "2026-09-27"),  # Mid-Autumn
    *_days("2026-10-01", "2026-10-07"),  # National Day
]

_CHINA_WORKDAYS: list[date] = [
    # 2025 make-up working days (same notice as the 2025 holidays).
    date(2025, 1, 26),  # Sun, Spring Festival
    date(2025, 2, 8),  # Sat, Spring Festival
    date(2025, 4, 27),  # Sun, Labour Day (also in docs/sources.md §2)
    date(2025, 9, 28),  # Sun, National Day
    date(2025, 10, 11),  # Sat, National Day
    # 2026 make-up working days (same notice as the 2026 holidays).
    date(2026, 1, 4),  # Sun, New Year
    date(2026, 2, 14),  # Sat, Spring Festival
    date(2026, 2, 28),  # Sat, Spring Festival
    date(2026, 5, 9),  # Sat, Labour Day
    date(2026, 9, 20),  # Sun, National Day
    date(2026, 10, 10),  # Sat, National Day
]

_TABLE_SOURCES = [
    "State Council General Office, notice on the 2025 holiday arrangements (Nov 2024)",
    "State Council General Office, notice on the 2026 holiday arrangements (Nov 2025)",
    "docs/sources.md §2: 2025 Labour Day, Dragon Boat, National Day",
]
_TABLE_YEARS = (2025, 2026)


def _china() -> CalendarData:
    """The package's years, and the table's for any year the package lacks."""
    table: CalendarData = {
        "holidays": _CHINA_HOLIDAYS,
        "workdays": _CHINA_WORKDAYS,
        "sources": _TABLE_SOURCES,
        "years": _TABLE_YEARS,
    }
    package = china_from_package()
    if package is None:
        return table
    first, last = package.years

    def table_only(days: list[date]) -> list[date]:
        return [d for d in days if not first <= d.year <= last]

    return {
        "holidays": [*package.holidays, *table_only(_CHINA_HOLIDAYS)],
        "workdays": [*package.workdays, *table_only(_CHINA_WORKDAYS)],
        "sources": [package.source, *(_TABLE_SOURCES if table_only(_CHINA_HOLIDAYS) else [])],
        "years": (min(first, _TABLE_YEARS[0]), max(last, _TABLE_YEARS[1])),
    }


BUILTIN: dict[str, CalendarData] = {
    "china": _china(),
    "none": {"holidays": [], "workdays": [], "sources": [], "years": None},
}


def coverage_warning(
    base: str, first: date, last: date, own_days: tuple[date, ...] = ()
) -> str | None:
    """A warning when days `first`..`last` reach years whose holidays the built-in calendar
    `base` does not know (so only weekends count there), unless the scenario lists days of its
    own (`own_days`: its `calendar.holidays` and `calendar.workdays`) in each such year."""
    years = BUILTIN[base]["years"] if base in BUILTIN else None
    if years is None:
        return None
    own = {d.year for d in own_days}
    missing = [y for y in range(first.year, last.year + 1) if not years[0] <= y <= years[1]]
    missing = [y for y in missing if y not in own]
    if not missing:
        return None
    span = str(missing[0]) if len(missing) == 1 else f"{missing[0]}–{missing[-1]}"
    return (
        f"the {base} calendar knows public holidays for {years[0]}–{years[1]} only; in {span} "
        "working days count weekends alone (add that year's days to calendar.holidays and "
        "calendar.workdays, or upgrade chinese-calendar)"
    )


def scenario_calendar_warning(scenario: Scenario) -> str | None:
    """`coverage_warning` for the days a scenario simulates, on its calendar."""
    config = scenario.calendar
    last = scenario.start + timedelta(days=max(0, math.ceil(scenario.horizon_days) - 1))
    own = (*config.holidays, *config.workdays)
    return coverage_warning(config.base, scenario.start, last, own)
