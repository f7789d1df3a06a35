"""What happened in one replication, as append-only records; no statistics here.

The engine appends while it runs; `Recorder.freeze` hands the results layer a `RunRecords` of
plain frozen data (tuples and numpy arrays), picklable across processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Shipment:
    """Material sent to a firm. `route` is exports, producer or gray; seized gray shipments never
    arrive. Times are sim days."""

    shipped_day: float
    arrival_day: float
    firm: str
    destination: str
    material: str
    kg: float
    route: str
    supplier: str
    seized: bool = False


@dataclass(frozen=True)
class Decision:
    """One submission of a licence application and what became of it.

    A returned application is resubmitted as a new submission with the same `application_id`;
    `first_filed_day` is when the applicant first filed it. Background applications have firm ''.
    `released_day` is when the reviewer became free (before the decision when escalated).
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


@dataclass(frozen=True)
class Filing:
    """A submission entering the review queue (first filings and resubmissions alike)."""

    day: float
    application_id: int
    firm: str
    material: str


@dataclass(frozen=True)
class PolicyFired:
    day: float
    name: str
    source: str


@dataclass(frozen=True)
class FirmTrace:
    """A firm's stock over time. Stock is linear between consecutive points, so the points
    (one per event touching the firm) describe the whole path exactly."""

    firm: str
    materials: tuple[str, ...]
    rate_kg_per_day: np.ndarray  # planned use per material while producing, at the horizon
    units_per_day: float  # planned output at the start
    plan: tuple[tuple[float, float], ...]  # (from day, units per day): the plan over time
    times: np.ndarray  # (n,)
    stocks_kg: np.ndarray  # (n, len(materials))
    halts: tuple[tuple[float, float], ...]  # [start, end) when production stood still
    initial_kg: np.ndarray
    received_kg: np.ndarray
    consumed_kg: np.ndarray
    final_kg: np.ndarray


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
class _FirmLog:
    materials: tuple[str, ...]
    times: list[float] = field(default_factory=list)
    stocks: list[tuple[float, ...]] = field(default_factory=list)
    halts: list[tuple[float, float]] = field(default_factory=list)


class Recorder:
    """Collects records during one replication."""

    def __init__(self) -> None:
        self.shipments: list[Shipment] = []
        self.decisions: list[Decision] = []
        self.policy: list[PolicyFired] = []
        self.filings: list[Filing] = []
        self._backlog: list[tuple[float, int]] = [(0.0, 0)]
        self._firms: dict[str, _FirmLog] = {}

    def firm_point(
        self, firm: str, materials: tuple[str, ...], t: float, stocks: tuple[float, ...]
    ) -> None:
        log = self._firms.setdefault(firm, _FirmLog(materials))
        # Two points at one instant record a jump (a delivery): before and after.
        if not (log.times and log.times[-1] == t and log.stocks[-1] == stocks):
            log.times.append(t)
            log.stocks.append(stocks)

    def firm_halt(self, firm: str, start: float, end: float) -> None:
        self._firms[firm].halts.append((start, end))

    def backlog(self, t: float, pending: int) -> None:
        self._backlog.append((t, pending))

    def freeze_firm(
        self,
        firm: str,
        rate_kg_per_day: np.ndarray,
        plan: list[tuple[float, float]],
        initial_kg: np.ndarray,
        received_kg: np.ndarray,
        consumed_kg: np.ndarray,
        final_kg: np.ndarray,
    ) -> FirmTrace:
        log = self._firms[firm]
        return FirmTrace(
            firm=firm,
            materials=log.materials,
            rate_kg_per_day=rate_kg_per_day,
            units_per_day=plan[0][1],
            plan=tuple(plan),
            times=np.asarray(log.times, dtype=float),
            stocks_kg=np.asarray(log.stocks, dtype=float).reshape(
                len(log.times), len(log.materials)
            ),
            halts=tuple(log.halts),
            initial_kg=initial_kg,
            received_kg=received_kg,
            consumed_kg=consumed_kg,
            final_kg=final_kg,
        )

    @property
    def backlog_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        times, counts = zip(*self._backlog, strict=True)
        return np.asarray(times, dtype=float), np.asarray(counts, dtype=np.int64)
