"""How `results.metrics.measure` arranges its work: what it reads off shared per-scenario data
(months, daily cover) gives the numbers a direct computation from the records gives, and the
per-scenario cache never serves one scenario's layout to another."""

from __future__ import annotations

import gc
import math
import pickle

import numpy as np
import pytest

from reesim.engine.run import simulate
from reesim.results.layout import LAYOUTS_KEPT, layout_of
from reesim.results.metrics import measure
from reesim.scenario.load import load_scenario

LICENCE_QUEUE = "scenarios/examples/licence-queue.yaml"
CONTROLS = "scenarios/controls-2025.yaml"


def cover_at(times: np.ndarray, cover: np.ndarray, x: float) -> float:
    """Cover at time x straight from the recorded points: linear between the last point at or
    before x and the next one (a delivery records two points at one instant)."""
    i = int(np.searchsorted(times, x, side="right")) - 1
    if i + 1 >= len(times):
        return float(cover[i])
    t0, t1, c0, c1 = times[i], times[i + 1], cover[i], cover[i + 1]
    return float(c0 + (x - t0) / (t1 - t0) * (c1 - c0))


@pytest.mark.parametrize("horizon", ["120d", "100.5d"])
def test_cover_at_month_ends_and_day_ends_follow_the_stock_path(horizon: str) -> None:
    # 100.5 days: the last month ends within a day, so month-end cover cannot be read off the
    # day-end series and is interpolated on its own.
    resolved = load_scenario(LICENCE_QUEUE, [f"horizon={horizon}"])
    records = simulate(resolved, 3, 1)
    metrics = measure(records, resolved.scenario)
    (trace,) = records.firms
    cover = trace.stocks_kg[:, 0] / trace.rate_kg_per_day[0]
    months = layout_of(resolved.scenario, records.horizon_days).months
    at_month_ends = metrics.series["firms.importer.cover_days"]
    daily = metrics.series["firms.importer.cover_days_daily"]
    assert len(at_month_ends) == len(months.labels)
    assert len(daily) == math.ceil(records.horizon_days)
    for x, value in zip(months.ends, at_month_ends, strict=True):
        assert value == pytest.approx(cover_at(trace.times, cover, x), rel=1e-12)
    for day, value in enumerate(daily, start=1):
        assert value == pytest.approx(cover_at(trace.times, cover, day), rel=1e-12)
    assert metrics.kpis["firms.importer.min_cover_days"] == cover.min()


def test_cover_of_a_firm_using_two_materials_is_the_scarcer_ones() -> None:
    resolved = load_scenario(CONTROLS)
    records = simulate(resolved, 1, 0)
    metrics = measure(records, resolved.scenario)
    trace = next(t for t in records.firms if t.firm == "japan_automaker")
    assert len(trace.materials) == 2 and (trace.rate_kg_per_day > 0).all()
    per_material = [trace.stocks_kg[:, j] / trace.rate_kg_per_day[j] for j in range(2)]
    scarcer = np.where(per_material[0] < per_material[1], per_material[0], per_material[1])
    assert metrics.kpis["firms.japan_automaker.min_cover_days"] == scarcer.min()
    daily = metrics.series["firms.japan_automaker.cover_days_daily"]
    for day in (1, 100, 200, 365):
        assert daily[day - 1] == pytest.approx(cover_at(trace.times, scarcer, day), rel=1e-12)


def test_a_firm_using_nothing_has_undefined_cover_everywhere() -> None:
    resolved = load_scenario(LICENCE_QUEUE, ["firms.importer.production.units_per_day=0"])
    metrics = measure(simulate(resolved, 1, 0), resolved.scenario)
    assert math.isnan(metrics.kpis["firms.importer.min_cover_days"])
    assert np.isnan(metrics.series["firms.importer.cover_days"]).all()
    assert np.isnan(metrics.series["firms.importer.cover_days_daily"]).all()


def test_kpi_sums_follow_the_records_order() -> None:
    # Sums are taken in record order whatever the grouping, so a KPI is the same to the bit as
    # summing the records one by one.
    resolved = load_scenario(CONTROLS)
    records = simulate(resolved, 1, 2)
    metrics = measure(records, resolved.scenario)
    exports = [
        s.kg for s in records.shipments if s.route == "exports" and s.material == "dysprosium"
    ]
    assert exports and metrics.kpis["materials.dysprosium.exports_kg"] == sum(exports)
    gray = [
        s.kg
        for s in records.shipments
        if s.firm == "tesla" and s.route == "gray" and not s.seized
        if s.arrival_day < records.horizon_days
    ]
    assert gray and metrics.kpis["firms.tesla.gray_market_kg"] == sum(gray)


