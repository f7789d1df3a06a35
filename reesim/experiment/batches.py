"""One task of replications, as it runs in a worker process.

This module is what a worker imports to run reesim's tasks (spawned workers import nothing
else of reesim's beyond the engine, the metrics and the scenario model they need): no
statistics, no scipy, no reports. Seeds depend only on (root seed, replication index), so a
replication's numbers are the same whichever worker runs it and in which batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from reesim.engine.run import simulate
from reesim.results.metrics import ReplicationMetrics, measure
from reesim.scenario.load import ResolvedScenario

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


def probe(resolved: ResolvedScenario, root_seed: int) -> ReplicationMetrics | None:
    """Replication 0's metrics, to check KPI and series names before the real work; None when
    it fails (the run itself then reports the failure, with how to replay it)."""
    outcome = run_batch(Batch(resolved, root_seed, (0,)))
    return outcome.metrics[0] if outcome.metrics else None
