"""The scenario files shipped in scenarios/: every one validates and runs, and the examples give
the answers their header comments promise.

Each example under scenarios/examples/ states in its header what result to expect; where that
answer follows by hand from the numbers in the file (nothing random on the path that decides it),
a test below recomputes it from the loaded scenario and compares it with the engine's.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from reesim.engine.run import simulate
from reesim.engine.world import World
from reesim.experiment.runner import run_scenario
from reesim.results.result import RunResult
from reesim.scenario.load import ResolvedScenario, load_scenario
from reesim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXAMPLES = SCENARIOS / "examples"
SHIPPED = sorted(SCENARIOS.rglob("*.yaml"))

EXPECTED_EXAMPLES = {
    "calibration",
    "drawdown",
    "licence-queue",
    "outcomes",
    "general-licence",
    "alternative-supply",
    "smuggling",
    "timeline",
    "reorder-point",
    "rationing",
    "population",
    "prestock",
}
SHORT_HORIZON_DAYS = 60


def _name(path: Path) -> str:
    return str(path.relative_to(SCENARIOS))


def short_overrides(path: Path) -> list[str]:
    """Overrides that shorten a file with an `end` date to ~60 days.

    A horizon that ends before a timeline event is refused by the loader (events must fall
    inside the horizon), so the horizon is stretched to just past the last event when needed.
    """
    scenario = load_scenario(path).scenario
    if scenario.end is None:
        return []
    last_event = max((e.date for e in scenario.timeline), default=scenario.start)
    days = max(SHORT_HORIZON_DAYS, (last_event - scenario.start).days + 1)
    return ["end=null", f"horizon={days}d"]


def run(resolved: ResolvedScenario, n: int = 3) -> RunResult:
    return run_scenario(resolved, range(n), 1)


def values(result: RunResult, kpi: str) -> list[float]:
    return list(result.kpis[kpi].values)


def example(name: str) -> ResolvedScenario:
    return load_scenario(EXAMPLES / f"{name}.yaml")


# --- every shipped file -------------------------------------------------------------------------
def test_the_expected_files_are_shipped() -> None:
    names = {_name(p) for p in SHIPPED}
    assert {"controls-2025.yaml", "baseline.yaml"} <= names
    assert {p.stem for p in EXAMPLES.glob("*.yaml")} == EXPECTED_EXAMPLES


@pytest.mark.parametrize("path", SHIPPED, ids=_name)
def test_validates_and_runs_three_replications(path: Path) -> None:
    resolved = load_scenario(path, short_overrides(path))
    result = run(resolved)
    horizon = resolved.scenario.horizon_days
    assert result.provenance.replications == (0, 1, 2)
    for firm in resolved.scenario.firms:
        stopped = values(result, f"firms.{firm}.stockout_days")
        assert all(0.0 <= d <= horizon for d in stopped), (firm, stopped)
        probability = values(result, f"firms.{firm}.stockout_probability")
        assert all(p in (0.0, 1.0) for p in probability)


def test_the_short_horizon_override_shortens_a_file_with_an_end_date() -> None:
    path = SCENARIOS / "baseline.yaml"  # no timeline: the plain 60-day horizon applies
    overrides = short_overrides(path)
    assert overrides == ["end=null", f"horizon={SHORT_HORIZON_DAYS}d"]
    assert load_scenario(path, overrides).scenario.horizon_days == SHORT_HORIZON_DAYS


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=_name)
def test_each_example_says_what_it_shows_and_what_to_expect(path: Path) -> None:
    text = path.read_text()
    header = text[: text.index("\nname:")]
    assert all(line.startswith("#") for line in header.strip().splitlines())
    assert "Shows:" in header and "Expected result" in header
    scenario = load_scenario(path).scenario
    assert len(scenario.firms) == 1 and 1 <= len(scenario.materials) <= 2


# --- the default scenario and its counterfactual --------------------------------------------------
def _without_timeline(s: Scenario) -> Scenario:
    return s.model_copy(update={"name": "", "description": "", "timeline": ()})


def test_baseline_is_controls_2025_without_its_timeline() -> None:
    controls = load_scenario(SCENARIOS / "controls-2025.yaml").scenario
    baseline = load_scenario(SCENARIOS / "baseline.yaml").scenario
    assert baseline.timeline == ()
    assert not any(baseline.authority.controls.values())
    assert _without_timeline(baseline) == _without_timeline(controls)


def test_controls_2025_switches_the_april_controls_on_on_april_4() -> None:
    resolved = load_scenario(SCENARIOS / "controls-2025.yaml")
    assert not any(resolved.scenario.authority.controls.values())
    april = next(c for c in resolved.changes if c.date == date(2025, 4, 4))
    assert april.params.authority.controls == {
        "ndfeb_magnet": True,
        "dysprosium": True,
        "terbium": True,
    }


def test_every_production_rate_in_controls_2025_is_an_uncertainty() -> None:
    scenario = load_scenario(SCENARIOS / "controls-2025.yaml").scenario
    paths = {u.path for u in scenario.uncertainties.values()}
    for firm in scenario.firms:
        assert f"firms.{firm}.production.units_per_day" in paths, firm


def test_baseline_never_stops_and_controls_2025_does() -> None:
    baseline = run(load_scenario(SCENARIOS / "baseline.yaml"))
    controls = run(load_scenario(SCENARIOS / "controls-2025.yaml"))
    firms = load_scenario(SCENARIOS / "baseline.yaml").scenario.firms
    # Without controls a firm may run a product line short now and then (transit times vary and
    # a lean firm keeps little slack), but no firm stops.
    for firm in firms:
        assert values(baseline, f"firms.{firm}.stopped_days") == [0.0, 0.0, 0.0], firm
        assert sum(values(baseline, f"firms.{firm}.stockout_days")) < 10.0, firm
    assert sum(sum(values(controls, f"firms.{f}.stopped_days")) for f in firms) > 0
    for material in ("ndfeb_magnet", "dysprosium", "terbium"):
        kpi = f"materials.{material}.exports_kg"
        assert sum(values(controls, kpi)) < sum(values(baseline, kpi)), material


# --- examples with answers known by hand --------------------------------------------------------
def test_drawdown_stops_at_stock_over_consumption() -> None:
    resolved = example("drawdown")
    ((firm_id, firm),) = resolved.scenario.firms.items()
    ((material, need),) = firm.needs.items()
    assert need.per_unit is not None
    consumption = need.per_unit * firm.production.units_per_day.mean()  # kg a day
    stock = firm.stockpile[material]
    assert isinstance(stock, float)  # a quantity, not days of cover
    expected = stock / consumption
    assert expected == 30.0  # the header's hand calculation: 30 t at 1 t/day
    result = run(resolved)
    assert values(result, f"firms.{firm_id}.first_stockout_day") == [expected] * 3
    horizon = resolved.scenario.horizon_days
    assert values(result, f"firms.{firm_id}.stockout_days") == [horizon - expected] * 3


def test_timeline_records_each_policy_event_on_its_date() -> None:
    resolved = example("timeline")
    start = resolved.scenario.start
    expected = [((e.date - start).days, e.name) for e in resolved.scenario.timeline]
    assert expected == [(30, "controls on"), (80, "controls off")]
    for replication in range(3):
        records = simulate(resolved, 1, replication)
        assert [(p.day, p.name) for p in records.policy] == expected


def test_timeline_stops_between_the_controls_as_the_header_says() -> None:
    result = run(example("timeline"))
    assert values(result, "firms.plant.first_stockout_day") == [58.0] * 3
    assert values(result, "firms.plant.stockout_days") == [33.0] * 3


def test_general_licence_ends_the_stoppage_as_the_header_says() -> None:
    result = run(example("general-licence"))
    assert values(result, "firms.holder.first_stockout_day") == [30.0] * 3
    assert values(result, "firms.holder.stockout_days") == [47.0] * 3
    assert values(result, "firms.holder.approved") == [0.0] * 3


def test_alternative_supply_ends_the_stoppage_as_the_header_says() -> None:
    result = run(example("alternative-supply"))
    assert values(result, "firms.factory.first_stockout_day") == [30.0] * 3
    assert values(result, "firms.factory.stockout_days") == [33.0] * 3
    assert values(result, "materials.dysprosium.exports_kg") == [0.0] * 3
    assert values(result, "firms.factory.alternative_kg") == pytest.approx([74_000.0] * 3)


def test_reorder_point_orders_a_fixed_quantity_every_30_days() -> None:
    resolved = example("reorder-point")
    records = simulate(resolved, 1, 0)
    orders = [(s.shipped_day, s.arrival_day, s.kg) for s in records.shipments]
    assert orders == [(d, d + 14.0, 30_000.0) for d in (20.0, 50.0, 80.0, 110.0)]
    result = run(resolved)
    assert values(result, "firms.plant.stockout_probability") == [0.0] * 3
    assert values(result, "firms.plant.min_cover_days") == pytest.approx([6.0] * 3)


def test_licence_queue_never_decides_after_the_statutory_limit() -> None:
    resolved = example("licence-queue")
    limit_wd = resolved.scenario.authority.review.statutory_limit
    assert limit_wd is not None and limit_wd.is_working_days
    for replication in range(3):
        records = simulate(resolved, 1, replication)
        assert records.decisions
        world = World(resolved.scenario, 1, replication)
        for d in records.decisions:
            deadline = d.filed_day + world.span_days(limit_wd, d.filed_day)
            assert d.decision_day <= deadline + 1e-9


def test_outcomes_follow_the_matching_rule_in_proportion() -> None:
    resolved = example("outcomes")
    rule = resolved.scenario.authority.outcomes[1]
    assert rule.destinations == ("us",)
    result = run(resolved, n=40)
    approved = sum(values(result, "firms.buyer.approved"))
    denied = sum(values(result, "firms.buyer.denied"))
    returned = sum(values(result, "firms.buyer.returned"))
    total = approved + denied + returned
    assert total > 500
    for count, share in ((approved, rule.approve), (denied, rule.deny), (returned, rule.return_)):
        sd = math.sqrt(share * (1 - share) / total)
        assert abs(count / total - share) < 4 * sd


def test_smuggling_seizes_more_after_the_campaign() -> None:
    resolved = example("smuggling")
    campaign = (resolved.scenario.timeline[0].date - resolved.scenario.start).days
    before = after = seized_before = seized_after = 0.0
    for replication in range(20):
        for s in simulate(resolved, 1, replication).shipments:
            if s.route != "gray":
                continue
            if s.shipped_day < campaign:
                before += s.kg
                seized_before += s.kg if s.seized else 0.0
            else:
                after += s.kg
                seized_after += s.kg if s.seized else 0.0
    assert seized_after / after > seized_before / before
    # Capacity is divided by the enforcement level: less in the 120 days after than in the 60 before.
    assert after < before


def test_rationing_falls_in_steps_as_the_header_says() -> None:
    result = run(example("rationing"))
    assert values(result, "firms.plant.first_stockout_day") == [20.0] * 3
    assert values(result, "firms.plant.first_stop_day") == [52.5] * 3
    assert values(result, "firms.plant.stopped_days") == [27.5] * 3
    assert values(result, "firms.plant.production_lost_units") == [40_000.0] * 3


def test_a_population_runs_short_one_importer_at_a_time_as_the_header_says() -> None:
    result = run(example("population"), n=6)
    assert all(40.0 < day < 90.0 for day in values(result, "firms.country.first_stockout_day"))
    assert values(result, "firms.country.stop_probability") == [0.0] * 6
    assert all(share > 0.7 for share in values(result, "firms.country.applicants_short_share"))
    assert all(0.0 < pct < 100.0 for pct in values(result, "firms.country.min_output_pct"))


def test_prestocking_delays_the_shortage_as_the_header_says() -> None:
    aware = run(example("prestock"), n=6)
    unaware = run(
        load_scenario(EXAMPLES / "prestock.yaml", ["firms.buyer.ordering.prestock.aware_share=0"]),
        n=6,
    )
    for a, b in zip(
        values(aware, "firms.buyer.first_stockout_day"),
        values(unaware, "firms.buyer.first_stockout_day"),
        strict=True,
    ):
        assert a > b + 30.0
    assert max(values(aware, "firms.buyer.production_lost_pct")) < 5.0
    assert min(values(unaware, "firms.buyer.production_lost_pct")) > 15.0


@pytest.mark.parametrize(
    "path", [p for p in SHIPPED if "replay" not in p.name], ids=lambda p: p.stem
)
def test_a_replication_leaves_no_reference_cycles(path: Path) -> None:
    # simulate() breaks its own cycles, so a finished replication is freed by reference counting:
    # garbage left to the cyclic collector would be collected during whatever runs next.
    import gc

    resolved = load_scenario(path)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        simulate(resolved, 1, 0)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
