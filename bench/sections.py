"""The measurements of `make bench`, one function per section; each returns plain data for
bench/results.json. Every figure comes from whole processes started here (bench/procs.py):
the job's own report for what happens inside (time per replication, events), the operating
system's accounting for the whole process (CPU, wall, peak memory)."""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procs import ROOT, Run, interleave, run, spread
from bench.worlds import firms_world, population_world

PY = sys.executable
REESIM = str(Path(sys.executable).with_name("reesim"))
SCENARIOS = {
    "controls-2025": ROOT / "scenarios" / "controls-2025.yaml",
    "replay-2025": ROOT / "scenarios" / "replay-2025.yaml",
    "licence-queue": ROOT / "scenarios" / "examples" / "licence-queue.yaml",
}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    rounds: int  # interleaved rounds of the engine section
    simpy_events: int
    controls_n: int
    replay_n: int
    queue_n: int  # licence-queue: reesim and the event-driven reference
    daily_n: int  # controls-2025: the daily-tick reference
    parallel_n: int
    parallel_rounds: int
    sweep_n: int  # replications per point, two points
    sweep_rounds: int
    memory_replications: tuple[int, ...]
    firms: tuple[tuple[int, int], ...]  # (firms, replications)
    population: tuple[tuple[int, int], ...]  # (importers, replications)


DEFAULT = Settings(
    rounds=5,
    simpy_events=2_000_000,
    controls_n=40,
    replay_n=3,
    queue_n=1000,
    daily_n=20,
    parallel_n=400,
    parallel_rounds=3,
    sweep_n=100,
    sweep_rounds=3,
    memory_replications=(1_000, 10_000, 100_000),
    firms=((10, 5), (100, 3), (1_000, 1), (3_000, 1)),
    population=((1, 20), (10, 20), (100, 5), (1_000, 2)),
)
QUICK = Settings(
    rounds=3,
    simpy_events=1_000_000,
    controls_n=20,
    replay_n=1,
    queue_n=400,
    daily_n=10,
    parallel_n=200,
    parallel_rounds=2,
    sweep_n=50,
    sweep_rounds=2,
    memory_replications=(1_000, 10_000),
    firms=((10, 3), (100, 2), (1_000, 1)),
    population=((1, 10), (10, 10), (100, 3), (1_000, 1)),
)


def _process(runs: list[Run]) -> dict[str, Any]:
    return {
        "cpu_s": spread([r.cpu_s for r in runs]),
        "wall_s": spread([r.wall_s for r in runs]),
        "peak_rss_mib": spread([r.peak_rss_mib for r in runs]),
        "runs_that_left_processes_behind": sum(r.left_behind for r in runs),
    }


def _reesim_figures(runs: list[Run]) -> dict[str, Any]:
    reports = [r.report for r in runs]
    n = reports[0]["replications"]
    per_rep = [(x["simulate_cpu_s"] + x["measure_cpu_s"]) / n for x in reports]
    return {
        "replications_timed": n,
        "firms": reports[0]["firms"],
        "importers": reports[0]["importers"],
        "events_per_replication": statistics.fmean(x["events"] / n for x in reports),
        "background_filings_per_replication": statistics.fmean(
            x["background_filings"] / n for x in reports
        ),
        "s_per_replication": spread(per_rep),
        "replications_per_s": spread([1.0 / s for s in per_rep]),
        "simulate_s_per_replication": spread([x["simulate_cpu_s"] / n for x in reports]),
        "events_per_s": spread([x["events"] / x["simulate_cpu_s"] for x in reports]),
        "measure_share_of_simulate": spread(
            [x["measure_cpu_s"] / x["simulate_cpu_s"] for x in reports]
        ),
        "process": _process(runs),
    }


def _reference_figures(runs: list[Run]) -> dict[str, Any]:
    reports = [r.report for r in runs]
    n = reports[0]["replications"]
    return {
        "replications_timed": n,
        "s_per_replication": spread([x["replications_cpu_s"] / n for x in reports]),
        "process": _process(runs),
    }


