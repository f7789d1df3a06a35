"""Running a sweep into its directory (see `store`): streaming, resumable, memory-flat.

The directory is locked for the whole run (`store.DirectoryLock`): a second sweep into it is
refused with the holder's PID. Batches go to the executor as the points are resolved; each
finished task is written as one Parquet part (a unique temporary file, fsync, rename) and
folded into the per-point summaries (`summaries.PointSummaries`), which keep a point's values
only until the point is complete: the parent never reads the parts back to summarise, and
`kill -9` loses at most the tasks in flight. `resume` reads each part once, checking it (a
corrupt part is reported by name, set aside and its replications run again), and runs only the
(point, replication) pairs missing; since a replication's numbers depend only on its seed, the
final results equal those of an uninterrupted run. Only rows whose point key matches the
current plan count, and a replication found twice counts once, so resuming a changed sweep
(allowed with `force`) reuses exactly the points that did not change. Progress is reported
after each task, and `max_failures` stops the run once that many replications have failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import numpy as np

from reesim.errors import Terminated, UsageError
from reesim.experiment.batches import Batch, BatchOutcome, ReplicationModel, run_batches
from reesim.experiment.design import Design, auto_batch_size, plan_batches
from reesim.experiment.executors import Executor
from reesim.experiment.store import (
    MANIFEST,
    PARTS,
    DirectoryLock,
    _check_resume,
    _clear,
    _new_manifest,
    _read_manifest,
    _utc,
    _write_manifest,
    provenance_of,
    scan_parts,
    write_part,
)
from reesim.experiment.summaries import PointSummaries
from reesim.experiment.sweepfile import SweepPlan
from reesim.experiment.sweepsummary import SweepOutcome
from reesim.files import make_output_dir


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


class SweepInterrupted(Exception):
    """Ctrl-C or SIGTERM during a sweep, after the manifest recorded it: how far it got."""

    def __init__(self, done: int, total: int, cause: BaseException):
        self.done, self.total, self.cause = done, total, cause
        super().__init__(f"interrupted with {done} of {total} replications saved")


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
    notice: Callable[[str], None] | None = None,
) -> SweepOutcome:
    """Run the sweep into `out_dir` (see the module docstring) and summarise it. `notice`
    hears what resuming found wrong (a corrupt part, by file)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"expected a directory for -o, got the file {out}")
    make_output_dir(out)
    with DirectoryLock(out):
        return _execute(
            plan,
            out,
            executor,
            workers=workers,
            executor_name=executor_name,
            resume=resume,
            force=force,
            max_failures=max_failures,
            batch_size=batch_size,
            progress=progress,
            model=model,
            notice=notice,
        )


def _execute(
    plan: SweepPlan,
    out: Path,
    executor: Executor,
    *,
    workers: int,
    executor_name: str,
    resume: bool,
    force: bool,
    max_failures: int | None,
    batch_size: int | None,
    progress: ProgressCallback | None,
    model: ReplicationModel | None,
    notice: Callable[[str], None] | None,
) -> SweepOutcome:
    started = time.perf_counter()
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
    parts = out / PARTS
    make_output_dir(parts)
    for stale in [*parts.glob(".*.tmp"), *out.glob(".*.tmp")]:
        stale.unlink(missing_ok=True)  # a dead writer's: we hold the lock

    points, reps = plan.points, plan.replications
    keys, seeds = plan.keys(), plan.seeds()
    horizons: dict[int, float | None] = {}

    def horizon_of(point: int) -> float | None:
        if point not in horizons:
            horizons[point] = float(plan.resolve(point).scenario.horizon_days)
        return horizons[point]

    summaries = PointSummaries(plan, horizon_of)
    done, problems = scan_parts(parts, keys, reps, summaries.add)
    for problem in problems:
        if notice is not None:
            notice(problem)
    failed_before = summaries.failed
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
        design=plan.design,
        provenance=provenance_of(plan),
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
                    horizons[runs.point] = float(last[1].scenario.horizon_days)
                task.append(
                    Batch(last[1], runs.seed, runs.replications, runs.point, model, series=False)
                )
            yield tuple(task)

    report()
    status = "finished"
    try:
        for outcomes in executor.map(run_batches, tasks()):
            state.record(outcomes)
            for o in outcomes:
                for m in o.metrics:
                    kept = {n: v for n, v in m.kpis.items() if state.keep(n)}
                    summaries.add(o.point, m.replication, o.seed, kept, None)
                for f in o.failures:
                    summaries.add(f.point, f.replication, f.seed, None, f.error)
            report()
            if max_failures is not None and state.failed >= max_failures:
                status = f"stopped after {state.failed} failed replications (--max-failures)"
                break
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt | Terminated)
        if fresh and state.seq == 0 and not interrupted:
            _clear(out)  # refused before anything was recorded: leave no sweep to resume
            raise
        attempt.update(finished_utc=_utc(), ran=state.ran)
        why = "interrupted" if interrupted else f"stopped: {exc}"
        manifest.update(status=why, counts=state.counts(points, total))
        _write_manifest(manifest_path, manifest)
        if interrupted:
            raise SweepInterrupted(state.done_count, total, exc) from None
        raise
    if state.done_count < total and status == "finished":
        status = "incomplete"
    result = summaries.finish(out, SweepOutcome(out, points, total, 0, 0, 0, 0.0, ""))
    result.problems = problems
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
    design: Design | None = None
    """The plan's design: each part carries its points' factor values."""
    provenance: dict[str, Any] | None = None

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
            self.design,
            self.provenance,
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


def check_sort_by(plan: SweepPlan, kpi: str) -> None:
    """Refuse an unknown --sort-by before the sweep runs: the KPI names come from one
    replication of the base scenario (every replication yields the same names)."""
    import difflib
    from fnmatch import fnmatchcase

    from reesim.experiment.batches import probe

    metrics = probe(plan.base, plan.seed)
    if metrics is None:
        return
    names = list(metrics.kpis)
    kept = [n for n in names if not plan.kpis or any(fnmatchcase(n, k) for k in plan.kpis)]
    if kpi not in kept:
        close = difflib.get_close_matches(kpi, kept, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(
            f"--sort-by: expected a KPI of this sweep, got {kpi!r}{hint}; there are: "
            + ", ".join(kept)
        )
