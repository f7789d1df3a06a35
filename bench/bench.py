"""Engine speed and memory on a shipped scenario: `make bench`.

Measures replications per second in one process, events per replication, the speed-up with two
worker processes (parallel efficiency), and the peak memory of this process. Prints a table and
writes bench/results.json. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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


def timed(resolved, n: int, executor, workers: int) -> tuple[float, tuple[int, ...]]:
    start = time.perf_counter()
    result = run_scenario(resolved, range(n), 1, executor, workers)
    return time.perf_counter() - start, result.events_per_replication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default=str(HERE.parent / "scenarios" / "controls-2025.yaml"))
    parser.add_argument("-n", type=int, default=400, help="replications per measurement")
    args = parser.parse_args()

    resolved = load_scenario(args.scenario)
    timed(resolved, 5, SerialExecutor(), 1)  # warm-up: imports, caches
    serial_s, events = timed(resolved, args.n, SerialExecutor(), 1)
    parallel_s, _ = timed(resolved, args.n, ProcessExecutor(2), 2)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

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
    }
    atomic_write_text(HERE / "results.json", json.dumps({
        "reesim_version": __version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "figures": figures,
    }, indent=2) + "\n")

    table = Table(title=f"reesim {__version__} on {resolved.name}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
    Console().print(table)


if __name__ == "__main__":
    main()
