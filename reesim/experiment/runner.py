"""Many replications of one scenario (or of several, paired), on any executor, folded into
`RunResult`s as they finish.

Replications are sent in batches (`batches`) so per-task overhead stays small; each batch runs
the engine and reduces every replication to its metrics in the worker (`batches.run_batch`),
so only small summaries travel back. The parent folds each finished replication into a
`ResultFold` **in replication order**: a batch that finishes early waits in a small reorder
buffer (at most the batches in flight) until the ones before it are in. Memory is therefore
flat in the number of replications, and results are identical whatever the executor, worker
count or completion order, since seeds depend only on (root seed, replication index).

`run_paired` runs several scenarios replication by replication in the same tasks (replication
r of each, under the same root seed: common random numbers) and folds the paired differences
against the first as they arrive (`reesim.results.compare.PairFold`), so a comparison needs no
per-replication values either.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reesim.errors import SimulationError
from reesim.experiment.batches import (  # noqa: F401 - re-exported: the runner's vocabulary
    Batch,
    BatchOutcome,
    Failure,
    ReplicationModel,
    run_batch,
    run_batches,
    simulate_and_measure,
)
from reesim.experiment.executors import Executor, SerialExecutor
from reesim.results.compare import PairFold
from reesim.results.metrics import ReplicationMetrics
from reesim.results.months import Months
from reesim.results.result import (
    DAILY_LIMIT,
    IndexRange,
    Provenance,
    ResultFold,
    RunResult,
    TimelineEntry,
)
from reesim.results.stats import warm_up
from reesim.scenario.load import ResolvedScenario
from reesim.version import __version__

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""

MAX_BATCH = 64
"""Replications per task at most: enough to hide a task's overhead (well under a millisecond
on a started pool: see `batches.Batch`), few enough that the replications in flight stay a
small, fixed amount of memory whatever -n is."""


def batch_size(remaining: int, workers: int) -> int:
    """The next task's replications when `remaining` are left to hand out: a share of them
    that shrinks as they run out (guided scheduling), at most `MAX_BATCH`. Big tasks first keep
    the overhead per replication small; one-replication tasks last mean the workers finish
    within about a replication of each other, instead of one of them running a whole batch
    alone at the end while the others wait."""
    return max(1, min(MAX_BATCH, math.ceil(remaining / (2 * max(1, workers)))))


def batches(
    resolved: ResolvedScenario, root_seed: int, replications: Sequence[int], workers: int
) -> Iterator[Batch]:
    """The replications cut into batches, lazily (a range of a billion costs nothing here).
    Batches that start past the first `DAILY_LIMIT` replications measure no daily series: the
    result summarises daily series over those first replications only."""
    start = 0
    while start < len(replications):
        size = batch_size(len(replications) - start, workers)
        yield Batch(
            resolved,
            root_seed,
            tuple(replications[start : start + size]),
            daily=start < DAILY_LIMIT,
        )
        start += size


def _in_order(
    outcomes: Iterator[tuple[BatchOutcome, ...]], order: Sequence[int], root_seed: int
) -> Iterator[tuple[ReplicationMetrics, ...]]:
    """Each replication's metrics (one per scenario of the task), in the order of `order`,
    from outcomes that arrive in any order; SimulationError for a failed replication."""
    contiguous = isinstance(order, range | IndexRange) and (
        len(order) < 2 or order[1] == order[0] + 1
    )
    position = None if contiguous else {r: i for i, r in enumerate(order)}
    waiting: dict[int, tuple[ReplicationMetrics, ...]] = {}
    expected = 0
    for group in outcomes:
        for outcome in group:
            if outcome.failed_replication is not None:
                r = outcome.failed_replication
                raise SimulationError(
                    f"replication {r} (root seed {root_seed}) failed: {outcome.error}; "
                    f"replay it with --seed {root_seed} --replay {r}",
                    replication=r,
                    seed=root_seed,
                )
        for metrics in zip(*(o.metrics for o in group), strict=True):
            r = metrics[0].replication
            i = position[r] if position is not None else r - order[0]
            waiting[i] = metrics
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1


def run_scenario(
    resolved: ResolvedScenario,
    replications: Sequence[int],
    root_seed: int,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    keep_replications: bool = True,
) -> RunResult:
    """Run the given replications and summarise them; SimulationError if any fails.

    `keep_replications` keeps each replication's KPI values in the result (memory grows with
    n); without it, memory is flat (see the module docstring)."""
    results, _ = run_paired(
        [resolved], replications, root_seed, executor, workers, progress, keep_replications
    )
    return results[0]


@dataclass
class _Scenario:
    resolved: ResolvedScenario
    fold: ResultFold


def run_paired(
    scenarios: Sequence[ResolvedScenario],
    replications: Sequence[int],
    root_seed: int,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    keep_replications: bool = False,
) -> tuple[list[RunResult], list[PairFold]]:
    """Run every scenario on the same replications and root seed, in the same tasks; return
    their results and, for each scenario after the first, its paired differences against the
    first. Scenarios that are the same (content and overrides) run once."""
    executor = executor or SerialExecutor()
    started = time.perf_counter()
    distinct: dict[tuple[str, tuple[str, ...]], int] = {}
    runs: list[_Scenario] = []
    which: list[int] = []
    for resolved in scenarios:
        key = (resolved.sha256, tuple(resolved.overrides))
        if key not in distinct:
            distinct[key] = len(runs)
            horizon = float(resolved.scenario.horizon_days)
            runs.append(_Scenario(resolved, ResultFold(horizon, keep_replications)))
        which.append(distinct[key])
    pairs = [PairFold() for _ in which[1:]]

    def tasks() -> Iterator[tuple[Batch, ...]]:
        for b in batches(runs[0].resolved, root_seed, replications, workers):
            yield tuple(Batch(r.resolved, root_seed, b.replications, daily=b.daily) for r in runs)

    outcomes = executor.map(run_batches, tasks())
    warm_up()  # on a pool, while the workers run their first tasks
    for done, metrics in enumerate(_in_order(outcomes, replications, root_seed), start=1):
        for run, m in zip(runs, metrics, strict=True):
            run.fold.add(m)
        base = metrics[which[0]]
        for pair, index in zip(pairs, which[1:], strict=True):
            pair.add(base.kpis, metrics[index].kpis)
        if progress is not None:
            progress(done, len(replications))
    wall = round(time.perf_counter() - started, 3)
    results = [_result(r.resolved, r.fold, root_seed, wall) for r in runs]
    return [results[i] for i in which], pairs


def _result(resolved: ResolvedScenario, fold: ResultFold, root_seed: int, wall: float) -> RunResult:
    scenario = resolved.scenario
    provenance = Provenance(
        reesim_version=__version__,
        scenario_name=scenario.name,
        scenario_path=resolved.path,
        scenario_sha256=resolved.sha256,
        overrides=resolved.overrides,
        root_seed=root_seed,
        replications=fold.replications,
        wall_time_s=wall,
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    months = Months.covering(scenario.start, scenario.horizon_days).labels
    timeline = [TimelineEntry(str(c.date), c.day, c.name, c.source) for c in resolved.changes]
    inputs = json.loads(json.dumps(resolved.raw, default=str))  # dates as text, JSON-safe
    return fold.result(months, provenance, timeline, inputs)
