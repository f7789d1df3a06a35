"""Real processes and signals: workers die with their parent, shutdown is bounded, interrupts
say what was saved, two sweeps never write one directory, corrupt parts are found, and the
integer limits are one rule for every command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reesim.cli.main import main
from reesim.experiment.executors import ProcessExecutor, SerialExecutor
from reesim.experiment.runner import run_scenario
from reesim.experiment.sweep import execute_sweep
from reesim.experiment.sweepfile import load_sweep
from reesim.limits import MAX_SEED
from reesim.scenario.load import load_scenario
from tests.conftest import MINIMAL

STOCHASTIC = MINIMAL.replace("time: 10wd", "time: {dist: lognormal, mean: 10wd, cv: 0.5}")
LONG = STOCHASTIC.replace("horizon: 90d", "horizon: 730d")
"""Two years: slow enough per replication that a run lasts while a test signals it."""

SWEEP = """\
name: tiny
scenario: scenario.yaml
replications: 20
seed: 7
design: grid
factors:
  firms.acme.stockpile.magnet: {low: 10d, high: 40d, levels: 20}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("scenario.yaml").write_text(LONG)
    Path("sweep.yaml").write_text(SWEEP)
    return tmp_path


def reesim(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reesim.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's Ctrl-C is the test's to send, not pytest's
    )


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie awaiting its reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition: object, within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {within_s} s: {what}"
        time.sleep(0.05)


@pytest.fixture
def cleanup() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)  # reaps it and closes its pipes


def workers_of(proc: subprocess.Popen[str], count: int = 2) -> set[int]:
    wait_for(lambda: len(children(proc.pid)) >= count, 60, f"{count} workers started")
    return children(proc.pid)


