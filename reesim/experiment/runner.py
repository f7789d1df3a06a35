"""Many replications of one scenario, on any executor, summarised into a `RunResult`.

Replications are sent in batches so per-task overhead stays small; each batch runs the engine
and reduces every replication to its metrics in the worker, so only small summaries travel back.
Seeds depend only on (root seed, replication index), so results are identical whatever the
executor, worker count or completion order.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from reesim import __version__
from reesim.engine.run import simulate
from reesim.errors import SimulationError
from reesim.experiment.executors import Executor, SerialExecutor
from reesim.results.metrics import Months, ReplicationMetrics, measure
from reesim.results.result import Provenance, RunResult, TimelineEntry, aggregate
from reesim.scenario.load import ResolvedScenario

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""

ReplicationModel = Callable[[ResolvedScenario, int, int], ReplicationMetrics]
"""(resolved scenario, root seed, replication) -> that replication's metrics."""


def simulate_and_measure(
    resolved: ResolvedScenario, root_seed: int, replication: int
) -> ReplicationMetrics:
    """The model every command runs: one replication of the engine, reduced to its metrics."""
    return measure(simulate(resolved, root_seed, replication), resolved.scenario)


@dataclass(frozen=True)
class Batch:
    resolved: ResolvedScenario
    root_seed: int
    replications: tuple[int, ...]
    point: int = 0
    """Design point of a sweep (0 for a plain run); carried through to the outcome."""
    model: ReplicationModel | None = None
    """What to run per replication; None is `simulate_and_measure`. Tests plug in doubles (a
    toy function with known Sobol indices, one that raises) through the same code path."""
    series: bool = True
    """Keep monthly series; sweeps keep only KPIs, so less travels back from the workers."""


@dataclass(frozen=True)
class Failure:
    """A replication that raised, as data: enough to replay it."""

    point: int
    replication: int
    seed: int
    error: str


@dataclass(frozen=True)
class BatchOutcome:
    metrics: tuple[ReplicationMetrics, ...]
    failures: tuple[Failure, ...] = ()
    point: int = 0
    seed: int = 0

    @property
    def failed_replication(self) -> int | None:
        return self.failures[0].replication if self.failures else None

    @property
    def error(self) -> str:
        return self.failures[0].error if self.failures else ""


def run_batch(batch: Batch) -> BatchOutcome:
    """Run and measure each replication of a batch; one that raises is recorded as a `Failure`
    and the others still run."""
    model = batch.model or simulate_and_measure
    done, failed = [], []
    for r in batch.replications:
        try:
            metrics = model(batch.resolved, batch.root_seed, r)
        except Exception as exc:  # noqa: BLE001 - a failed run becomes data for the caller
            failed.append(Failure(batch.point, r, batch.root_seed, f"{type(exc).__name__}: {exc}"))
            continue
        if not batch.series:
            metrics = replace(metrics, series={})
        done.append(metrics)
    return BatchOutcome(tuple(done), tuple(failed), batch.point, batch.root_seed)


def run_batches(batches: tuple[Batch, ...]) -> tuple[BatchOutcome, ...]:
    """Several batches as one task (a sweep's task may span design points)."""
    return tuple(run_batch(b) for b in batches)


def batches(
    resolved: ResolvedScenario, root_seed: int, replications: Sequence[int], workers: int
) -> list[Batch]:
    size = max(1, math.ceil(len(replications) / (4 * max(1, workers))))
    reps = tuple(replications)
    return [Batch(resolved, root_seed, reps[i : i + size]) for i in range(0, len(reps), size)]


def run_scenario(
    resolved: ResolvedScenario,
    replications: Sequence[int],
    root_seed: int,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> RunResult:
    """Run the given replications and summarise them; SimulationError if any fails."""
    executor = executor or SerialExecutor()
    started = time.perf_counter()
    collected: list[ReplicationMetrics] = []
    for outcome in executor.map(run_batch, batches(resolved, root_seed, replications, workers)):
        if outcome.failed_replication is not None:
            raise SimulationError(
                f"replication {outcome.failed_replication} (root seed {root_seed}) failed: "
                f"{outcome.error}; replay it with --seed {root_seed} "
                f"--replay {outcome.failed_replication}",
                replication=outcome.failed_replication,
                seed=root_seed,
            )
        collected.extend(outcome.metrics)
        if progress is not None:
            progress(len(collected), len(replications))
    collected.sort(key=lambda m: m.replication)
    scenario = resolved.scenario
    provenance = Provenance(
        reesim_version=__version__,
        scenario_name=scenario.name,
        scenario_path=resolved.path,
        scenario_sha256=resolved.sha256,
        overrides=resolved.overrides,
        root_seed=root_seed,
        replications=tuple(m.replication for m in collected),
        wall_time_s=round(time.perf_counter() - started, 3),
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    months = Months.covering(scenario.start, scenario.horizon_days).labels
    timeline = [TimelineEntry(str(c.date), c.day, c.name, c.source) for c in resolved.changes]
    inputs = json.loads(json.dumps(resolved.raw, default=str))  # dates as text, JSON-safe
    return aggregate(collected, months, provenance, timeline, inputs)
