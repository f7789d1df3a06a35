"""`make bench`: how fast reesim is, against yardsticks, on this machine.

Every figure comes from whole processes started one after another (never two at once), each
measured from outside (CPU, wall, peak memory: bench/procs.py) and, for the engine, from inside
(time per replication, events: bench/jobs.py). Runs that are compared are interleaved, round
after round, and reported as min / median / max; quote the median. Sections:

  engine      reesim on controls-2025, replay-2025 and licence-queue against raw SimPy timeouts
              and the two hand-written SimPy models in bench/ (the yardsticks); `reesim --help`
  parallel    `reesim run controls-2025 -n 400` with -j 2 against -j 1
  dask        the same sweep on a Dask LocalCluster and on local processes
  memory      peak memory against replications (licence-queue: 1,000 / 10,000 / 100,000)
  firms       generated worlds of 10 / 100 / 1,000 / 3,000 firms: events/s, KPI time, memory
  population  one buyer of 1 / 10 / 100 / 1,000 importers: events and time per replication

`--quick` runs fewer rounds and stops at 10,000 replications and 1,000 firms (about four
minutes); the default takes about ten minutes on two cores. Writes bench/results.json
(with the machine, the date and the load average before and after) and prints a short table.
docs/benchmark.md explains how to read it. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (python bench/bench.py): import as a package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import sections  # noqa: E402
from bench.procs import ROOT  # noqa: E402
from bench.report import summary, targets  # noqa: E402

SECTIONS = ("engine", "parallel", "dask", "memory", "firms", "population")


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import simpy

    from reesim import __version__

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "reesim": __version__,
        "commit": commit or None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller sizes")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results.json", help="where to write"
    )
    args = parser.parse_args(argv)
    settings = sections.QUICK if args.quick else sections.DEFAULT
    chosen = args.only or list(SECTIONS)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "mode": "quick" if args.quick else "default",
        "load_average_before": list(os.getloadavg()),
    }
    for name in chosen:
        results[name] = getattr(sections, name)(settings, progress)
    results["load_average_after"] = list(os.getloadavg())
    results["duration_s"] = time.perf_counter() - started
    results["targets"] = targets(results)
    _write_atomic(args.out, json.dumps(results, indent=2) + "\n")
    print(summary(results))
    print(f"written to {args.out}")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


if __name__ == "__main__":
    main()