def in_group(pgid: int) -> set[int]:
    """Processes, zombies included, in the process group `pgid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            found.add(int(entry.name))
    return found


# --- a finished command leaves nothing behind ------------------------------------------------
@pytest.mark.parametrize(
    "executor", [["-j", "2"], pytest.param(["--dask-local", "2"], id="dask-local")]
)
def test_a_finished_sweep_leaves_nothing_in_its_process_group(
    workdir: Path, cleanup: list, executor: list[str]
) -> None:
    if executor[0] == "--dask-local":
        pytest.importorskip("distributed")
    Path("scenario.yaml").write_text(STOCHASTIC)
    proc = reesim("sweep", "sweep.yaml", "-o", "out", "-q", *executor)
    cleanup.append(proc)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    # Checked at once: a helper left to exit on its own, or to be reaped by init, is still
    # there now, as a process or a zombie.
    assert in_group(proc.pid) == set()


# --- workers die with their parent -----------------------------------------------------------
def test_kill_9_of_the_parent_leaves_no_worker(workdir: Path, cleanup: list) -> None:
    proc = reesim("run", "scenario.yaml", "-n", "100000", "-j", "2", "-q")
    cleanup.append(proc)
    workers = workers_of(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    wait_for(lambda: not any(alive(w) for w in workers), 15, "workers gone after kill -9")


def test_sigterm_stops_the_workers_and_says_nothing_was_saved(workdir: Path, cleanup: list) -> None:
    proc = reesim("run", "scenario.yaml", "-n", "100000", "-j", "2")
    cleanup.append(proc)
    workers = workers_of(proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert "interrupted: nothing was saved" in err
    assert not any(alive(w) for w in workers)


def test_two_ctrl_c_stop_a_sweep_quickly_and_it_resumes(workdir: Path, cleanup: list) -> None:
    proc = reesim("sweep", "sweep.yaml", "-o", "out", "-j", "2", "--batch-size", "2")
    cleanup.append(proc)
    workers = workers_of(proc)
    wait_for(lambda: len(list(Path("out/parts").glob("part-*.parquet"))) >= 2, 60, "parts")
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 20
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "replications are saved in out; finish the sweep with: reesim sweep" in err
    assert "--resume" in err
    assert json.loads(Path("out/sweep.json").read_text())["status"] == "interrupted"
    assert not any(alive(w) for w in workers)
    finished = execute_sweep(load_sweep("sweep.yaml"), "out", SerialExecutor(), resume=True)
    assert finished.status == "finished" and finished.done == 20 * 20


def test_a_pool_leaves_no_defunct_child(workdir: Path) -> None:
    resolved = load_scenario(Path("scenario.yaml"), ())
    with ProcessExecutor(2) as pool:
        first = run_scenario(resolved, range(6), 1, pool, 2, keep_replications=False)
        second = run_scenario(resolved, range(6), 1, pool, 2, keep_replications=False)
        assert len(children(os.getpid())) == 2  # one pool, reused
    assert children(os.getpid()) == set()  # reaped: no zombie either
    serial = run_scenario(resolved, range(6), 1, SerialExecutor(), keep_replications=False)
    for name, kpi in serial.kpis.items():
        for other in (first, second):
            assert other.kpis[name].summary == kpi.summary, name


def test_shrinking_batches_on_two_workers_give_the_serial_numbers(workdir: Path) -> None:
    # 40 replications on 2 workers: tasks of 10, 8, 6, ... 1 replications, finishing in any
    # order, folded in replication order: every value and summary as one process gives them.
    Path("short.yaml").write_text(STOCHASTIC)
    resolved = load_scenario(Path("short.yaml"), ())
    indices = range(3, 43)
    with ProcessExecutor(2) as pool:
        parallel = run_scenario(resolved, indices, 11, pool, 2, keep_replications=True)
    serial = run_scenario(resolved, indices, 11, SerialExecutor(), keep_replications=True)
    assert parallel.provenance.replications == indices
    assert parallel.events_per_replication == serial.events_per_replication
    assert len(set(serial.events_per_replication)) > 1  # the replications differ
    # repr: exact for floats (it round-trips) and NaN-aware, where == says nan != nan.
    for name, kpi in serial.kpis.items():
        assert repr(parallel.kpis[name]) == repr(kpi), name
    assert parallel.series.keys() == serial.series.keys()
    for name, series in serial.series.items():
        assert repr(parallel.series[name]) == repr(series), name


# --- concurrent sweeps -----------------------------------------------------------------------
def test_a_second_writer_is_refused_with_the_holders_pid(
    workdir: Path, cleanup: list, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = reesim("sweep", "sweep.yaml", "-o", "out", "-j", "1", "-q")
    cleanup.append(proc)
    wait_for(
        lambda: Path("out/.lock").is_file() and Path("out/.lock").read_text().strip(), 60, "lock"
    )
    code = main(["sweep", "sweep.yaml", "-o", "out", "-j", "1", "--resume", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"is being written by another reesim sweep (PID {proc.pid})" in err
    proc.communicate(timeout=300)
    assert proc.returncode == 0
    points = pq.read_table("out/points.parquet").to_pylist()
    assert all(p["replications"] == 20 for p in points)  # nobody's replications counted twice


# --- corrupt parts ----------------------------------------------------------------------------
def test_a_corrupt_part_is_reported_set_aside_and_rerun(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("scenario.yaml").write_text(STOCHASTIC)
    argv = ["sweep", "sweep.yaml", "-o", "out", "-j", "1", "--batch-size", "50", "-q"]
    assert main(argv) == 0
    before = Path("out/points.csv").read_bytes()
    parts = sorted(Path("out/parts").glob("part-*.parquet"))
    truncated, emptied, garbage = parts[1], parts[3], parts[5]
    truncated.write_bytes(truncated.read_bytes()[:100])
    emptied.write_bytes(b"")
    garbage.write_bytes(b"PAR1 not really parquet PAR1")
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    err = capsys.readouterr().err
    for path in (truncated, emptied, garbage):
        assert f"{path}: expected a sweep part, got an unreadable file" in err
        assert (Path("out/parts/corrupt") / path.name).is_file()
    assert Path("out/points.csv").read_bytes() == before


def test_a_truncated_manifest_is_named_by_report(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("scenario.yaml").write_text(STOCHASTIC)
    Path("sweep.yaml").write_text(
        SWEEP.replace("levels: 20", "levels: 2").replace("replications: 20", "replications: 3")
    )
    assert main(["sweep", "sweep.yaml", "-o", "out", "-j", "1", "-q"]) == 0
    manifest = Path("out/sweep.json")
    manifest.write_text(manifest.read_text()[:200])
    capsys.readouterr()
    assert main(["report", "out", "-o", "r.html"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{manifest}:") and "expected a sweep manifest (JSON)" in err


# --- one rule for integers --------------------------------------------------------------------
TOO_BIG = str(MAX_SEED + 1)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "scenario.yaml", "-n", "1000000000000"],
        ["run", "scenario.yaml", "--seed", TOO_BIG],
        ["run", "scenario.yaml", "--seed", "-1"],
        ["run", "scenario.yaml", "--replay", "10" + "0" * 30],
        ["run", "scenario.yaml", "--replay", "5", "-n", "3"],
        ["compare", "scenario.yaml", "scenario.yaml", "--seed", TOO_BIG],
        ["compare", "scenario.yaml", "scenario.yaml", "-n", "1000000000000"],
        ["sweep", "scenario.yaml", "-o", "x", "--vary", "horizon=90d", "--seed", TOO_BIG],
        ["sweep", "scenario.yaml", "-o", "x", "--vary", "horizon=90d", "-n", "1000000000000"],
    ],
)
def test_integer_limits_are_usage_errors_everywhere(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()
    assert not Path("x").exists()


def test_the_largest_seed_runs_in_every_command(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("scenario.yaml").write_text(STOCHASTIC)
    seed = str(MAX_SEED)
    assert main(["run", "scenario.yaml", "-n", "2", "--seed", seed, "-q"]) == 0
    assert main(["compare", "scenario.yaml", "scenario.yaml", "-n", "2", "--seed", seed, "-q"]) == 0
    vary = ["--vary", "firms.acme.stockpile.magnet=20d,30d"]
    assert main(["sweep", "scenario.yaml", "-o", "x", *vary, "-n", "2", "--seed", seed, "-q"]) == 0
    Path("big.yaml").write_text(SWEEP.replace("seed: 7", f"seed: {MAX_SEED + 1}"))
    capsys.readouterr()
    assert main(["sweep", "big.yaml", "-o", "y", "-q"]) == 2
    assert "big.yaml:4:7: seed: expected a value <= 9223372036854775807" in capsys.readouterr().err


def test_replay_with_n_says_why(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenario.yaml", "--replay", "5", "-n", "3"]) == 2
    assert "--replay 5 runs one replication; -n 3 does not apply" in capsys.readouterr().err
