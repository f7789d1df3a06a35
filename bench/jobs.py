"""One measurement in a fresh process: ``python -m bench.jobs JOB [ARGS]`` prints one JSON line.

`bench/bench.py` starts every job as its own process (so imports, caches and memory start from
nothing each time) and reads the whole process's CPU time, wall time and peak memory from the
operating system; the job itself reports what only it can see: CPU seconds spent in the timed
loop, split between simulation and KPI computation, and the events the engine processed.
Each loop runs one untimed replication first (lazy imports, caches), then the timed ones; a
replication of a big world is its own warm-up (``--no-warm-up``).

Jobs:
  simpy EVENTS               raw SimPy: processes that only yield timeouts; timeouts per second
  reesim SCENARIO N [--no-warm-up]
                             reesim.engine.run.simulate + reesim.results.metrics.measure, N times
  daily N                    the daily-tick reference model of controls-2025, N replications
  queue N                    the event-driven reference model of licence-queue, N replications
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

SEED = 1
WARM_UP = 10_000
"""Replication index of the untimed warm-up run (outside the timed indices)."""


def simpy_timeouts(events: int) -> dict[str, Any]:
    """Bare SimPy: 100 processes that each yield a timeout of a slightly different length, so
    the event queue holds 100 entries, as in a small model."""
    import simpy

    def ticker(env: simpy.Environment, delay: float):
        while True:
            yield env.timeout(delay)

    env = simpy.Environment()
    for k in range(100):
        env.process(ticker(env, 1.0 + k / 100.0))
    horizon = events / sum(1.0 / (1.0 + k / 100.0) for k in range(100))
    c0, w0 = time.process_time(), time.perf_counter()
    env.run(until=horizon)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    processed = next(env._eid) - len(env._queue)  # noqa: SLF001 - SimPy keeps no public count
    return {"events": processed, "cpu_s": cpu, "wall_s": wall, "events_per_s": processed / cpu}


def reesim_runs(scenario: str, n: int, warm_up: bool = True) -> dict[str, Any]:
    c0 = time.process_time()
    from reesim.engine.run import simulate
    from reesim.results.metrics import measure
    from reesim.results.result import DAILY_LIMIT
    from reesim.scenario.load import load_scenario

    c1 = time.process_time()
    resolved = load_scenario(scenario)
    c2 = time.process_time()
    if warm_up:
        measure(simulate(resolved, SEED, WARM_UP), resolved.scenario)
    c3 = time.process_time()
    sim = kpi = 0.0
    events, background = [], 0
    w0 = time.perf_counter()
    for r in range(n):
        a = time.process_time()
        records = simulate(resolved, SEED, r)
        b = time.process_time()
        # as `reesim run` measures: daily series only for the replications its result keeps
        measure(records, resolved.scenario, daily=r < DAILY_LIMIT)
        sim += b - a
        kpi += time.process_time() - b
        events.append(records.events_processed)
        background += sum(not f.firm for f in records.filings)
    firms = resolved.scenario.firms.values()
    return {
        "replications": n,
        "firms": len(firms),
        "importers": sum(f.applicants.count for f in firms),
        "import_cpu_s": c1 - c0,
        "load_cpu_s": c2 - c1,
        "warm_up_cpu_s": c3 - c2,
        "simulate_cpu_s": sim,
        "measure_cpu_s": kpi,
        "loop_wall_s": time.perf_counter() - w0,
        "events": sum(events),
        "events_min": min(events),
        "events_max": max(events),
        "background_filings": background,  # settled without events (engine/authority.py)
    }


def reference_runs(which: str, n: int) -> dict[str, Any]:
    c0 = time.process_time()
    if which == "daily":
        from bench.reference_daily_tick import load
        from bench.reference_daily_tick import replicate as daily

        doc = load()

        def replicate(seed: int) -> dict[str, float]:
            return daily(seed, doc)

    else:
        from bench.reference_queue import replicate
    c1 = time.process_time()
    replicate(WARM_UP)
    c2 = time.process_time()
    w0 = time.perf_counter()
    for r in range(n):
        replicate(r)
    return {
        "replications": n,
        "import_cpu_s": c1 - c0,
        "warm_up_cpu_s": c2 - c1,
        "replications_cpu_s": time.process_time() - c2,
        "loop_wall_s": time.perf_counter() - w0,
    }


def main(argv: list[str]) -> None:
    job, args = argv[0], argv[1:]
    if job == "simpy":
        out = simpy_timeouts(int(args[0]))
    elif job == "reesim":
        out = reesim_runs(args[0], int(args[1]), warm_up=args[2:] != ["--no-warm-up"])
    elif job in ("daily", "queue"):
        out = reference_runs(job, int(args[0]))
    else:
        raise SystemExit(f"unknown job {job!r}; see `python -m bench.jobs --help`")
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        raise SystemExit(0)
    main(sys.argv[1:])
