"""Running a sweep into its directory (see `store`): streaming, resumable, memory-flat.

Batches go to the executor as the points are resolved; each finished task is written as one
Parquet part (temporary file, fsync, rename) and forgotten, so the parent holds no replication
results and `kill -9` loses at most the tasks in flight. `resume` reads which (point,
replication) pairs the parts hold and runs only the others; since a replication's numbers
depend only on its seed, the final results equal those of an uninterrupted run. Only rows
whose point key matches the current plan count, so resuming a changed sweep (allowed with
`force`) reuses exactly the points that did not change. Progress is reported after each task,
and `max_failures` stops the run once that many replications have failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import numpy as np

from reesim.errors import UsageError
from reesim.experiment.design import auto_batch_size, plan_batches
from reesim.experiment.executors import Executor
from reesim.experiment.runner import Batch, BatchOutcome, ReplicationModel, run_batches
from reesim.experiment.store import (
    MANIFEST,
    PARTS,
    SweepOutcome,
    _check_resume,
    _clear,
    _done,
    _new_manifest,
    _read_manifest,
    _utc,
    _write_manifest,
    summarize,
    write_part,
)
from reesim.experiment.sweepfile import SweepPlan


@dataclass(frozen=True)
class SweepProgress:
    points_done: int
    points: int
    replications_done: int
    replications: int
    failed: int
    ran: int
    """Replications run by this invocation (not resumed ones), for the rate."""
    elapsed_s: float


ProgressCallback = Callable[[SweepProgress], None]


# --- running ----------------------------------------------------------------------------------
def execute_sweep(
    plan: SweepPlan,
    out_dir: str | Path,
    executor: Executor,
    *,
    workers: int = 1,
    executor_name: str = "",
    resume: bool = False,
    force: bool = False,
    max_failures: int | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    model: ReplicationModel | None = None,
) -> SweepOutcome:
    """Run the sweep into `out_dir` (see the module docstring) and summarise it."""
    started = time.perf_counter()
    out = Path(out_dir)
    manifest_path = out / MANIFEST
    manifest = _read_manifest(manifest_path)
    if manifest is not None and not resume:
        if not force:
            raise UsageError(
                f"{out} already holds a sweep; continue it with --resume, replace it with "
                "--force, or choose another directory"
            )
        _clear(out)
        manifest = None
    if manifest is not None:
        plan = _check_resume(manifest, plan, out, force)
    elif out.exists() and not out.is_dir():
        raise UsageError(f"expected a directory for -o, got the file {out}")
    parts = out / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    for stale in parts.glob(".*.tmp"):
        stale.unlink(missing_ok=True)

    points, reps = plan.points, plan.replications
    keys, seeds = plan.keys(), plan.seeds()
    done, failed_before = _done(parts, keys, reps)
    total = points * reps
    size = batch_size or auto_batch_size(total - int(done.sum()), workers)
    now = _utc()
    attempt = {
        "started_utc": now,
        "executor": executor_name,
        "workers": workers,
        "batch_size": size,
    }
    fresh = manifest is None
    if manifest is None:
        manifest = _new_manifest(plan, now)
    manifest["attempts"].append(attempt)
    manifest.update(status="running", finished_utc=None)
    _write_manifest(manifest_path, manifest)

    remaining = reps - done.sum(axis=1)
    state = _Run(
        parts=parts,
        attempt=len(manifest["attempts"]),
        keys=keys,
        kpis=plan.kpis,
        done_count=int(done.sum()),
        failed=failed_before,
        remaining=remaining,
        points_done=int(np.sum(remaining == 0)),
    )

    def report() -> None:
        if progress is not None:
            progress(
                SweepProgress(
                    state.points_done,
                    points,
                    state.done_count,
                    total,
                    state.failed,
                    state.ran,
                    time.perf_counter() - started,
                )
            )

    def tasks() -> Iterator[tuple[Batch, ...]]:
        last: tuple[int, Any] = (-1, None)
        for group in plan_batches(points, reps, seeds, size, done):
            task = []
            for runs in group:
                if last[0] != runs.point:
                    last = (runs.point, plan.resolve(runs.point))
                task.append(
                    Batch(last[1], runs.seed, runs.replications, runs.point, model, series=False)
                )
            yield tuple(task)

    report()
    status = "finished"
    try:
        for outcomes in executor.map(run_batches, tasks()):
            state.record(outcomes)
            report()
            if max_failures is not None and state.failed >= max_failures:
                status = f"stopped after {state.failed} failed replications (--max-failures)"
                break
    except BaseException as exc:
        if fresh and state.seq == 0 and not isinstance(exc, KeyboardInterrupt):
            _clear(out)  # refused before anything was recorded: leave no sweep to resume
            raise
        attempt.update(finished_utc=_utc(), ran=state.ran)
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {exc}"
        manifest.update(status=why, counts=state.counts(points, total))
        _write_manifest(manifest_path, manifest)
        raise
    if state.done_count < total and status == "finished":
        status = "incomplete"
    result = summarize(out, plan)
    attempt.update(finished_utc=_utc(), ran=state.ran)
    manifest.update(
        status=status,
        finished_utc=_utc(),
        counts=state.counts(points, total),
        kpis=result.kpis,
    )
    _write_manifest(manifest_path, manifest)
    result.ran, result.status = state.ran, status
    result.wall_s = time.perf_counter() - started
    return result


@dataclass
class _Run:
    """What the parent keeps while a sweep runs: counters, never results."""

    parts: Path
    attempt: int
    keys: list[str]
    kpis: tuple[str, ...]
    done_count: int
    failed: int
    remaining: np.ndarray
    points_done: int
    ran: int = 0
    seq: int = 0
    checked: bool = False
    _keep: dict[str, bool] = field(default_factory=dict)

    def keep(self, name: str) -> bool:
        found = self._keep.get(name)
        if found is None:
            found = self._keep[name] = not self.kpis or any(fnmatchcase(name, k) for k in self.kpis)
        return found

    def record(self, outcomes: Sequence[BatchOutcome]) -> None:
        if not self.checked:
            self._check_kpis(outcomes)
        self.seq += 1
        write_part(
            self.parts / f"part-a{self.attempt:02d}-{self.seq:06d}.parquet",
            outcomes,
            self.keys,
            self.keep,
        )
        for o in outcomes:
            n = len(o.metrics) + len(o.failures)
            self.ran += n
            self.done_count += n
            self.failed += len(o.failures)
            self.remaining[o.point] -= n
            if self.remaining[o.point] == 0:
                self.points_done += 1

    def _check_kpis(self, outcomes: Sequence[BatchOutcome]) -> None:
        names = next((list(m.kpis) for o in outcomes for m in o.metrics), None)
        if names is None:
            return
        self.checked = True
        unmatched = [k for k in self.kpis if not any(fnmatchcase(n, k) for n in names)]
        if unmatched:
            raise UsageError(
                f"expected KPIs that exist, got {', '.join(unmatched)}; there are: "
                + ", ".join(names)
            )

    def counts(self, points: int, total: int) -> dict[str, int]:
        return {
            "points": points,
            "points_done": self.points_done,
            "replications": total,
            "done": self.done_count,
            "failed": self.failed,
        }
