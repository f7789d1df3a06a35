"""`reesim sweep` end to end on tiny scenarios: outputs, identical results whatever the executor,
kill -9 and resume, failures as data, Sobol indices of a toy function, bad sweep files."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reesim.cli.main import main
from reesim.errors import SimulationError, UsageError
from reesim.experiment import batches as runner
from reesim.experiment import store
from reesim.experiment.executors import ProcessExecutor, SerialExecutor
from reesim.experiment.runner import run_scenario
from reesim.experiment.store import read_replications
from reesim.experiment.sweep import execute_sweep
from reesim.experiment.sweepfile import SweepPlan, load_sweep
from reesim.results.metrics import ReplicationMetrics
from reesim.results.stats import summarize, summarize_columns
from reesim.scenario.paths import dotted, get_path, parse_dotted
from tests.conftest import MINIMAL

STOCHASTIC = MINIMAL.replace("time: 10wd", "time: {dist: lognormal, mean: 10wd, cv: 0.5}").replace(
    "transit: 2w", "transit: {dist: triangular, low: 1w, mode: 2w, high: 4w}"
)

SWEEP = """\
name: tiny
scenario: scenario.yaml
replications: 4
seed: 7
kpis: [firms.acme.*, authority.queue_wait_days]
design: grid
factors:
  authority.review.time.mean: [5wd, 15wd]
  firms.acme.stockpile.magnet: {low: 10d, high: 40d, levels: 3}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("scenario.yaml").write_text(STOCHASTIC)
    Path("sweep.yaml").write_text(SWEEP)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str | Path) -> list[dict[str, object]]:
    """Per-replication rows; NaN as None so that equal runs compare equal."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in read_replications(Path(out)).to_pylist()
    ]


def sweep(plan: SweepPlan, out: str, executor: object = None, **kw: object) -> store.SweepOutcome:
    return execute_sweep(plan, out, executor or SerialExecutor(), **kw)  # type: ignore[arg-type]


# --- outputs ----------------------------------------------------------------------------------
def test_a_sweep_file_writes_manifest_parts_and_point_summaries(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1")
    assert code == 0, err
    assert "tiny: grid design, 6 points x 4 replications; 24/24 done" in out
    assert "highest firms.acme.stockout_days" in out

    manifest = json.loads(Path("out/sweep.json").read_text())
    assert manifest["status"] == "finished"
    assert manifest["counts"] == {
        "points": 6,
        "points_done": 6,
        "replications": 24,
        "done": 24,
        "failed": 0,
    }
    assert manifest["root_seed"] == 7 and manifest["sweep"]["text"] == SWEEP
    assert len(manifest["design"]["points"]) == 6 and manifest["finished_utc"]

    table = rows("out")
    assert len(table) == 24 and all(r["error"] is None and r["seed"] == 7 for r in table)
    assert [(r["point"], r["replication"]) for r in table] == [
        (p, r) for p in range(6) for r in range(4)
    ]
    factor_columns = {
        f"{name}{part}"
        for name in ("authority.review.time.mean", "firms.acme.stockpile.magnet")
        for part in ("", ".value", ".unit")
    }
    kpi_names = {
        k
        for k in table[0]
        if (k.startswith("firms.acme.") or k == "authority.queue_wait_days")
        and k not in factor_columns
    }
    assert set(table[0]) - set(store.RESERVED) - factor_columns == kpi_names
    # Every part carries its points' factors, typed, and says which columns they are.
    part = pq.read_table(sorted(Path("out/parts").glob("*.parquet"))[0])
    assert set(store.kpi_columns(part)) == kpi_names
    row = next(r for r in table if r["point"] == 4)
    assert row["authority.review.time.mean"] == "15wd"
    assert row["authority.review.time.mean.value"] == 15.0
    assert row["authority.review.time.mean.unit"] == "wd"
    assert row["firms.acme.stockpile.magnet.value"] == 25.0
    provenance = json.loads(part.schema.metadata[store.METADATA_KEY])
    assert provenance["sweep"] == "tiny" and provenance["root_seed"] == 7

    points = pq.read_table("out/points.parquet").to_pylist()
    assert [p["authority.review.time.mean"] for p in points] == ["5wd"] * 3 + ["15wd"] * 3
    assert [p["firms.acme.stockpile.magnet"] for p in points[:3]] == ["10d", "25d", "40d"]
    values = [r["firms.acme.stockout_days"] for r in table if r["point"] == 4]
    expected = summarize(np.array(values))
    assert points[4]["firms.acme.stockout_days.mean"] == pytest.approx(expected.mean)
    assert points[4]["firms.acme.stockout_days.ci_high"] == pytest.approx(expected.ci_high)
    assert points[4]["replications"] == 4 and points[4]["failed"] == 0
    csv_lines = Path("out/points.csv").read_text().splitlines()
    assert len(csv_lines) == 7 and csv_lines[0].startswith(
        "point,authority.review.time.mean,authority.review.time.mean.value,"
        "authority.review.time.mean.unit,firms.acme.stockpile.magnet,"
        "firms.acme.stockpile.magnet.value,firms.acme.stockpile.magnet.unit,replications,failed,"
    )
    # The long form: one row per point, KPI and statistic, numbers as numbers, units beside.
    long = pq.read_table("out/points-long.parquet")
    kpis = manifest["kpis"]  # not the wide columns ending in .mean: a factor may (time.mean)
    assert long.num_rows == 6 * len(kpis) * len(store.STATS)
    assert long.schema.field("value").type == pa.float64()
    assert long.schema.field("authority.review.time.mean.value").type == pa.float64()
    mean_at_4 = [
        r for r in long.to_pylist()
        if r["point"] == 4 and r["kpi"] == "firms.acme.stockout_days" and r["statistic"] == "mean"
    ]  # fmt: skip
    assert len(mean_at_4) == 1 and mean_at_4[0]["value"] == pytest.approx(expected.mean)
    assert mean_at_4[0]["unit"] == "d" and mean_at_4[0]["sweep"] == "tiny"
    assert mean_at_4[0]["authority.review.time.mean.unit"] == "wd"
    assert json.loads(long.schema.metadata[store.METADATA_KEY])["scenario_sha256"]
    assert json.loads(pq.read_schema("out/points.parquet").metadata[store.METADATA_KEY])
    long_csv = Path("out/points-long.csv").read_text().splitlines()
    assert len(long_csv) == long.num_rows + 1 and long_csv[0].endswith(",kpi,unit,statistic,value")
    assert not Path("out/failures.csv").exists() and not Path("out/sensitivity.csv").exists()


def test_summarize_columns_match_the_run_summaries() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(9, 4))
    matrix[:, 1] = 2.0  # no spread
    matrix[2:, 2] = np.nan  # applies to two replications only
    matrix[:, 3] = np.nan  # never applies
    found = summarize_columns(matrix)
    stacked = summarize_columns(np.stack([matrix, matrix[::-1] * 2]))
    for k in range(4):
        s = summarize(matrix[:, k])
        twice = summarize(matrix[::-1, k] * 2)
        for name in ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "n"):
            assert found[name][k] == pytest.approx(getattr(s, name), nan_ok=True), (k, name)
            assert stacked[name][0, k] == pytest.approx(getattr(s, name), nan_ok=True)
            assert stacked[name][1, k] == pytest.approx(getattr(twice, name), nan_ok=True)


# --- identical results ------------------------------------------------------------------------
def test_results_are_identical_in_process_and_on_two_processes(workdir: Path) -> None:
    plan = load_sweep("sweep.yaml")
    sweep(plan, "serial", batch_size=5)
    sweep(plan, "parallel", ProcessExecutor(2), workers=2, batch_size=3)
    assert rows("serial") == rows("parallel")
    assert Path("serial/points.csv").read_bytes() == Path("parallel/points.csv").read_bytes()


def test_a_replication_replays_with_reesim_run(workdir: Path) -> None:
    """Common random numbers: point p's replication r is `reesim run --set ... --seed S
    --replay r`, whatever the point."""
    plan = load_sweep("sweep.yaml")
    sweep(plan, "out", batch_size=7)
    table = rows("out")
    for row in (table[5], table[22]):
        p, r = int(row["point"]), int(row["replication"])  # type: ignore[call-overload]
        alone = run_scenario(plan.resolve(p), [r], 7)
        for name, kpi in alone.kpis.items():
            if name in row:
                value = kpi.values[0]
                assert row[name] == (None if math.isnan(value) else pytest.approx(value)), name


# --- kill -9 and resume -----------------------------------------------------------------------
def test_a_sweep_killed_mid_way_and_resumed_equals_an_uninterrupted_one(workdir: Path) -> None:
    Path("big.yaml").write_text(
        SWEEP.replace("replications: 4", "replications: 15").replace("levels: 3", "levels: 10")
    )
    reesim = Path(sys.executable).with_name("reesim")
    args = [str(reesim), "sweep", "big.yaml", "-o", "killed", "-j", "1", "--batch-size", "1", "-q"]
    with Path("killed.log").open("wb") as log:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while len(list(Path("killed/parts").glob("part-*.parquet"))) < 5:
            assert proc.poll() is None, Path("killed.log").read_text()
            assert time.monotonic() < deadline, "no parts written within 60 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not Path("killed/points.csv").exists()
    assert json.loads(Path("killed/sweep.json").read_text())["status"] == "running"
    kept = len(rows("killed"))
    assert 5 <= kept < 300

    plan = load_sweep("big.yaml")
    resumed = sweep(plan, "killed", resume=True)
    assert resumed.ran == 300 - kept and resumed.status == "finished"
    sweep(plan, "whole", batch_size=64)
    assert rows("killed") == rows("whole")
    assert Path("killed/points.csv").read_bytes() == Path("whole/points.csv").read_bytes()
    manifest = json.loads(Path("killed/sweep.json").read_text())
    assert manifest["status"] == "finished" and len(manifest["attempts"]) == 2


def test_resume_refuses_a_changed_sweep_or_version_unless_forced(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1")[0] == 0
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1")
    assert code == 2 and "already holds a sweep; continue it with --resume" in err

    code, out, _ = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--resume")
    assert code == 0 and "24/24 done; 0 run now" in out

    Path("sweep.yaml").write_text(SWEEP.replace("replications: 4", "replications: 6"))
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--resume")
    assert code == 2
    assert "refusing to resume out: the sweep changed since it started (replications)" in err
    # forced: the 24 replications whose points did not change are kept, 12 more run
    code, out, _ = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--resume", "--force")
    assert code == 0 and "36/36 done; 12 run now" in out

    monkeypatch.setattr(store, "__version__", "99.0")
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--resume")
    assert code == 2 and "it was made by reesim 0.1.0, this is 99.0" in err.replace("\n", " ")


def test_force_replaces_a_finished_sweep(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1")[0] == 0
    first = rows("out")
    code, out, _ = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--force")
    assert code == 0 and "24 run now" in out
    assert rows("out") == first


# --- failures ---------------------------------------------------------------------------------
def flaky(resolved, root_seed: int, replication: int) -> ReplicationMetrics:  # type: ignore[no-untyped-def]
    """A test double of the engine: replication 2 of the points with a 40d stockpile raise."""
    stock = get_path(resolved.raw, parse_dotted("firms.acme.stockpile.magnet"))
    if replication == 2 and stock == "40d":
        raise RuntimeError(f"boom at {stock}")
    return runner.simulate_and_measure(resolved, root_seed, replication)


def test_failed_replications_are_recorded_and_the_rest_runs(workdir: Path) -> None:
    plan = load_sweep("sweep.yaml")
    outcome = sweep(plan, "out", model=flaky, batch_size=8)
    assert (outcome.failed, outcome.done, outcome.status) == (2, 24, "finished")
    failed = [r for r in rows("out") if r["error"] is not None]
    assert [(r["point"], r["replication"], r["seed"]) for r in failed] == [(2, 2, 7), (5, 2, 7)]
    assert failed[0]["error"] == "RuntimeError: boom at 40d"
    assert failed[0]["firms.acme.stockout_days"] is None
    points = pq.read_table("out/points.parquet").to_pylist()
    assert [(p["replications"], p["failed"]) for p in points] == [(4, 0)] * 2 + [(3, 1)] + [
        (4, 0)
    ] * 2 + [(3, 1)]
    lines = Path("out/failures.csv").read_text().splitlines()
    assert lines[0] == "point,replication,seed,error,replay" and len(lines) == 3
    assert "reesim run scenario.yaml --set authority.review.time.mean=5wd" in lines[1]
    assert lines[1].endswith("--set firms.acme.stockpile.magnet=40d --seed 7 --replay 2")


def test_max_failures_stops_the_sweep_early(workdir: Path) -> None:
    plan = load_sweep("sweep.yaml")
    outcome = sweep(plan, "out", model=flaky, batch_size=1, max_failures=1)
    assert outcome.failed == 1 and outcome.done == 11
    assert outcome.status == "stopped after 1 failed replications (--max-failures)"
    assert json.loads(Path("out/sweep.json").read_text())["status"] == outcome.status
    # resuming finishes the rest; the failure stays recorded
    outcome = sweep(plan, "out", model=flaky, resume=True)
    assert (outcome.failed, outcome.done, outcome.ran) == (2, 24, 13)


def test_a_failing_replication_exits_3_and_run_keeps_its_contract(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runner.simulate

    def broken(resolved, root_seed, replication):  # type: ignore[no-untyped-def]
        if replication == 1:
            raise ValueError("engine fault")
        return real(resolved, root_seed, replication)

    monkeypatch.setattr(runner, "simulate", broken)
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1")
    assert code == 3
    assert "6 of 24 replications failed" in err and "ValueError: engine fault" in err
    assert len(Path("out/failures.csv").read_text().splitlines()) == 7
    code, _, err = run(capsys, "run", "scenario.yaml", "-n", "3")
    assert code == 3 and "replication 1 (root seed 1) failed: ValueError: engine fault" in err
    with pytest.raises(SimulationError):
        run_scenario(load_sweep("sweep.yaml").base, [0, 1, 2], 1)


# --- Sobol indices of the Ishigami function ---------------------------------------------------
ISHIGAMI_SCENARIO = MINIMAL.replace(
    "firms:\n",
    "firms:\n"
    + "".join(
        f"""  {name}:
    country: us
    production: {{units_per_day: 5}}
    needs: {{magnet: {{per_unit: 1 kg}}}}
    stockpile: {{magnet: 30d}}
    transit: 2w
"""
        for name in ("x1", "x2", "x3")
    ),
)
ISHIGAMI_SWEEP = f"""\
scenario: ishigami.yaml
replications: 1
kpis: [ishigami]
design: sobol
samples: 1024
factors:
  firms.x1.production.units_per_day: {{low: 1, high: {1 + 2 * math.pi}}}
  firms.x2.production.units_per_day: {{low: 1, high: {1 + 2 * math.pi}}}
  firms.x3.production.units_per_day: {{low: 1, high: {1 + 2 * math.pi}}}
"""


def ishigami(resolved, root_seed: int, replication: int) -> ReplicationMetrics:  # type: ignore[no-untyped-def]
    """A toy model with known Sobol indices, reading its inputs from the resolved scenario."""
    x1, x2, x3 = (
        get_path(resolved.raw, parse_dotted(f"firms.{n}.production.units_per_day")) - 1 - math.pi
        for n in ("x1", "x2", "x3")
    )
    y = math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
    return ReplicationMetrics(replication, {"ishigami": y}, {}, 0)


def test_sobol_indices_of_the_ishigami_function(workdir: Path) -> None:
    Path("ishigami.yaml").write_text(ISHIGAMI_SCENARIO)
    Path("ishigami-sweep.yaml").write_text(ISHIGAMI_SWEEP)
    plan = load_sweep("ishigami-sweep.yaml")
    assert plan.points == 1024 * 5
    outcome = sweep(plan, "out", model=ishigami)
    found = {r.factor.split(".")[1]: r for r in outcome.sensitivity}
    # Known values for a = 7, b = 0.1 (Ishigami & Homma 1990; Sobol' 1993).
    s1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    st = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for x in ("x1", "x2", "x3"):
        assert abs(found[x].s1 - s1[x]) <= found[x].s1_conf, (x, found[x])
        assert abs(found[x].st - st[x]) <= found[x].st_conf, (x, found[x])
    assert [found[x].rank for x in ("x1", "x2", "x3")] == [1, 2, 3]
    lines = Path("out/sensitivity.csv").read_text().splitlines()
    assert lines[0] == "kpi,factor,path,S1,S1_conf,ST,ST_conf,rank" and len(lines) == 4


# --- ad-hoc sweeps and the uncertainties block ------------------------------------------------
UNCERTAIN = (
    STOCHASTIC
    + """\
uncertainties:
  review_time:
    path: authority.review.time.mean
    low: 5wd
    high: 20wd
  stock:
    path: firms.acme.stockpile.magnet
    low: 10d
    high: 60d
"""
)


def test_a_scenario_with_uncertainties_sweeps_them_by_default(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("u.yaml").write_text(UNCERTAIN)
    argv = [
        "sweep",
        "u.yaml",
        "--design",
        "lhs",
        "--samples",
        "6",
        "-n",
        "2",
        "-o",
        "out",
        "-j",
        "1",
    ]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "lhs design, 6 points x 2 replications" in out
    design = json.loads(Path("out/sweep.json").read_text())["design"]
    assert [(f["name"], f["path"]) for f in design["factors"]] == [
        ("review_time", "authority.review.time.mean"),
        ("stock", "firms.acme.stockpile.magnet"),
    ]
    assert pq.read_table("out/points.parquet").column_names[:7] == [
        "point",
        *(f"{name}{part}" for name in ("review_time", "stock") for part in ("", ".value", ".unit")),
    ]


def test_an_adhoc_sweep_with_vary(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "sweep", "scenario.yaml", "--vary", "authority.review.time.mean=5wd,15wd",
        "--vary", "firms.acme.stockpile.magnet=10d:40d", "-n", "2", "-o", "out", "-j", "1",
        "--sort-by", "firms.acme.min_cover_days", "--top", "2",
    ]  # fmt: skip
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "grid design, 10 points x 2 replications" in out
    assert "lowest firms.acme.min_cover_days" in out
    manifest = json.loads(Path("out/sweep.json").read_text())
    assert manifest["sweep"]["text"].startswith("reesim sweep scenario.yaml --vary")


def test_plain_progress_lines_without_a_terminal(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reesim.cli import sweep as sweep_cli

    monkeypatch.setattr(sweep_cli, "PLAIN_EVERY_S", 0.0)
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--batch-size", "4")
    assert code == 0
    assert "sweep: 6/6 points, 24/24 replications" in err and "/s, ETA 0:00:00" in err


# --- bad input --------------------------------------------------------------------------------
def FACTOR(path: str, *rest: str) -> str:  # noqa: N802 - reads like the path it prints
    """How a problem names a factor of the sweep file (its key is itself a dotted path)."""
    return dotted(("factors", path, *rest))


BAD = {
    "unknown key": (
        ("replications: 4", "replicatons: 4"),
        "sweep.yaml:3:1: replicatons: expected one of name, description, scenario, set, "
        "replications, seed, common_random_numbers, kpis, design, samples, factors, got "
        "unknown key 'replicatons' (did you mean 'replications'?)",
    ),
    "missing scenario": (
        ("scenario: scenario.yaml", "scenario: nowhere.yaml"),
        "sweep.yaml:2:11: scenario: expected a scenario file (relative to sweep.yaml), got "
        "'nowhere.yaml'",
    ),
    "unknown design": (
        ("design: grid", "design: grit"),
        "sweep.yaml:6:9: design: expected one of 'grid', 'zip', 'random', 'lhs', 'sobol', got 'grit'",
    ),
    "range upside down": (
        ("{low: 10d, high: 40d", "{low: 50d, high: 40d"),
        f"sweep.yaml:9:49: {FACTOR('firms.acme.stockpile.magnet', 'high')}: expected low < high, "
        "got low 50d, high 40d",
    ),
    "sobol needs a power of two": (
        ("design: grid", "design: sobol\nsamples: 12"),
        "sweep.yaml:7:10: samples: expected a power of 2 for sobol samples (Saltelli's scheme), "
        "got 12; try 8 or 16",
    ),
    "a value the scenario refuses": (
        ("[5wd, 15wd]", "[5wd, -3wd]"),
        f"sweep.yaml:8:3: {FACTOR('authority.review.time.mean')}: expected a non-negative duration, got '-3wd' (at point 3 and 2 more: "
        "authority.review.time.mean=-3wd, firms.acme.stockpile.magnet=10d)",
    ),
    "a path the scenario lacks": (
        ("firms.acme.stockpile.magnet:", "firms.acme.stockpil.magnet:"),
        f"sweep.yaml:9:3: {FACTOR('firms.acme.stockpil.magnet')}: firms.acme.stockpil: expected one "
        "of name, country, end_use",
    ),
    "a bad path": (
        ("firms.acme.stockpile.magnet:", "firms..magnet:"),
        f"sweep.yaml:9:3: {FACTOR('firms..magnet')}: expected a dotted path like "
        "'authority.review.capacity', got 'firms..magnet'",
    ),
    "bad yaml": (
        ("design: grid", "design: [grid"),
        "sweep.yaml:7:8: expected valid YAML, got ':' where",
    ),
    "absolute scenario path": (
        ("scenario: scenario.yaml", "scenario: /etc/passwd"),
        "sweep.yaml:2:11: scenario: expected a path relative to sweep.yaml, got an absolute path "
        "'/etc/passwd'",
    ),
    "scenario that is not YAML": (
        ("scenario: scenario.yaml", "scenario: ../../../../../../../../etc/passwd"),
        "sweep.yaml:2:11: scenario: expected a scenario file ending in .yaml or .yml, got "
        "'../../../../../../../../etc/passwd'",
    ),
    "scenario that is some other YAML": (
        ("scenario: scenario.yaml", "scenario: secret.yaml"),
        "sweep.yaml:2:11: scenario: expected a scenario file (a mapping with authority, firms, "
        "materials, name, start), got a file with none of them",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_sweep_files_get_file_line_errors_and_exit_2(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (old, new), expected = BAD[case]
    assert old in SWEEP
    Path("sweep.yaml").write_text(SWEEP.replace(old, new))
    Path("secret.yaml").write_text("password: hunter2\ntoken: [abc]\n")
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1")
    assert code == 2
    assert expected in err.replace("\n", " "), err
    assert "hunter2" not in err and "root:" not in err  # nothing of another file is echoed
    assert not Path("out").exists()


def test_a_scenario_path_may_lead_out_of_the_sweep_directory(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("sweeps").mkdir()
    Path("sweeps/up.yaml").write_text(
        SWEEP.replace("scenario: scenario.yaml", "scenario: ../scenario.yaml")
    )
    code, _, err = run(capsys, "sweep", "sweeps/up.yaml", "-o", "out", "-j", "1", "-q")
    assert code == 0, err


def test_usage_errors_exit_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "--vary", "a.b=1,2")
    assert code == 2 and "--vary apply to a scenario; sweep.yaml is a sweep file" in err
    code, _, err = run(capsys, "sweep", "scenario.yaml", "-o", "out")
    assert code == 2 and "expected --vary PATH=VALUES, or an uncertainties block" in err
    code, _, err = run(capsys, "sweep", "scenario.yaml", "-o", "out", "--vary", "nonsense")
    assert code == 2 and "--vary[1]:1:1: expected PATH=a,b,c, PATH=low:high, PATH=low:high:N" in err
    code, _, err = run(capsys, "sweep", "sweep.yaml", "-o", "out", "-j", "1", "--sort-by", "x")
    assert code == 2 and "--sort-by: expected a KPI of this sweep, got 'x'" in err
    Path("k.yaml").write_text(SWEEP.replace("kpis: [firms.acme.*", "kpis: [firms.nobody.*"))
    code, _, err = run(capsys, "sweep", "k.yaml", "-o", "k", "-j", "1")
    assert code == 2 and "expected KPIs that exist, got firms.nobody.*" in err
    with pytest.raises(UsageError, match="expected a directory for -o"):
        Path("file").write_text("")
        sweep(load_sweep("sweep.yaml"), "file")
