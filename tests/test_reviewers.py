"""Review starts settled at filing (reesim.engine.reviewers) against a queue run event by event.

The reference below is the plain way to run a FIFO queue whose number of reviewers changes by
date: walk through arrivals, review ends and capacity changes in time order and, after each,
start queued applications while fewer reviewers are busy than are in force. Settling each
start at filing must give the same starts for any arrivals, review times and capacity
schedule, including falls below the number busy and unlimited spells.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappop, heappush

from hypothesis import given, settings
from hypothesis import strategies as st

from reesim.engine.reviewers import NEVER, Reviewers


def event_by_event(
    capacity: int | None,
    changes: list[tuple[float, int | None]],
    arrivals: list[tuple[float, float]],
) -> list[float]:
    """Start days of (filed_day, review_days) applications, in filing order, simulated by
    walking through events; NEVER for one that never starts."""
    starts = [NEVER] * len(arrivals)
    queue: deque[int] = deque()
    ends: list[float] = []  # review ends under way
    # (time, kind, payload): at one instant capacity changes come first, then ends, then
    # arrivals, which is how the engine orders a change against an arrival on the same day
    events: list[tuple[float, int, int]] = []
    for k, (day, _) in enumerate(changes):
        heappush(events, (day, 0, k))
    for n, (day, _) in enumerate(arrivals):
        heappush(events, (day, 2, n))
    while events:
        t, kind, payload = heappop(events)
        if kind == 0:
            capacity = changes[payload][1]
        elif kind == 1:
            ends.remove(t)
        else:
            queue.append(payload)
        while queue and (capacity is None or len(ends) < capacity):
            n = queue.popleft()
            starts[n] = t
            end = t + arrivals[n][1]
            ends.append(end)
            heappush(events, (end, 1, 0))
    return starts


def settled(
    capacity: int | None,
    changes: list[tuple[float, int | None]],
    arrivals: list[tuple[float, float]],
) -> list[float]:
    reviewers = Reviewers(capacity, changes)
    starts = []
    for day, review_days in arrivals:
        start = reviewers.start_day(day)
        starts.append(start)
        if start < NEVER:
            reviewers.take(start, start + review_days)
    return starts


capacities = st.one_of(st.none(), st.integers(1, 4))
days = st.integers(0, 60).map(float)  # whole days: ties between arrivals, ends and changes


@settings(max_examples=400, deadline=None)
@given(
    capacity=capacities,
    changes=st.lists(st.tuples(days.map(lambda d: d + 1.0), capacities), max_size=4),
    arrivals=st.lists(st.tuples(days, st.integers(0, 30).map(float)), max_size=25),
)
def test_settled_starts_equal_an_event_by_event_queue(
    capacity: int | None,
    changes: list[tuple[float, int | None]],
    arrivals: list[tuple[float, float]],
) -> None:
    changes = sorted(changes, key=lambda c: c[0])
    arrivals = sorted(arrivals, key=lambda a: a[0])
    assert settled(capacity, changes, arrivals) == event_by_event(capacity, changes, arrivals)


def test_a_fall_below_the_number_busy_lets_running_reviews_finish_first() -> None:
    # Three reviewers busy until days 10, 20, 30; on day 5 one reviewer is left, so nobody
    # starts until all three are done (day 30). On day 15 three are back: with the day-10
    # review over and two still running (ends 20 and 30), one starts on day 15 and the next
    # at day 20, not both on day 15.
    changes: list[tuple[float, int | None]] = [(5.0, 1), (15.0, 3)]
    arrivals = [(0.0, 10.0), (0.0, 20.0), (0.0, 30.0), (6.0, 100.0), (7.0, 100.0)]
    expected = [0.0, 0.0, 0.0, 15.0, 20.0]
    assert event_by_event(3, changes, arrivals) == expected
    assert settled(3, changes, arrivals) == expected


def test_limited_reviewers_after_an_unlimited_spell_count_every_review_under_way() -> None:
    # Unlimited until day 10: four reviews start at once (ends 12, 14, 16, 18). From day 10 two
    # reviewers: the next application waits until only one of the four is left (day 16).
    arrivals = [(0.0, 12.0), (0.0, 14.0), (0.0, 16.0), (0.0, 18.0), (11.0, 1.0)]
    assert settled(None, [(10.0, 2)], arrivals)[-1] == 16.0
    assert event_by_event(None, [(10.0, 2)], arrivals)[-1] == 16.0


def test_an_application_that_never_finds_a_reviewer_never_starts() -> None:
    assert math.isinf(settled(1, [], [(0.0, NEVER), (1.0, 1.0)])[1])
