"""Charts: each drawn from a tiny result and checked for what it shows (labels, series, event
lines, shading), not for pixels; sweep charts from a sweep summary made in the test. Also the
store's reading of a sweep `reesim sweep` wrote, the terminal sparkline and `reesim plot`."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from reesim.cli.main import main
from reesim.errors import UsageError
from reesim.experiment.runner import run_scenario
from reesim.experiment.store import read_sweep
from reesim.experiment.sweepsummary import STATS, SobolRow, SweepPoint, SweepSummary
from reesim.report import plots
from reesim.report.tables import sparkline
from reesim.results.io import write_result
from reesim.results.result import RunResult
from reesim.scenario.load import load_text
from tests.conftest import MINIMAL

RANDOM = MINIMAL.replace("time: 10wd", "time: {dist: exponential, mean: 10wd}")
"""MINIMAL with random review times, so replications differ. Its firm acme stops in March."""


def tiny(overrides: Sequence[str] = (), seed: int = 1, text: str = RANDOM) -> RunResult:
    return run_scenario(load_text(text, "tiny.yaml", overrides), range(3), seed)


@pytest.fixture(scope="module")
def result() -> RunResult:
    return tiny()


@pytest.fixture(scope="module")
def more_stock() -> RunResult:
    return tiny(["firms.acme.stockpile.magnet=80d"])


@pytest.fixture(scope="module")
def uncontrolled() -> RunResult:
    """The controls never come: acme never stops."""
    return tiny(
        text=RANDOM.replace(
            "{authority.controls.magnet: true}", "{authority.controls.magnet: false}"
        )
    )


def event_lines(ax: object) -> list[str]:
    return [
        str(line.get_gid())[len("event:") :]
        for line in ax.get_lines()  # type: ignore[attr-defined]
        if str(line.get_gid()).startswith("event:")
    ]


def texts(ax: object, gid: str | None = None) -> list[str]:
    return [
        t.get_text().strip()
        for t in ax.texts  # type: ignore[attr-defined]
        if gid is None or t.get_gid() == gid
    ]


def legend_labels(fig: object) -> list[str]:
    legends = list(fig.legends) + [  # type: ignore[attr-defined]
        ax.get_legend()
        for ax in fig.axes  # type: ignore[attr-defined]
        if ax.get_legend() is not None
    ]
    return [t.get_text() for lg in legends for t in lg.get_texts()]


# --- one result --------------------------------------------------------------------------------


def test_time_axis_follows_the_scenario(result: RunResult) -> None:
    assert plots.start_date(result) == date(2025, 1, 6)
    assert plots.end_date(result) == date(2025, 4, 6)  # 90 days
    bounds = plots.month_bounds(result)
    assert bounds[0] == (date(2025, 1, 6), date(2025, 2, 1))
    assert bounds[-1] == (date(2025, 4, 1), date(2025, 4, 6))
    assert len(plots.month_ends(result)) == len(result.months) == 4


def test_cover_chart(result: RunResult) -> None:
    fig = plots.cover_chart(result, "acme")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "stock cover (days of production)"
    assert ax.get_xlabel() == "day's end"
    assert "acme" in ax.get_title(loc="left")
    median = [line for line in ax.get_lines() if line.get_label() == "median"]
    assert len(median) == 1
    daily = result.series["firms.acme.cover_days_daily"]
    assert len(daily.p50) == 90  # MINIMAL runs 90 days: one point per day
    assert list(median[0].get_ydata()) == list(daily.p50)
    assert len(ax.collections) == 1  # the p5–p95 band
    assert event_lines(ax) == ["controls on"]
    assert texts(ax, "event-label") == ["controls on"]
    assert set(legend_labels(fig)) >= {"median", "p5–p95"}


@pytest.mark.parametrize("which", ["result", "uncontrolled"])
def test_daily_cover_agrees_with_month_ends(which: str, request: pytest.FixtureRequest) -> None:
    run: RunResult = request.getfixturevalue(which)
    daily = np.array(run.series["firms.acme.cover_days_daily"].mean)
    monthly = np.array(run.series["firms.acme.cover_days"].mean)
    ends = [(hi - plots.start_date(run)).days for _, hi in plots.month_bounds(run)]
    assert daily[[d - 1 for d in ends]] == pytest.approx(monthly)  # the same stock at month ends


def test_daily_cover_shows_the_lows_month_ends_miss(uncontrolled: RunResult) -> None:
    # Ordering weekly up to a level, cover saws between deliveries inside every month.
    daily = np.array(uncontrolled.series["firms.acme.cover_days_daily"].mean)
    monthly = np.array(uncontrolled.series["firms.acme.cover_days"].mean)
    assert daily.min() < monthly.min()


def test_an_old_result_without_daily_cover_draws_month_ends(result: RunResult) -> None:
    series = {k: v for k, v in result.series.items() if not k.endswith("_daily")}
    old = RunResult(
        result.provenance, result.months, result.kpis, series, result.events_per_replication,
        result.timeline, result.inputs,
    )  # fmt: skip
    ax = plots.cover_chart(old, "acme").axes[0]
    assert ax.get_xlabel() == "month end"
    (median,) = [line for line in ax.get_lines() if line.get_label() == "median"]
    assert list(median.get_ydata()) == list(result.series["firms.acme.cover_days"].p50)


def test_stockouts_are_shaded_by_share_of_month_stopped(
    result: RunResult, uncontrolled: RunResult
) -> None:
    shares = plots.stop_shares(result, "acme")
    assert shares.shape == (4,)
    assert shares[2] > 0 and shares[0] == 0  # stops in March only
    lost = result.kpis["firms.acme.production_lost_units"].summary.mean
    days = np.array([(hi - lo).days for lo, hi in plots.month_bounds(result)])
    assert float(np.sum(shares * days)) * 100 == pytest.approx(lost)  # 100 units a day
    spans = [
        p for p in plots.cover_chart(result, "acme").axes[0].patches if p.get_gid() == "stopped"
    ]
    assert len(spans) == int(np.sum(shares >= 0.005))
    assert not np.any(plots.stop_shares(uncontrolled, "acme"))
    calm = plots.cover_chart(uncontrolled, "acme").axes[0]
    assert not [p for p in calm.patches if p.get_gid() == "stopped"]


def test_exports_chart(result: RunResult) -> None:
    fig = plots.exports_chart(result)
    (ax,) = fig.axes  # one material
    assert ax.get_ylabel() == "magnet (t/month)"
    us = [line for line in ax.get_lines() if line.get_label() == "us"]
    assert len(us) == 1 and len(us[0].get_xdata()) == 4
    assert list(us[0].get_ydata()) == pytest.approx(result.series["exports.us.magnet"].mean)
    assert event_lines(ax) == ["controls on"]
    assert texts(ax, "event-label") == ["controls on"]
    assert "us" in legend_labels(fig)
    assert "smuggled" not in legend_labels(fig)  # nothing smuggled in this scenario


def test_exports_chart_shows_smuggled_and_seized(result: RunResult) -> None:
    series = dict(result.series)
    for name, values in (
        ("smuggled.magnet", (0.0, 1.0, 2.0, 0.0)),
        ("seized.magnet", (0, 0, 1.0, 0)),
    ):
        series[name] = plots.Series(name, "t", values, values, values, values)
    edited = RunResult(
        result.provenance, result.months, result.kpis, series, result.events_per_replication,
        result.timeline, result.inputs,
    )  # fmt: skip
    labels = legend_labels(plots.exports_chart(edited))
    assert {"us", "smuggled", "seized"} <= set(labels)


def test_pipeline_chart(result: RunResult) -> None:
    fig = plots.pipeline_chart(result)
    ax, hist, pending = fig.axes  # the pipeline, the wait histogram, the pending twin axis
    labels = [line.get_label() for line in ax.get_lines() if not line.get_gid()]
    assert labels == ["pending (right axis)", "filed", "approved", "denied", "returned"]
    assert ax.get_ylabel() == "modelled firms' applications per month"
    assert pending.get_ylabel() == "pending at month end (all applicants)"
    assert len(pending.get_lines()) == 1
    assert event_lines(ax) == ["controls on"]
    # MINIMAL sets no statutory limit: nothing is marked.
    assert not [line for line in hist.get_lines() if str(line.get_gid()).startswith("mark:")]
    assert hist.get_title(loc="left") == "Licence waits (no statutory limit)"
    assert hist.get_xlabel().startswith("filing to approval")
    waits = result.kpis["firms.acme.licence_wait_days"].values
    assert sum(p.get_height() for p in hist.patches) == sum(not math.isnan(w) for w in waits)


@pytest.mark.parametrize(("limit", "days"), [("20wd", 28.0), ("45wd", 63.0), ("30d", 30.0)])
def test_wait_histogram_marks_the_scenarios_own_limit(limit: str, days: float) -> None:
    text = RANDOM.replace("    time: {dist", f"    statutory_limit: {limit}\n    time: {{dist")
    _, hist, _ = plots.pipeline_chart(tiny(text=text)).axes
    marks = [line for line in hist.get_lines() if str(line.get_gid()).startswith("mark:")]
    assert [m.get_gid() for m in marks] == [f"mark:{limit}"]
    assert marks[0].get_xdata()[0] == pytest.approx(days)  # working days at 1.4 calendar days
    assert any(s.startswith(f"statutory limit {limit}") for s in texts(hist))
    assert f"beyond {limit}" in hist.get_title(loc="left")


def test_lost_production_chart(result: RunResult) -> None:
    fig = plots.lost_production_chart(result)
    units, pct = fig.axes
    assert units.get_xlabel() == "production lost (units)"
    assert pct.get_xlabel() == "production lost (% of the period)"
    for ax, name in ((units, "production_lost_units"), (pct, "production_lost_pct")):
        (bar,) = ax.patches
        assert bar.get_width() == pytest.approx(result.kpis[f"firms.acme.{name}"].summary.mean)
    assert [t.get_text() for t in units.get_yticklabels()] == ["acme"]


def test_result_charts_has_every_chart(result: RunResult) -> None:
    slugs = [c.slug for c in plots.result_charts(result)]
    assert slugs == ["cover-acme", "exports", "pipeline", "lost-production"]


# --- comparisons -------------------------------------------------------------------------------


def test_forest_chart_pairs_same_seed_and_not_other_seeds(
    result: RunResult, more_stock: RunResult
) -> None:
    fig = plots.forest_chart([("base", result), ("stock", more_stock)])
    assert [ax.get_xlabel() for ax in fig.axes] == [
        "Δ stockout days (d)",
        "Δ production lost pct (%)",
        "Δ licence wait days (d)",
    ]
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_yticklabels()] == ["acme"]
        assert [line.get_gid() for line in ax.get_lines()].count("zero") == 1
    assert "stock (paired)" in legend_labels(fig)
    stopped = fig.axes[0].containers[0]  # the errorbar of Δ stockout_days
    delta = more_stock.kpis["firms.acme.stockout_days"].summary.mean - (
        result.kpis["firms.acme.stockout_days"].summary.mean
    )
    assert stopped.lines[0].get_xdata()[0] == pytest.approx(delta)
    other_seed = tiny(["firms.acme.stockpile.magnet=80d"], seed=2)
    welch = plots.forest_chart([("base", result), ("stock", other_seed)])
    assert "stock (welch)" in legend_labels(welch)


def test_comparison_charts_overlay_each_result(result: RunResult, more_stock: RunResult) -> None:
    runs = [("base", result), ("stock", more_stock)]
    charts = {c.slug: c.figure for c in plots.comparison_charts(runs)}
    assert list(charts) == [
        "forest",
        "compare-cover-acme",
        "compare-exports",
        "compare-pipeline",
        "compare-lost-production",
    ]
    cover = charts["compare-cover-acme"].axes[0]
    assert [line.get_label() for line in cover.get_lines() if not line.get_gid()] == [
        "base",
        "stock",
    ]
    assert len(cover.collections) == 2 and event_lines(cover) == ["controls on"]
    assert {"base exports", "stock exports"} <= set(legend_labels(charts["compare-exports"]))
    pipeline, hist, pending = charts["compare-pipeline"].axes
    assert len(pending.get_lines()) == 2
    assert [line.get_gid() for line in hist.get_lines()] == []  # no limit in either scenario
    lost = charts["compare-lost-production"].axes[0]
    assert len(lost.patches) == 2 and legend_labels(charts["compare-lost-production"]) == [
        "base",
        "stock",
    ]


# --- sweeps ------------------------------------------------------------------------------------

KPIS = ("firms.acme.stockout_days", "firms.acme.production_lost_pct")


def make_sweep(sobol: bool = True, capacities: Sequence[int] = (1, 2, 4)) -> SweepSummary:
    """A finished sweep as the store reads it: a 3 x 3 grid of a number and a duration."""
    factors = [
        {"name": "capacity", "path": "authority.review.capacity", "values": [1, 2, 4]},
        {"name": "stock", "path": "firms.acme.stockpile.magnet", "values": ["10d", "30d", "60d"]},
    ]
    manifest = {
        "format": 1,
        "name": "tiny-grid",
        "reesim_version": "0",
        "root_seed": 1,
        "replications": 3,
        "design": {"kind": "grid", "factors": factors},
    }
    points = []
    for i, (cap, stock) in enumerate((c, s) for c in (1, 2, 4) for s in (10, 30, 60)):
        stats = {}
        for k in KPIS:
            mean = 100.0 / cap - stock if k.endswith("days") else 50.0 / cap
            values = (mean, 1, mean - 1, mean + 1, mean - 2, mean, mean + 2, 3)
            stats[k] = dict(zip(STATS, map(float, values), strict=True))
        capacity = capacities[i] if len(capacities) > 3 else cap
        written = {"capacity": str(capacity), "stock": f"{stock}d"}
        points.append(SweepPoint(i, written, {"capacity": capacity, "stock": f"{stock}d"}, stats))
    sensitivity = (
        SobolRow(KPIS[0], "capacity", "authority.review.capacity", 0.7, 0.05, 0.75, 0.04, 1),
        SobolRow(KPIS[0], "stock", "firms.acme.stockpile.magnet", 0.2, 0.05, 0.25, 0.04, 2),
    )
    return SweepSummary(
        "s",
        manifest,
        ("capacity", "stock"),
        ("authority.review.capacity", "firms.acme.stockpile.magnet"),
        KPIS,
        tuple(points),
        sensitivity if sobol else (),
    )


def real_sweep(root: Path) -> Path:
    """A Sobol sweep directory written by `reesim sweep` (16 points of 2 replications)."""
    scenario = root.with_suffix(".yaml")
    scenario.write_text(RANDOM)
    argv = ["sweep", str(scenario), "-o", str(root), "-n", "2", "-q", "--design", "sobol"]
    argv += ["--samples", "4", "--vary", "authority.review.capacity=1:4"]
    argv += ["--vary", "firms.acme.stockpile.magnet=10d:60d"]
    assert main(argv) == 0
    return root


def test_the_store_reads_what_the_sweep_wrote(tmp_path: Path) -> None:
    sweep = read_sweep(real_sweep(tmp_path / "s"))
    assert sweep.factors == ("authority.review.capacity", "firms.acme.stockpile.magnet")
    assert sweep.paths == sweep.factors and sweep.name == "minimal"
    assert len(sweep.points) == 16 and [p.index for p in sweep.points] == list(range(16))
    assert "firms.acme.stockout_days" in sweep.kpis
    point = sweep.points[0]
    assert point.factors["firms.acme.stockpile.magnet"].endswith("d")
    assert point.stats["firms.acme.stockout_days"]["n"] == 2
    # Written as points.csv writes them: the same text, cell by cell.
    with (tmp_path / "s" / "points.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for p, row in zip(sweep.points, rows, strict=True):
        assert p.factors == {name: row[name] for name in sweep.factors}
        assert (
            f"{p.stats['firms.acme.stockout_days']['mean']:.6g}"
            == (row["firms.acme.stockout_days.mean"])
        )
    assert {s.factor for s in sweep.sensitivity} <= set(sweep.factors)


def test_reading_a_sweep_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="points.parquet"):
        read_sweep(tmp_path)


def test_ranked_points_at_both_ends() -> None:
    sweep = make_sweep()
    best, worst = sweep.ranked(KPIS[0], 3)
    assert [p.index for p in best] == [0, 1, 2]  # 90, 70, 40 (point 3 ties at 40: later)
    assert [p.index for p in worst] == [8, 5, 7]  # -35, -10, -5
    assert sweep.ranked(KPIS[0], 9)[1] == []  # every point is among the highest
    with pytest.raises(UsageError, match="expected a KPI of this sweep"):
        sweep.ranked("nothing", 2)


def test_factor_axis_reads_units_and_categories() -> None:
    x, unit, cats = plots.factor_axis(["30wd", "45wd", "60wd"])
    assert list(x) == [30, 45, 60] and unit == "wd" and cats is None
    x, unit, cats = plots.factor_axis(["order_up_to", "reorder_point", "order_up_to"])
    assert list(x) == [0, 1, 0] and cats == ["order_up_to", "reorder_point"]


def test_sweep_factor_chart(tmp_path: Path) -> None:
    sweep = make_sweep()
    fig = plots.sweep_factor_chart(sweep, KPIS[0])
    cap, stock = fig.axes
    assert cap.get_xlabel() == "capacity" and stock.get_xlabel() == "stock (d)"
    assert cap.get_ylabel() == "acme: stockout days (d)\nmean and 95% CI"
    assert fig.get_suptitle() == "acme: stockout days against each factor"
    # Each panel colours its points by the other factor: one colour per level of it.
    assert legend_labels(fig) == [
        "stock = 10d", "stock = 30d", "stock = 60d", "capacity = 1", "capacity = 2", "capacity = 4",
    ]  # fmt: skip
    for ax in (cap, stock):
        groups = ax.containers
        assert len(groups) == 3 and sum(len(g.lines[0].get_xdata()) for g in groups) == 9
        assert len({g.lines[0].get_color() for g in groups}) == 3
    stock_x = {x for g in stock.containers for x in g.lines[0].get_xdata()}
    assert sorted(stock_x) == [10, 30, 60]
    # The stock panel's first colour is capacity 1: its points, at 10d, 30d and 60d.
    capacity_one = stock.containers[0].lines[0]
    assert list(capacity_one.get_xdata()) == [10, 30, 60]
    assert list(capacity_one.get_ydata()) == pytest.approx([90, 70, 40])


def test_many_levels_colour_by_a_colour_bar(tmp_path: Path) -> None:
    sweep = make_sweep(sobol=False, capacities=range(1, 10))  # capacity 1..9: nine levels
    fig = plots.sweep_factor_chart(sweep, KPIS[0])
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "capacity" in labels  # the colour bar of the stock panel names the other factor


def test_sweep_heatmap(tmp_path: Path) -> None:
    sweep = make_sweep()
    fig = plots.sweep_heatmap(sweep, KPIS[0], "capacity", "stock")
    ax = fig.axes[0]
    (image,) = ax.get_images()
    grid = image.get_array()
    assert grid.shape == (3, 3)
    assert grid[0, 0] == pytest.approx(90) and grid[2, 2] == pytest.approx(25 - 60)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["10d", "30d", "60d"]
    assert ax.get_xlabel() == "capacity" and ax.get_ylabel() == "stock (d)"
    assert len(texts(ax)) == 9
    (bar,) = [a for a in fig.axes if a is not ax]
    assert bar.get_ylabel() == "acme: stockout days (d), mean"


def test_sobol_chart(tmp_path: Path) -> None:
    sweep = make_sweep()
    ax = plots.sobol_chart(sweep, KPIS[0]).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["capacity", "stock"]
    assert sorted(p.get_width() for p in ax.patches) == pytest.approx([0.2, 0.25, 0.7, 0.75])
    assert set(legend_labels(ax.figure)) == {"first order (S1)", "total (ST)"}


def test_sweep_charts_choose_kpis_and_pairs(tmp_path: Path) -> None:
    sweep = make_sweep()
    assert [c.slug for c in plots.sweep_charts(sweep)] == [
        f"sweep-{KPIS[0]}",
        f"heatmap-{KPIS[0]}",
        f"sobol-{KPIS[0]}",
    ]  # the KPIs with Sobol indices
    plain = make_sweep(sobol=False)
    assert len(plots.sweep_charts(plain)) == 4  # each KPI: against factors, heat map
    assert [c.slug for c in plots.sweep_charts(plain, ["*pct"])] == [
        f"sweep-{KPIS[1]}",
        f"heatmap-{KPIS[1]}",
    ]


# --- files, terminal, command line -------------------------------------------------------------


def test_save_png_and_svg(result: RunResult, tmp_path: Path) -> None:
    chart = plots.result_charts(result)[0]
    png = plots.save(chart, tmp_path, "png")
    assert png.name == "cover-acme.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = plots.to_svg(chart.figure)
    assert "<svg" in svg and "controls on" in svg and "stock cover (days of production)" in svg


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5.0, float("nan"), 0.0]) == "█ ▁"
    assert sparkline([0, 0]) == "▁▁"
    assert len(sparkline(list(range(100)), width=18)) == 18


def test_run_table_shows_cover_sparkline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(RANDOM)
    assert main(["run", "t.yaml", "-n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 100
    i = next(i for i, line in enumerate(lines) if line.strip() == "firms.acme")
    spark = lines[i + 1]
    assert spark.strip().startswith("median cover ▁=0 █=")
    assert any(c in spark for c in "▁▂▃▄▅▆▇█")


def test_plot_command(
    result: RunResult,
    more_stock: RunResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_result(result, "a.json")
    write_result(more_stock, "b.json")
    assert main(["plot", "a.json", "-o", "figs"]) == 0
    written = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in written) == sorted(
        f"{c.slug}.png" for c in plots.result_charts(result)
    )
    assert all(Path(p).stat().st_size > 1000 for p in written)
    assert main(["plot", "a.json", "b.json", "-o", "cmp", "--svg", "-q"]) == 0
    assert (tmp_path / "cmp" / "forest.svg").is_file()
    sweep = read_sweep(real_sweep(tmp_path / "sweep"))
    assert main(["plot", "sweep", "-o", "sw"]) == 0
    sobol = [c.slug for c in plots.sweep_charts(sweep) if c.slug.startswith("sobol-")]
    assert sobol and all((tmp_path / "sw" / f"{slug}.png").is_file() for slug in sobol)


def test_plot_command_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "missing.json", "-o", "figs"]) == 2
    assert "missing.json: expected a result JSON file (reesim run -o), got no such file" in (
        capsys.readouterr().err
    )
    Path("bad.json").write_text("{")
    assert main(["plot", "bad.json", "-o", "figs"]) == 2
    assert capsys.readouterr().err.startswith("bad.json:1:2: expected JSON")
    Path("other.json").write_text("{}")
    assert main(["plot", "other.json", "-o", "figs"]) == 2
    assert "other.json: expected result schema_version" in capsys.readouterr().err
    Path("d").mkdir()
    assert main(["plot", "d", "other.json", "-o", "figs"]) == 2
    assert "expected result files or one sweep directory" in capsys.readouterr().err
    assert main(["plot", "d", "-o", "figs"]) == 2
    assert "expected a sweep directory with sweep.json and points.parquet" in (
        capsys.readouterr().err
    )


# --- what every chart must get right ------------------------------------------------------------


def all_charts(result: RunResult, uncontrolled: RunResult, tmp_path: Path) -> list[plots.Chart]:
    sweep = make_sweep()
    return [
        *plots.result_charts(result),
        *plots.result_charts(uncontrolled),
        *plots.comparison_charts([("base", result), ("no controls", uncontrolled)]),
        *plots.sweep_charts(sweep),
    ]


def test_no_axis_repeats_a_tick_label(
    result: RunResult, uncontrolled: RunResult, tmp_path: Path
) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import ConciseDateFormatter

    # e.g. nothing lost in any run: '0 0 0 0 0' on a units axis says nothing.
    for chart in all_charts(result, uncontrolled, tmp_path):
        FigureCanvasAgg(chart.figure).draw()
        for ax in chart.figure.axes:
            for axis in (ax.xaxis, ax.yaxis):
                if isinstance(axis.get_major_formatter(), ConciseDateFormatter):
                    continue  # dates repeat days of the month under each month, by design
                shown = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
                assert len(shown) == len(set(shown)), f"{chart.slug}: repeated ticks {shown}"


def test_titles_stay_inside_the_figure(
    result: RunResult, uncontrolled: RunResult, tmp_path: Path
) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    long = "Amalgamated Rare Earth Magnet Consumers of the Northern Hemisphere, Incorporated"
    named = RunResult(
        result.provenance, result.months, result.kpis, result.series,
        result.events_per_replication, result.timeline,
        {**result.inputs, "firms": {"acme": {"name": long}}},
    )  # fmt: skip
    charts = [*all_charts(named, uncontrolled, tmp_path)]
    cover = charts[0].figure
    assert "\n" in cover.axes[0].get_title(loc="left")  # wrapped, not cut
    for chart in charts:
        canvas = FigureCanvasAgg(chart.figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        box = chart.figure.bbox
        titles = [ax.title for ax in chart.figure.axes] + [
            ax._left_title for ax in chart.figure.axes
        ]
        if chart.figure._suptitle is not None:
            titles.append(chart.figure._suptitle)
        for text in titles:
            if text.get_text():
                extent = text.get_window_extent(renderer)
                assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, (
                    f"{chart.slug}: {text.get_text()!r} runs off the figure"
                )


def test_axes_name_things_not_dotted_paths(
    result: RunResult, uncontrolled: RunResult, tmp_path: Path
) -> None:
    for chart in all_charts(result, uncontrolled, tmp_path):
        for ax in chart.figure.axes:
            for label in (ax.get_xlabel(), ax.get_ylabel()):
                assert "firms." not in label and "authority." not in label, (chart.slug, label)


def test_exports_colours_are_one_per_destination_across_panels(result: RunResult) -> None:
    # Two materials with different destinations: a colour must not mean two destinations.
    series = dict(result.series)
    zeros = (0.0,) * len(result.months)
    ones = (1.0,) * len(result.months)
    for dest in ("japan", "germany", "korea", "us", "india", "vietnam", "eu", "uk", "row", "tw"):
        material = "magnet" if dest in ("japan", "korea") else "oxide"
        name = f"exports.{dest}.{material}"
        series[name] = plots.Series(name, "t", ones, zeros, ones, ones)
    series["exports.total.oxide"] = plots.Series(
        "exports.total.oxide", "t", ones, zeros, ones, ones
    )
    edited = RunResult(
        result.provenance, result.months, result.kpis, series, result.events_per_replication,
        result.timeline, result.inputs,
    )  # fmt: skip
    fig = plots.exports_chart(edited)
    colour_of: dict[str, str] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            label = line.get_label()
            if label.startswith("_") or str(line.get_gid()).startswith("event"):
                continue
            assert colour_of.setdefault(label, line.get_color()) == line.get_color()
    destinations = {k: v for k, v in colour_of.items() if k not in ("smuggled", "seized")}
    assert len(destinations) == 10  # more than COLORS holds
    assert len(set(destinations.values())) == len(destinations)
