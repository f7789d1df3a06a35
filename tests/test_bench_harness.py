"""The benchmark's own machinery: whole-process runs, interleaving, generated worlds, targets
and the printed table. Nothing here asserts a timing."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import yaml

from bench.procs import RunFailed, interleave, run, spread
from bench.report import summary, targets
from bench.sections import Settings, population
from bench.worlds import firms_world, population_world
from reesim.scenario.load import load_text

PY = sys.executable


def test_run_reads_the_job_report_and_the_process_accounting() -> None:
    r = run([PY, "-m", "bench.jobs", "queue", "3"])
    assert r.report["replications"] == 3
    assert r.report["replications_cpu_s"] > 0
    assert r.cpu_s >= r.report["replications_cpu_s"]  # the whole process includes the loop
    assert r.wall_s > 0 and r.peak_rss_mib > 1


def test_run_reports_a_failing_command_with_its_error() -> None:
    with pytest.raises(RunFailed, match="exited with 3") as caught:
        run([PY, "-c", "import sys; sys.stderr.write('went wrong'); sys.exit(3)"])
    assert "went wrong" in str(caught.value)


def test_run_ends_a_command_that_runs_too_long() -> None:
    with pytest.raises(RunFailed, match="ran over"):
        run([PY, "-c", "import time; time.sleep(30)"], timeout_s=0.5)


def test_run_kills_what_a_command_leaves_running_in_its_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    leave = (
        "import subprocess, sys; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))"
    )
    r = run([PY, "-c", leave])
    assert r.left_behind
    assert not _alive(int(pid_file.read_text()))
    assert not run([PY, "-c", "pass"]).left_behind


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped), within two seconds."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True


def test_interleave_rotates_the_order_each_round(tmp_path: Path) -> None:
    log = tmp_path / "order"
    commands = {
        name: [PY, "-c", f"open({str(log)!r}, 'a').write({name!r})"] for name in ("A", "B", "C")
    }
    runs = interleave(commands, rounds=3)
    assert log.read_text() == "ABC" + "BCA" + "CAB"
    assert {name: len(r) for name, r in runs.items()} == {"A": 3, "B": 3, "C": 3}


def test_spread() -> None:
    assert spread([3.0, 1.0, 2.0, 10.0]) == {"min": 1.0, "median": 2.5, "max": 10.0, "n": 4}


def test_generated_firms_world_scales_what_firms_share() -> None:
    small, big = load_text(firms_world(6)).scenario, load_text(firms_world(12)).scenario
    assert len(small.firms) == 6 and len(big.firms) == 12
    assert {"tesla_0", "defense_prime_5", "tesla_6", "defense_prime_11"} <= set(big.firms)
    assert big.authority.review.capacity == 2 * small.authority.review.capacity
    assert big.authority.background.rate_per_day == pytest.approx(
        2 * small.authority.background.rate_per_day
    )
    channel = "transship"
    assert big.smuggling.channels[channel].capacity["ndfeb_magnet"] == pytest.approx(
        2 * small.smuggling.channels[channel].capacity["ndfeb_magnet"]
    )
    fast_track = [c for c in load_text(firms_world(12)).changes if c.name.startswith("London")]
    assert fast_track[0].params.authority.review.capacity == round(140 * 2)


def test_generated_population_world_is_one_buyer_of_n_importers() -> None:
    scenario = load_text(population_world(40)).scenario
    assert list(scenario.firms) == ["tesla"]
    assert scenario.firms["tesla"].applicants.count == 40
    assert scenario.authority.review.capacity == 95 + 20


def test_population_section_measures_events_per_importer() -> None:
    settings = Settings(
        rounds=1, simpy_events=1, controls_n=1, replay_n=1, queue_n=1, daily_n=1,
        parallel_n=1, parallel_rounds=1, sweep_n=1, sweep_rounds=1,
        memory_replications=(), firms=(), population=((1, 1), (4, 1)),
    )  # fmt: skip
    rows = population(settings, lambda _: None)
    assert [row["applicants"] for row in rows] == [1, 4]
    for row in rows:
        assert row["events_per_replication"] > 0
        assert row["events_per_applicant"] == row["events_per_replication"] / row["applicants"]
        assert row["measure_share_of_simulate"] > 0


def _s(median: float) -> dict[str, float]:
    return {"min": median, "median": median, "max": median, "n": 1}


def _results() -> dict:
    process = {"cpu_s": _s(1.0), "wall_s": _s(1.0), "peak_rss_mib": _s(100.0)}
    reesim = {
        "replications_timed": 10,
        "events_per_replication": 4000.0,
        "s_per_replication": _s(0.05),
        "replications_per_s": _s(20.0),
        "simulate_s_per_replication": _s(0.045),
        "events_per_s": _s(90_000.0),
        "measure_share_of_simulate": _s(0.1),
        "events_per_s_share_of_simpy": _s(0.45),
        "process": process,
    }
    world = {
        "replications": 1, "events_per_replication": 1.0, "s_per_replication": 1.0,
        "simulate_s_per_replication": 1.0, "measure_share_of_simulate": 0.05, "load_s": 0.1,
        "peak_rss_mib": 100.0, "process_cpu_s": 2.0,
    }  # fmt: skip
    return {
        "date": "2026-01-01T00:00:00+00:00",
        "mode": "quick",
        "machine": {"reesim": "0", "commit": "abc", "cpu": "cpu", "cores": 2, "python": "3.11"},
        "load_average_before": [0.1, 0, 0],
        "load_average_after": [0.2, 0, 0],
        "engine": {
            "simpy_timeouts_per_s": _s(1e6),
            "simpy_process": process,
            "reesim": {"controls-2025": reesim, "replay-2025": reesim, "licence-queue": reesim},
            "references": {
                "daily_tick_controls_2025": {"s_per_replication": _s(0.2), "process": process},
                "event_driven_licence_queue": {"s_per_replication": _s(0.2), "process": process},
            },
            "speedup_over_daily_tick": _s(2.5),
            "speedup_over_event_driven": _s(1.2),
            "reesim_help": process,
        },
        "parallel": {
            "scenario": "controls-2025", "replications": 400, "j1": process, "j2": process,
            "speedup_wall": _s(1.9), "cpu_j2_over_j1": _s(1.1),
        },
        "dask": {
            "scenario": "controls-2025", "sweep": "x=1,2", "replications": 200,
            "local_j2": process, "dask_local_2": process,
            "dask_over_local_wall": _s(1.2), "dask_over_local_cpu": _s(1.3),
        },
        "memory": [
            {"replications": 1_000, "peak_rss_mib": 100.0, "cpu_s": 1.0, "wall_s": 1.0},
            {"replications": 100_000, "peak_rss_mib": 120.0, "cpu_s": 1.0, "wall_s": 1.0},
        ],
        "firms": [
            {**world, "firms": 10, "events_per_s": 100_000.0},
            {**world, "firms": 1_000, "events_per_s": 70_000.0},
        ],
        "population": [{**world, "applicants": 1, "events_per_s": 1.0, "events_per_applicant": 1.0}],
    }  # fmt: skip


def test_targets_follow_issue_10() -> None:
    met = {t["target"]: t["met"] for t in targets(_results())}
    assert met["reesim per replication vs event-driven licence-queue model"] is True
    assert met["reesim per replication vs daily-tick controls-2025 model"] is False  # 2.5 < 3
    assert met["engine events/s vs raw SimPy timeouts/s, controls-2025"] is True
    assert met["events/s at 1,000 firms vs 10 firms"] is False  # 0.7 < 0.75
    assert met["KPI time / simulation time, largest over firm sizes"] is True
    assert met["-j 2 vs -j 1 wall, 400 replications"] is True
    assert met["peak memory, 100,000 vs 1,000 replications"] is False  # 1.2 > 1.15
    assert met["`reesim --help` CPU seconds"] is False  # 1 s


def test_summary_shows_every_section() -> None:
    results = _results()
    results["targets"] = targets(results)
    text = summary(results)
    for part in ("engine", "parallel", "dask", "memory", "firms", "population", "targets"):
        assert part in text
    assert "NOT met" in text and "reesim 2.5 [2.5-2.5]x as fast" in text


def test_the_largest_generated_worlds_stay_within_the_loaders_limits() -> None:
    # The file size and the background load grow with the firm count; the loader refuses files
    # and background streams past its limits, so the benchmark's largest world must fit them.
    from bench.sections import DEFAULT
    from reesim.files import MAX_INPUT_BYTES
    from reesim.scenario.limits import MAX_BACKGROUND_APPLICATIONS

    largest = max(size for size, _ in DEFAULT.firms)
    text = firms_world(largest)
    assert len(text.encode()) <= MAX_INPUT_BYTES
    doc = yaml.safe_load(text)
    rate = doc["authority"]["background"]["rate_per_day"]
    assert rate * 366 <= MAX_BACKGROUND_APPLICATIONS
