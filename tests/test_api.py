"""The Python API (`import reesim`): the same numbers as the command line, tidy DataFrames with
numeric values and units, overrides as --set, and reesim's own errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import reesim
from reesim.cli.main import main
from reesim.results.io import read_result

ROOT = Path(__file__).resolve().parent.parent
QUEUE = ROOT / "scenarios/examples/licence-queue.yaml"


@pytest.fixture(scope="module")
def result() -> reesim.Result:
    return reesim.run(QUEUE, replications=6, seed=3)


def test_import_reesim_is_light() -> None:
    code = (
        "import sys, reesim; "
        "heavy = [m for m in ('pandas', 'simpy', 'scipy', 'reesim.api') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_gives_the_numbers_of_the_command_line(
    result: reesim.Result, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.json"
    argv = ["run", str(QUEUE), "-n", "6", "--seed", "3", "--keep-replications", "-q"]
    assert main([*argv, "-o", str(out)]) == 0
    cli = read_result(out)
    for name, kpi in cli.kpis.items():
        assert result.values(name) == pytest.approx(kpi.values, nan_ok=True)


def test_kpi_frame_is_long_numeric_and_has_units(result: reesim.Result) -> None:
    frame = result.kpi_frame()
    assert list(frame.columns) == [
        "scenario",
        "kpi",
        "group",
        "measure",
        "unit",
        "statistic",
        "value",
    ]
    assert len(frame) == 8 * len(result.kpis)
    assert pd.api.types.is_float_dtype(frame["value"])
    row = frame[(frame.kpi == "firms.importer.licence_wait_days") & (frame.statistic == "mean")]
    assert row.unit.item() == "d"
    assert row.value.item() == pytest.approx(result.kpi("firms.importer.licence_wait_days").mean)
    assert set(frame.group) >= {"firms.importer", "authority"}


def test_replication_frame_has_one_row_per_kpi_and_replication(result: reesim.Result) -> None:
    frame = result.replication_frame()
    assert len(frame) == 6 * len(result.kpis)
    assert sorted(frame.replication.unique()) == list(range(6))
    waits = frame[frame.kpi == "firms.importer.licence_wait_days"].sort_values("replication")
    assert waits.value.tolist() == pytest.approx(
        list(result.values("firms.importer.licence_wait_days"))
    )


def test_series_frame_has_one_row_per_series_month_and_statistic(result: reesim.Result) -> None:
    frame = result.series_frame()
    monthly = [s for s in result.series if not s.endswith("_daily")]
    assert len(frame) == 4 * len(monthly) * len(result.months)
    cover = frame[(frame.series == "firms.importer.cover_days") & (frame.statistic == "p50")]
    assert cover.month.tolist() == list(result.months)
    assert cover.value.tolist() == pytest.approx(
        list(result.monthly("firms.importer.cover_days").p50)
    )
    assert (cover.unit == "d").all()


def test_overrides_as_mapping_or_text_are_set(result: reesim.Result) -> None:
    by_map = reesim.run(QUEUE, replications=3, seed=3, overrides={"authority.review.capacity": 1})
    by_text = reesim.run(QUEUE, replications=3, seed=3, overrides=["authority.review.capacity=1"])
    assert by_map.raw.provenance.overrides == ("authority.review.capacity=1",)
    wait = "authority.queue_wait_days"
    assert by_map.values(wait) == by_text.values(wait)
    assert by_map.kpi(wait).mean > result.kpi(wait).mean  # one reviewer instead of three
    with pytest.raises(TypeError, match="mapping or a list"):
        reesim.run(QUEUE, replications=1, overrides="authority.review.capacity=1")  # type: ignore[arg-type]


def test_bad_input_raises_reesims_errors(tmp_path: Path) -> None:
    with pytest.raises(reesim.ScenarioError) as err:
        reesim.run(QUEUE, replications=1, overrides={"authority.review.capacty": 2})
    assert "capacty" in str(err.value.problems[0])
    with pytest.raises(reesim.UsageError, match="replications >= 1"):
        reesim.run(QUEUE, replications=0)
    result = reesim.run(QUEUE, replications=1)
    with pytest.raises(KeyError, match="did you mean firms.importer.licence_wait_days"):
        result.kpi("firms.importer.licence_wait")


def test_compare_pairs_runs_of_one_seed(result: reesim.Result, tmp_path: Path) -> None:
    fewer = reesim.run(QUEUE, replications=6, seed=3, overrides={"authority.review.capacity": 1})
    saved = result.save(tmp_path / "base.json")
    compared = reesim.compare(saved, fewer)
    frame = compared.frame()
    row = frame[frame.kpi == "authority.queue_wait_days"].iloc[0]
    assert row.pairing == "paired"
    assert row.candidate == "licence-queue (authority.review.capacity=1)"
    expected = (
        fewer.kpi("authority.queue_wait_days").mean - result.kpi("authority.queue_wait_days").mean
    )
    assert row.delta == pytest.approx(expected)
    assert row.delta_ci_low <= row.delta <= row.delta_ci_high


def test_sweep_points_in_long_form(tmp_path: Path) -> None:
    sweep = reesim.sweep(
        QUEUE, tmp_path / "s", vary=["authority.review.capacity=1,3"], replications=3, seed=3
    )
    frame = sweep.point_frame()
    means = frame[(frame.kpi == "authority.queue_wait_days") & (frame.statistic == "mean")]
    assert means["authority.review.capacity"].tolist() == [1, 3]
    assert means["authority.review.capacity.value"].tolist() == [1.0, 3.0]
    assert (means["unit"] == "d").all() and (means["sweep"] == "licence-queue").all()
    one, three = means.value.tolist()
    assert one > three
    assert (tmp_path / "s" / "points.parquet").is_file()


def test_frames_without_pandas_say_how_to_get_it(
    result: reesim.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"reesim\[pandas\]"):
        result.kpi_frame()
    rows = result.kpi_rows()  # plain rows need no pandas
    assert all(isinstance(r["value"], float) for r in rows)
    first_stop = [r for r in rows if r["kpi"] == "firms.importer.first_stop_day"]
    assert first_stop and all(r["unit"] == "d" for r in first_stop)
    # Never stopped: the mean is undefined, a NaN number rather than text.
    assert math.isnan(next(r["value"] for r in first_stop if r["statistic"] == "mean"))


def test_daily_frame_has_each_days_cover(result: reesim.Result) -> None:
    frame = result.daily_frame()
    cover = frame[(frame.series == "firms.importer.cover_days_daily") & (frame.statistic == "p50")]
    assert cover.day.tolist() == list(range(1, 121))  # licence-queue runs 120 days
    assert cover.date.iloc[0] == "2025-01-06" and cover.date.iloc[-1] == "2025-05-05"
    assert (cover.unit == "d").all()
    assert cover.value.tolist() == pytest.approx(
        list(result.monthly("firms.importer.cover_days_daily").p50)
    )
    assert "firms.importer.cover_days_daily" not in set(result.series_frame().series)
