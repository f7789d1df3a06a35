"""Engine and sweep speed and memory on shipped scenarios: `make bench`.

Measures replications per second in one process, events per replication, the speed-up with two
worker processes (parallel efficiency), and the peak memory of this process; then, for
`reesim sweep`: the cost of a task (batches of one replication against automatic batches) on
local processes and on a Dask LocalCluster, the Dask executor against local processes on the
shipped scenario, and the peak memory (RSS of the whole process tree) of a 20,000-replication
sweep against a 2,000-replication one. The big sweeps use scenarios/examples/licence-queue.yaml
(~8 ms a replication) since 20,000 replications of controls-2025 (~0.1-0.2 s each) would take
most of an hour on two cores. Prints a table and writes bench/results.json. Timing lives here,
never in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reesim import __version__
from reesim.experiment.executors import ProcessExecutor, SerialExecutor
from reesim.experiment.runner import run_scenario
from reesim.results.io import atomic_write_text
from reesim.scenario.load import load_scenario

HERE = Path(__file__).resolve().parent
CHEAP = HERE.parent / "scenarios" / "examples" / "licence-queue.yaml"
CHEAP_SWEEP = """\
scenario: {scenario}
replications: {replications}
seed: 1
design: lhs
samples: {samples}
factors:
  authority.review.time.mean: {{low: 5wd, high: 30wd}}
  authority.background.rate_per_day: {{low: 0.05, high: 0.5}}
"""


def timed(resolved, n: int, executor, workers: int) -> tuple[float, tuple[int, ...]]:
    start = time.perf_counter()
    result = run_scenario(resolved, range(n), 1, executor, workers)
    return time.perf_counter() - start, result.events_per_replication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default=str(HERE.parent / "scenarios" / "controls-2025.yaml"))
    parser.add_argument("-n", type=int, default=400, help="replications per measurement")
    parser.add_argument(
        "--sweep-n", type=int, default=100, help="replications of the Dask vs local comparison"
    )
    parser.add_argument(
        "--memory-replications", type=int, default=20_000, help="size of the memory sweep"
    )
    args = parser.parse_args()

    resolved = load_scenario(args.scenario)
    timed(resolved, 5, SerialExecutor(), 1)  # warm-up: imports, caches
    serial_s, events = timed(resolved, args.n, SerialExecutor(), 1)
    parallel_s, _ = timed(resolved, args.n, ProcessExecutor(2), 2)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sweeps = sweep_figures(args.scenario, args.sweep_n, args.memory_replications)

    figures = {
        "scenario": resolved.name,
        "replications": args.n,
        "serial_replications_per_s": args.n / serial_s,
        "events_per_replication": sum(events) / len(events),
        "events_per_s": sum(events) / serial_s,
        "j2_replications_per_s": args.n / parallel_s,
        "j2_speedup": serial_s / parallel_s,
        "j2_parallel_efficiency": serial_s / parallel_s / 2,
        "peak_rss_mib": peak_mib,
        **sweeps,
    }
    atomic_write_text(
        HERE / "results.json",
        json.dumps(
            {
                "reesim_version": __version__,
                "python": platform.python_version(),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "figures": figures,
            },
            indent=2,
        )
        + "\n",
    )

    table = Table(title=f"reesim {__version__} on {resolved.name}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
    Console().print(table)


def sweep_figures(scenario: str, n: int, big: int) -> dict[str, float | int | str]:
    """Sweep executors and memory (see the module docstring)."""
    from reesim.experiment.dask_executor import DaskExecutor
    from reesim.experiment.runner import run_batches
    from reesim.experiment.sweep import execute_sweep
    from reesim.experiment.sweepfile import adhoc_plan, load_sweep

    figures: dict[str, float | int | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)

        def run(plan, executor, workers: int, batch: int | None = None) -> tuple[float, int]:
            out = d / f"out{len(list(d.iterdir()))}"
            start = time.perf_counter()
            outcome = execute_sweep(plan, out, executor, workers=workers, batch_size=batch)
            return time.perf_counter() - start, outcome.done

        # tasks: 400 replications of a cheap scenario, one replication per task vs batches
        (d / "cheap.yaml").write_text(
            CHEAP_SWEEP.format(scenario=CHEAP, replications=20, samples=20)
        )
        cheap = load_sweep(d / "cheap.yaml")
        run(cheap, SerialExecutor(), 1)  # warm-up
        serial, reps = run(cheap, SerialExecutor(), 1)
        start = time.perf_counter()
        list(ProcessExecutor(2).map(run_batches, [(), ()]))  # spawn 2 workers that import reesim
        local_start = time.perf_counter() - start
        local_1, _ = run(cheap, ProcessExecutor(2), 2, 1)
        local_b, _ = run(cheap, ProcessExecutor(2), 2)
        start = time.perf_counter()
        with DaskExecutor(local_workers=2) as dask:
            dask_start = time.perf_counter() - start
            run(cheap, dask, 2, 1)  # warm-up: workers import reesim
            dask_1, _ = run(cheap, dask, 2, 1)
            dask_b, _ = run(cheap, dask, 2)
            # the shipped scenario: Dask against local processes, same sweep
            plan = adhoc_plan(scenario, ["authority.review.capacity=60,120"], replications=n // 2)
            shipped_local, _ = run(plan, ProcessExecutor(2), 2)
            shipped_dask, _ = run(plan, dask, 2)
        tasks_b = -(-reps // max(1, -(-reps // 8)))  # automatic batches: about 4 per worker
        figures.update(
            {
                "sweep_cheap_scenario": CHEAP.stem,
                "sweep_cheap_serial_replications_per_s": reps / serial,
                "sweep_cheap_j2_batch1_replications_per_s": reps / local_1,
                "sweep_cheap_j2_batched_replications_per_s": reps / local_b,
                "sweep_cheap_dask2_batch1_replications_per_s": reps / dask_1,
                "sweep_cheap_dask2_batched_replications_per_s": reps / dask_b,
                "task_overhead_local_ms": 2000 * (local_1 - local_b) / (reps - tasks_b),
                "task_overhead_dask_ms": 2000 * (dask_1 - dask_b) / (reps - tasks_b),
                "dask_local_cluster_start_s": dask_start,
                "sweep_shipped_replications": 2 * (n // 2),
                "sweep_shipped_j2_local_s": shipped_local,
                "sweep_shipped_dask2_s": shipped_dask,
                "local_pool_start_s": local_start,
                "dask_overhead_vs_local_pct": (
                    100 * (shipped_dask / (shipped_local - local_start) - 1)
                ),
            }
        )
        # memory: the whole process tree of `reesim sweep -j 2`, small and big
        for label, total in (("small", big // 10), ("big", big)):
            path = d / f"mem-{label}.yaml"
            path.write_text(
                CHEAP_SWEEP.format(scenario=CHEAP, replications=100, samples=total // 100)
            )
            seconds, peak = tree_peak_rss(
                [str(Path(sys.executable).with_name("reesim")), "sweep", str(path), "-o",
                 str(d / f"mem-{label}"), "-j", "2", "-q"]
            )  # fmt: skip
            figures[f"sweep_{total}_replications_s"] = seconds
            figures[f"sweep_{total}_peak_tree_rss_mib"] = peak
    return figures


def tree_peak_rss(argv: list[str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MiB) of a command and all its child processes."""
    import psutil

    start = time.perf_counter()
    proc = psutil.Popen(argv, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            members = [proc, *proc.children(recursive=True)]
            rss = 0
            for p in members:
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += p.memory_info().rss
            peak = max(peak, rss)
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.1)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, peak / 2**20


if __name__ == "__main__":
    main()
