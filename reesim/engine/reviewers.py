"""Reviewers in force over time, and when the next application in a FIFO queue starts review.

In a first-come-first-served queue an application's review start depends only on the
applications filed before it and on the number of reviewers over time. When that number is
known in advance (the timeline is dated), each start can be settled the moment the application
is filed, by the Kiefer-Wolfowitz recursion generalised to a capacity that changes by date:

- Starts never decrease in filing order (the head of the queue goes first), so when the n-th
  application is settled every earlier one has started by the time it could start. "Busy" at
  an instant t is then the number of settled reviews that end after t.
- The n-th application starts at the first instant, no earlier than its filing or the previous
  start, at which fewer reviewers are busy than are in force: that instant itself, or one of
  the settled review ends.
- When the number in force rises, waiting applications start at once; when it falls, reviews
  under way run their course and nobody starts until fewer than the new number are busy. A
  change met on the way is put into force at its day and the search goes on from there.

`None` reviewers means no limit: every application starts when filed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from heapq import heappop, heappush, nsmallest

NEVER = math.inf


class Reviewers:
    """The reviewers of one FIFO queue over a run, and the reviews settled on them so far."""

    def __init__(self, capacity: int | None, changes: Sequence[tuple[float, int | None]] = ()):
        """`capacity` reviewers from time 0, then `changes` as (day, reviewers) in day order."""
        self._capacity = capacity
        self._changes = list(reversed(changes))  # popped from the end, earliest first
        self._ends: list[float] = []  # ends of settled reviews that may still be under way
        self._last_start_day = 0.0

    def start_day(self, filed_day: float) -> float:
        """When an application filed at `filed_day` (no earlier than the previous one) starts
        review, every earlier application being settled; `take` must follow with its end."""
        ends, changes = self._ends, self._changes
        t = max(filed_day, self._last_start_day)
        while True:
            while ends and ends[0] <= t:
                heappop(ends)
            capacity = self._capacity
            if capacity is None or len(ends) < capacity:
                start = t
            else:
                # the first review end after which fewer than `capacity` remain busy
                surplus = len(ends) - capacity
                start = ends[0] if surplus == 0 else nsmallest(surplus + 1, ends)[-1]
            if changes and changes[-1][0] <= start:
                day, self._capacity = changes.pop()
                t = max(t, day)
                continue
            return start

    def take(self, start_day: float, end_day: float) -> None:
        """The application just placed by `start_day` is reviewed from `start_day` to
        `end_day`."""
        self._last_start_day = start_day
        heappush(self._ends, end_day)
