"""Whole processes, timed from outside: wall time, CPU time and peak memory of each run.

A run's CPU time (user + system) and peak resident memory are the operating system's accounting
of the finished child (`os.wait4`): CPU includes the child's own children that it waited for
(worker processes of ``-j 2``, a Dask cluster's processes that it shut down), and peak memory is
that of the largest single process among them (for ``-j 1`` runs, the whole process). Wall time
runs from just before the start to just after the child is reaped. Each run gets a process group
of its own; whatever it leaves running there is killed and recorded (`Run.left_behind`).

`interleave` runs several commands in turn, round after round (A B C, B C A, C A B...), so a
machine whose speed drifts slows them all alike; `spread` summarises a list as min, median
and max.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """One finished process."""

    argv: tuple[str, ...]
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    report: dict[str, Any] = field(default_factory=dict)  # the job's own JSON line, if any
    left_behind: bool = False  # processes of its group still there when it ended (then killed)


class RunFailed(RuntimeError):
    pass


def run(argv: Sequence[str], timeout_s: float = 3600.0) -> Run:
    """Run `argv` from the repository root to its end; `RunFailed` if it exits non-zero."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=ROOT, stdout=out, stderr=err, start_new_session=True
        )
        try:
            status, usage, timed_out = _wait(proc, timeout_s)
        except KeyboardInterrupt:
            # Interrupted: end the process group this run started, then reap it.
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        left_behind = _end_group(proc.pid)
        if timed_out:
            raise RunFailed(f"{' '.join(argv)} ran over {timeout_s:.0f} s")
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        if proc.returncode != 0:
            tail = err.read().decode(errors="replace")[-2000:]
            raise RunFailed(f"{' '.join(argv)} exited with {proc.returncode}:\n{tail}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return Run(
        tuple(argv),
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024.0,  # KiB on Linux
        json.loads(lines[-1]) if lines else {},
        left_behind,
    )


def _end_group(pgid: int) -> bool:
    """Kill what the run left running in its own process group; whether there was anything.
    (Left running, a worker would go on taking CPU from the runs measured after it.)"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def _wait(proc: subprocess.Popen, timeout_s: float) -> tuple[int, Any, bool]:
    """Block until the child ends, ending its process group first if it runs past `timeout_s`;
    returns (status, resource usage, whether it timed out)."""
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout_s, expire)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    return status, usage, timed_out.is_set()


def interleave(
    commands: dict[str, Sequence[str]],
    rounds: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, list[Run]]:
    """Each command `rounds` times, in turn, rotating the order each round."""
    names = list(commands)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            progress(f"round {r + 1}/{rounds}: {name}")
            runs[name].append(run(commands[name]))
    return runs


def spread(values: Sequence[float]) -> dict[str, float]:
    """min, median, max (and n) of measured values."""
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "n": len(values),
    }