def _paired(a: list[float], b: list[float]) -> dict[str, float]:
    """a/b round by round (runs of the same round ran next to each other)."""
    return spread([x / y for x, y in zip(a, b, strict=True)])


def engine(s: Settings, progress: Progress) -> dict[str, Any]:
    """Speed per replication of reesim and of the hand-written yardsticks, with raw SimPy."""
    job = [PY, "-m", "bench.jobs"]
    commands = {
        "simpy": [*job, "simpy", str(s.simpy_events)],
        "reesim controls-2025": [
            *job,
            "reesim",
            str(SCENARIOS["controls-2025"]),
            str(s.controls_n),
        ],
        "reesim replay-2025": [*job, "reesim", str(SCENARIOS["replay-2025"]), str(s.replay_n)],
        "reesim licence-queue": [*job, "reesim", str(SCENARIOS["licence-queue"]), str(s.queue_n)],
        "daily-tick controls-2025": [*job, "daily", str(s.daily_n)],
        "event-driven licence-queue": [*job, "queue", str(s.queue_n)],
        "reesim --help": [REESIM, "--help"],
    }
    runs = interleave(commands, s.rounds, lambda m: progress(f"engine: {m}"))
    simpy_rate = [r.report["events_per_s"] for r in runs["simpy"]]
    reesim = {}
    for name in ("controls-2025", "replay-2025", "licence-queue"):
        figures = _reesim_figures(runs[f"reesim {name}"])
        engine_rate = [
            r.report["events"] / r.report["simulate_cpu_s"] for r in runs[f"reesim {name}"]
        ]
        figures["events_per_s_share_of_simpy"] = _paired(engine_rate, simpy_rate)
        reesim[name] = figures

    def per_rep(name: str, key: str) -> list[float]:
        return [r.report[key] / r.report["replications"] for r in runs[name]]

    def reesim_per_rep(name: str) -> list[float]:
        return [
            (r.report["simulate_cpu_s"] + r.report["measure_cpu_s"]) / r.report["replications"]
            for r in runs[name]
        ]

    return {
        "simpy_timeouts_per_s": spread(simpy_rate),
        "simpy_process": _process(runs["simpy"]),
        "reesim": reesim,
        "references": {
            "daily_tick_controls_2025": _reference_figures(runs["daily-tick controls-2025"]),
            "event_driven_licence_queue": _reference_figures(runs["event-driven licence-queue"]),
        },
        "speedup_over_daily_tick": _paired(
            per_rep("daily-tick controls-2025", "replications_cpu_s"),
            reesim_per_rep("reesim controls-2025"),
        ),
        "speedup_over_event_driven": _paired(
            per_rep("event-driven licence-queue", "replications_cpu_s"),
            reesim_per_rep("reesim licence-queue"),
        ),
        "reesim_help": _process(runs["reesim --help"]),
    }


def parallel(s: Settings, progress: Progress) -> dict[str, Any]:
    """`reesim run controls-2025 -n N -j 2` against `-j 1`: whole processes, from the CLI."""
    base = [REESIM, "run", str(SCENARIOS["controls-2025"]), "-n", str(s.parallel_n), "-q"]
    runs = interleave(
        {"-j 1": [*base, "-j", "1"], "-j 2": [*base, "-j", "2"]},
        s.parallel_rounds,
        lambda m: progress(f"parallel: {m}"),
    )
    j1, j2 = runs["-j 1"], runs["-j 2"]
    return {
        "scenario": "controls-2025",
        "replications": s.parallel_n,
        "j1": _process(j1),
        "j2": _process(j2),
        "speedup_wall": _paired([r.wall_s for r in j1], [r.wall_s for r in j2]),
        "cpu_j2_over_j1": _paired([r.cpu_s for r in j2], [r.cpu_s for r in j1]),
    }


