"""What happened in one replication, as append-only records; no statistics here.

The engine appends while it runs; `run.simulate` hands the results layer a `RunRecords` of plain
frozen data (named tuples and numpy arrays), picklable across processes. Records are named tuples
because the engine makes tens of thousands of them per replication and a named tuple is built in
C, several times faster than a frozen dataclass.

A buyer's records are aggregates over its importers: its stock path (the sum of their stocks,
linear between recorded points) and its output path (the share of planned output made, constant
between recorded steps). Applications, decisions and shipments are per importer, each carrying
the buyer id and the importer's index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

FULL, REDUCED, STOPPED = 0, 1, 2
"""A buyer's output state: every line running, some stopped, all stopped."""


class Shipment(NamedTuple):
    """Material sent to a buyer's importer. `route` is exports, producer, emergency, gray or
    pipeline (in transit at the start); seized gray shipments never arrive. Times are sim days:
    ordered and shipped on `shipped_day`, cleared by the exporting state's customs on
    `cleared_day` (later only under a customs hold; export statistics count it then), arriving on
    `arrival_day`."""

    shipped_day: float
    arrival_day: float
    firm: str
    destination: str
    material: str
    kg: float
    route: str
    supplier: str
    seized: bool = False
    applicant: int = 0
    cleared_day: float = 0.0


class Decision(NamedTuple):
    """One submission of a licence application and what became of it.

    An application is identified by (`firm`, `applicant`, `material`, `sequence`): the importer's
    n-th application for that material; `submission` counts its returns (0 for the first). A
    returned application is resubmitted with the same identity. Background applications have
    firm '' and their arrival number as `sequence`. `released_day` is when the reviewer became
    free (before the decision when escalated); `review_work` is the drawn review time in the
    review's own unit (working days, usually), before the calendar turns it into days.
    """

    application_id: int
    firm: str
    material: str
    requested_kg: float
    granted_kg: float
    first_filed_day: float
    filed_day: float
    review_start_day: float
    released_day: float
    decision_day: float
    outcome: str  # approve | deny | return
    escalated: bool = False
    forced: bool = False
    destination: str = ""
    end_use: str = "civil"
    exporter: str = ""
    applicant: int = 0
    sequence: int = 0
    submission: int = 0
    review_work: float = 0.0


class Filing(NamedTuple):
    """A submission entering the review queue (first filings and resubmissions alike)."""

    day: float
    application_id: int
    firm: str
    material: str
    destination: str = ""
    submission: int = 0
    exporter: str = ""


class PolicyFired(NamedTuple):
    day: float
    name: str
    source: str


@dataclass(frozen=True)
class FirmTrace:
    """A buyer's stock and output over time, summed over its importers.

    Stock is linear between consecutive points (a delivery records the state before and after it
    at one instant), so the points describe the whole path. Output is a step function: from
    ``output_times[i]`` on, the buyer makes ``output_share[i]`` of its planned output and is in
    state ``output_state[i]`` (FULL, REDUCED or STOPPED).
    """

    firm: str
    materials: tuple[str, ...]
    horizon_days: float
    rate_kg_per_day: np.ndarray  # planned use per material at full output, at the horizon
    units_per_day: float  # planned output at the start
    plan: tuple[tuple[float, float], ...]  # (from day, units per day): the plan over time
    times: np.ndarray  # (n,)
    stocks_kg: np.ndarray  # (n, len(materials))
    output_times: np.ndarray  # (k,)
    output_share: np.ndarray  # (k,) share of planned output made from output_times[i] on
    output_state: np.ndarray  # (k,) FULL, REDUCED or STOPPED
    applicants: int
    applicants_short: int  # importers that had a line stop for lack of material at least once
    initial_kg: np.ndarray  # on hand at the start
    pipeline_kg: np.ndarray  # in transit at the start (warm start)
    received_kg: np.ndarray  # arrived within the horizon, pipeline included
    consumed_kg: np.ndarray
    final_kg: np.ndarray

    @property
    def halts(self) -> tuple[tuple[float, float], ...]:
        """[start, end) intervals with every line stopped, up to the horizon."""
        return self._spans(self.output_state == STOPPED)

    @property
    def reductions(self) -> tuple[tuple[float, float], ...]:
        """[start, end) intervals with at least one line stopped (output below plan)."""
        return self._spans(self.output_state != FULL)

    def _spans(self, flags: np.ndarray) -> tuple[tuple[float, float], ...]:
        ends = np.r_[self.output_times[1:], self.horizon_days]
        spans: list[tuple[float, float]] = []
        for on, start, end in zip(flags, self.output_times, ends, strict=True):
            end = min(float(end), self.horizon_days)
            if not on or end <= start:
                continue
            if spans and spans[-1][1] == start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((float(start), end))
        return tuple(spans)


@dataclass(frozen=True)
class RunRecords:
    """Everything one replication recorded, plus the facts needed to replay it."""

    replication: int
    root_seed: int
    horizon_days: float
    events_processed: int
    firms: tuple[FirmTrace, ...]
    shipments: tuple[Shipment, ...]
    decisions: tuple[Decision, ...]
    policy: tuple[PolicyFired, ...]
    filings: tuple[Filing, ...]
    backlog_times: np.ndarray  # times of changes of pending applications
    backlog_counts: np.ndarray  # pending (queued or in review) after each change
    reviewer_busy_days: float  # integral of busy reviewers over the horizon
    reviewer_capacity_days: float | None  # integral of capacity over time; None if unlimited


@dataclass
class BuyerLog:
    """A buyer's paths while the run goes on."""

    materials: tuple[str, ...]
    times: list[float] = field(default_factory=list)
    stocks: list[tuple[float, ...]] = field(default_factory=list)
    output_times: list[float] = field(default_factory=list)
    output_share: list[float] = field(default_factory=list)
    output_state: list[int] = field(default_factory=list)

    def point(self, t: float, stocks: tuple[float, ...]) -> None:
        # Two points at one instant record a jump (a delivery): before and after.
        if not (self.times and self.times[-1] == t and self.stocks[-1] == stocks):
            self.times.append(t)
            self.stocks.append(stocks)

    def output(self, t: float, share: float, state: int) -> None:
        if self.output_times and self.output_times[-1] == t:
            # A change and its reversal in one instant (resupplied as it ran out) leave no step.
            self.output_share[-1], self.output_state[-1] = share, state
            earlier = len(self.output_times) > 1
            if earlier and (self.output_state[-2], self.output_share[-2]) == (state, share):
                del self.output_times[-1], self.output_share[-1], self.output_state[-1]
            return
        if self.output_state and self.output_state[-1] == state and self.output_share[-1] == share:
            return
        self.output_times.append(t)
        self.output_share.append(share)
        self.output_state.append(state)


class Recorder:
    """Collects records during one replication."""

    def __init__(self) -> None:
        self.shipments: list[Shipment] = []
        self.decisions: list[Decision] = []
        self.policy: list[PolicyFired] = []
        self.filings: list[Filing] = []

    @property
    def backlog_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The pending applications (filed, not yet decided) after each change, from 0 at
        time 0: every filing adds one and every decision takes one away, in time order,
        decisions before filings at the same instant."""
        filed = [f.day for f in self.filings]
        decided = [d.decision_day for d in self.decisions]
        days = np.asarray(filed + decided, dtype=float)
        steps = np.concatenate(
            (np.ones(len(filed), dtype=np.int64), np.full(len(decided), -1, dtype=np.int64))
        )
        order = np.lexsort((steps, days))
        times = np.concatenate(([0.0], days[order]))
        counts = np.concatenate(([0], np.cumsum(steps[order])))
        return times, counts
