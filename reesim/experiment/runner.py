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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Batch:
    resolved: ResolvedScenario
    root_seed: int
    replications: tuple[int, ...]


@dataclass(frozen=True)
class BatchOutcome:
    metrics: tuple[ReplicationMetrics, ...]
    failed_replication: int | None = None
    error: str = ""


def run_batch(batch: Batch) -> BatchOutcome:
    """Run and measure each replication of a batch; stop at the first that raises."""
    done = []
    for r in batch.replications:
        try:
            records = simulate(batch.resolved, batch.root_seed, r)
            done.append(measure(records, batch.resolved.scenario))
        except Exception as exc:  # noqa: BLE001 - a failed run becomes data for the caller
            return BatchOutcome(tuple(done), r, f"{type(exc).__name__}: {exc}")
    return BatchOutcome(tuple(done))


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