def dask(s: Settings, progress: Progress) -> dict[str, Any]:
    """The same sweep on local processes (`-j 2`) and on a Dask LocalCluster (`--dask-local
    2`): whole processes, cluster start and shutdown included."""
    with tempfile.TemporaryDirectory(prefix="reesim-bench-") as tmp:
        base = [
            REESIM, "sweep", str(SCENARIOS["controls-2025"]),
            "--vary", "authority.review.capacity=60,120", "-n", str(s.sweep_n), "-q", "--force",
        ]  # fmt: skip
        runs = interleave(
            {
                "local -j 2": [*base, "-o", f"{tmp}/local", "-j", "2"],
                "dask --dask-local 2": [*base, "-o", f"{tmp}/dask", "--dask-local", "2"],
            },
            s.sweep_rounds,
            lambda m: progress(f"dask: {m}"),
        )
    local, on_dask = runs["local -j 2"], runs["dask --dask-local 2"]
    return {
        "scenario": "controls-2025",
        "sweep": "authority.review.capacity=60,120",
        "replications": 2 * s.sweep_n,
        "local_j2": _process(local),
        "dask_local_2": _process(on_dask),
        "dask_over_local_wall": _paired([r.wall_s for r in on_dask], [r.wall_s for r in local]),
        "dask_over_local_cpu": _paired([r.cpu_s for r in on_dask], [r.cpu_s for r in local]),
    }


def memory(s: Settings, progress: Progress) -> list[dict[str, Any]]:
    """Peak memory of `reesim run licence-queue -n N -j 1` (the whole process) against N."""
    out = []
    for n in s.memory_replications:
        progress(f"memory: reesim run licence-queue -n {n}")
        r = run([REESIM, "run", str(SCENARIOS["licence-queue"]), "-n", str(n), "-q", "-j", "1"])
        out.append(
            {
                "replications": n,
                "peak_rss_mib": r.peak_rss_mib,
                "cpu_s": r.cpu_s,
                "wall_s": r.wall_s,
            }
        )
    return out


def _world_rows(
    kind: str, sizes: tuple[tuple[int, int], ...], make: Callable[[int], str], progress: Progress
) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="reesim-bench-") as tmp:
        for size, n in sizes:
            path = Path(tmp) / f"{kind}-{size}.yaml"
            path.write_text(make(size), encoding="utf-8")
            progress(f"{kind}: {size:,} ({n} replication{'s' * (n > 1)})")
            argv = [PY, "-m", "bench.jobs", "reesim", str(path), str(n)]
            if size >= 1_000:
                argv.append("--no-warm-up")  # a replication of a big world is its own warm-up
            r = run(argv)
            x = r.report
            rows.append(
                {
                    kind: size,
                    "replications": n,
                    "events_per_replication": x["events"] / n,
                    "s_per_replication": (x["simulate_cpu_s"] + x["measure_cpu_s"]) / n,
                    "simulate_s_per_replication": x["simulate_cpu_s"] / n,
                    "events_per_s": x["events"] / x["simulate_cpu_s"],
                    "measure_share_of_simulate": x["measure_cpu_s"] / x["simulate_cpu_s"],
                    "load_s": x["load_cpu_s"],
                    "peak_rss_mib": r.peak_rss_mib,
                    "process_cpu_s": r.cpu_s,
                }
            )
    return rows


def firms(s: Settings, progress: Progress) -> list[dict[str, Any]]:
    """Generated worlds of n firms (bench/worlds.py): events, speed, KPI time, memory."""
    return _world_rows("firms", s.firms, firms_world, progress)


def population(s: Settings, progress: Progress) -> list[dict[str, Any]]:
    """One buyer of n importers (bench/worlds.py): what a population costs (issue 9)."""
    rows = _world_rows("applicants", s.population, population_world, progress)
    for row in rows:
        row["events_per_applicant"] = row["events_per_replication"] / row["applicants"]
    return rows