def test_each_scenario_gets_its_own_layout_and_the_cache_stays_small() -> None:
    one = load_scenario(LICENCE_QUEUE)
    assert layout_of(one.scenario, 120.0) is layout_of(one.scenario, 120.0)
    assert layout_of(one.scenario, 60.0).months.ends[-1] == 60.0
    # Another scenario object (here with a firm in another country) has its own layout, even
    # at the address of one that is gone.
    other = load_scenario(LICENCE_QUEUE, ["firms.importer.country=japan"])
    assert layout_of(other.scenario, 120.0).approval_scopes[-1] != "us"
    metrics = measure(simulate(other, 1, 0), other.scenario)
    assert "exports.japan.ndfeb_magnet" in metrics.series
    assert "exports.us.ndfeb_magnet" not in metrics.series
    kept = len(layout_of)
    del other, metrics
    gc.collect()
    assert len(layout_of) < kept  # forgotten with its scenario
    many = [load_scenario(LICENCE_QUEUE, [f"authority.review.capacity={c}"]) for c in range(1, 4)]
    for c in range(LAYOUTS_KEPT + 5):
        layout_of(many[c % 3].scenario, float(c + 1))
    assert len(layout_of) <= LAYOUTS_KEPT


@pytest.mark.parametrize("path", [LICENCE_QUEUE, CONTROLS, "scenarios/examples/smuggling.yaml"])
def test_kpis_without_series_are_the_same_kpis(path: str) -> None:
    # A sweep measures KPIs only: the same values, to the bit, in the same order, and no series.
    resolved = load_scenario(path)
    records = simulate(resolved, 5, 2)
    full = measure(records, resolved.scenario)
    lean = measure(records, resolved.scenario, series=False)
    assert lean.series == {}
    assert list(lean.kpis) == list(full.kpis)
    for name, value in full.kpis.items():
        assert value == lean.kpis[name] or (math.isnan(value) and math.isnan(lean.kpis[name]))


def test_a_batch_without_series_measures_the_same_kpis() -> None:
    from reesim.experiment.batches import Batch, run_batch

    resolved = load_scenario(LICENCE_QUEUE)
    full = run_batch(Batch(resolved, 3, (0, 1))).metrics
    lean = run_batch(Batch(resolved, 3, (0, 1), series=False)).metrics
    assert [m.series for m in lean] == [{}, {}]
    assert [m.kpis for m in lean] == [m.kpis for m in full]


@pytest.mark.parametrize(
    ("path", "overrides"),
    [
        (LICENCE_QUEUE, []),
        (LICENCE_QUEUE, ["horizon=100.5d"]),  # the last month ends within a day
        (CONTROLS, []),
        (LICENCE_QUEUE, ["firms.importer.production.units_per_day=0"]),  # cover undefined
    ],
)
def test_without_daily_series_the_other_numbers_are_the_same(
    path: str, overrides: list[str]
) -> None:
    resolved = load_scenario(path, overrides)
    records = simulate(resolved, 4, 1)
    full = measure(records, resolved.scenario)
    lean = measure(records, resolved.scenario, daily=False)
    monthly = {n: v for n, v in full.series.items() if not n.endswith("_daily")}
    assert len(monthly) < len(full.series)
    assert list(lean.series) == list(monthly)
    for name, values in monthly.items():
        assert np.array_equal(lean.series[name], values, equal_nan=True), name
    assert list(lean.kpis) == list(full.kpis)
    for name, value in full.kpis.items():
        assert value == lean.kpis[name] or (math.isnan(value) and math.isnan(lean.kpis[name]))


def test_a_run_measures_daily_series_only_where_its_result_keeps_them() -> None:
    # The result summarises daily series over the first DAILY_LIMIT replications: batches past
    # them measure none, and the result is what folding every replication in full gives.
    from reesim.experiment.batches import simulate_and_measure
    from reesim.experiment.runner import batches, run_scenario
    from reesim.results.result import DAILY_LIMIT, ResultFold

    resolved = load_scenario(LICENCE_QUEUE)
    n = DAILY_LIMIT + 100
    cut = list(batches(resolved, 9, range(n), workers=1))
    assert any(not b.daily for b in cut)
    for b in cut:
        assert b.daily == (b.replications[0] < DAILY_LIMIT)
    late = next(b for b in cut if not b.daily)
    assert pickle.loads(pickle.dumps(late)).daily is False  # as a worker receives it
    ran = run_scenario(resolved, range(n), 9, keep_replications=False)
    fold = ResultFold(float(resolved.scenario.horizon_days))
    for r in range(n):
        fold.add(simulate_and_measure(resolved, 9, r))
    folded = fold.result(ran.months, ran.provenance)
    assert any(name.endswith("_daily") for name in ran.series)
    # repr: exact for floats, and NaN (a month with nothing filed) equal to NaN
    assert repr(ran.series) == repr(folded.series)
    assert repr(ran.kpis) == repr(folded.kpis)
