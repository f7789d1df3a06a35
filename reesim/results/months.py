"""Calendar months: how a run is cut into months (`Months`, for monthly series) and the month
after a date (`next_month`, for charts placing a result's months). The one place months are
split; the engine works in days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_start(label: str) -> date:
    """The first day of the month ``YYYY-MM``."""
    return date.fromisoformat(f"{label}-01")


@dataclass(frozen=True)
class Months:
    """Calendar months covering the horizon: labels and [start, end) in sim days."""

    labels: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    end_days: tuple[float, ...] = ()  # `ends` as plain floats, for lookups one at a time

    @staticmethod
    @lru_cache(maxsize=64)
    def covering(start: date, horizon_days: float) -> Months:
        labels, starts, ends = [], [], []
        year, month, day0 = start.year, start.month, 0.0
        while day0 < horizon_days:
            nxt = next_month(date(year, month, 1))
            end = min(float((nxt - start).days), horizon_days)
            labels.append(f"{year:04d}-{month:02d}")
            starts.append(day0)
            ends.append(end)
            year, month, day0 = nxt.year, nxt.month, end
        return Months(tuple(labels), np.asarray(starts), np.asarray(ends), tuple(ends))

    def index(self, days: np.ndarray) -> np.ndarray:
        """Month index of each time (times at or beyond the horizon get len(self))."""
        idx = np.searchsorted(self.ends, days, side="right")
        return np.minimum(idx, len(self.labels))
