"""China's working days for the hand-written reference models (no reesim imports).

The dates are the State Council General Office's holiday arrangements for 2025 and 2026 (notices
of November 2024 and November 2025): public holidays off, the listed weekend days worked.
Beyond 2026 only weekends count. `WorkingDays.add` follows the convention of docs/model.md
("Calendar"): n working days after time t land on the floor(n)-th working day after the day of
t, at t's time of day, plus the fraction of n in calendar days; a clock started on a day off
starts at 00:00 of the next working day.
"""

from __future__ import annotations

import bisect
import math
from datetime import date, timedelta


def _span(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


HOLIDAYS = frozenset(
    _span("2025-01-01", "2025-01-01")
    + _span("2025-01-28", "2025-02-04")
    + _span("2025-04-04", "2025-04-06")
    + _span("2025-05-01", "2025-05-05")
    + _span("2025-05-31", "2025-06-02")
    + _span("2025-10-01", "2025-10-08")
    + _span("2026-01-01", "2026-01-03")
    + _span("2026-02-15", "2026-02-23")
    + _span("2026-04-04", "2026-04-06")
    + _span("2026-05-01", "2026-05-05")
    + _span("2026-06-19", "2026-06-21")
    + _span("2026-09-25", "2026-09-27")
    + _span("2026-10-01", "2026-10-07")
)
MAKE_UP_DAYS = frozenset(
    date.fromisoformat(d)
    for d in (
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    )
)  # fmt: skip


class WorkingDays:
    """Working days as day numbers counted from `start` (day 0 is `start`'s midnight)."""

    def __init__(self, start: date, horizon_days: int, pad_days: int = 3 * 366):
        self.days = [
            d for d in range(-30, horizon_days + pad_days) if _working(start + timedelta(days=d))
        ]

    def add(self, t: float, n: float) -> float:
        """The time `n` working days after time `t` (calendar days from the start)."""
        k = math.floor(n)
        f = n - k
        if k == 0:
            return t + f
        d0 = math.floor(t)
        i = bisect.bisect_left(self.days, d0)
        if self.days[i] == d0:  # a working day: keep the time of day
            return self.days[i + k] + (t - d0) + f
        return self.days[i + k] + f  # clock starts at 00:00 of the next working day, days[i]


def _working(d: date) -> bool:
    if d in HOLIDAYS:
        return False
    return d in MAKE_UP_DAYS or d.weekday() < 5
