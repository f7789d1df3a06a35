"""China's public holidays and make-up working days from the `chinese-calendar` package.

The package is maintained against each year's State Council notice and covers every year from
2004 to the latest notice, make-up working days included, which the built-in table in
`calendar_data` (2025–26) does not. It is read once, at import, into plain dates; the
`Calendar` then works from those as from any other list, so speed does not depend on it.
"""

from __future__ import annotations

from datetime import date
from importlib import metadata
from typing import NamedTuple


class PackageCalendar(NamedTuple):
    holidays: list[date]
    workdays: list[date]
    years: tuple[int, int]
    """First and last year covered, both included."""
    source: str


def china_from_package() -> PackageCalendar | None:
    """China's calendar from `chinese_calendar`, or None when it is not installed."""
    try:
        import chinese_calendar
    except ImportError:
        return None
    holidays = sorted(chinese_calendar.holidays)
    workdays = sorted(chinese_calendar.workdays)
    if not holidays:
        return None
    version = metadata.version("chinese-calendar")
    years = (holidays[0].year, holidays[-1].year)
    source = f"chinese-calendar {version} (State Council notices, {years[0]}–{years[1]})"
    return PackageCalendar(holidays, workdays, years, source)
