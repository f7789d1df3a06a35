"""`reesim solve`: closed-form worlds, the sequential bounds, the traps and the command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from reesim.cli.main import main
from reesim.errors import ScenarioError
from reesim.questions.cost import minimise_cost
from reesim.questions.parameter import parse_range
from reesim.questions.runs import ScenarioRuns
from reesim.questions.solve import Candidate, Settings, Solution, solve
from reesim.questions.targets import Target, estimate, parse_targets
from reesim.questions.traps import (
    monotonicity_warnings,
    order_level_warnings,
    solution_warnings,
    starts_with_nothing_in_transit,
)
from reesim.results.names import kpi_unit
from reesim.scenario.load import load_text
from reesim.scenario.yamlsource import parse_document

# A firm with 30 t of magnets using 1 t/day and no supplier: it stops at stock / rate, so over
# a 60-day horizon it stands still for max(0, 60 - S) days with S days of stock.
DRAWDOWN = """\
name: drawdown
start: 2025-01-06
horizon: 60d
calendar: {base: none, weekends: []}
materials: {magnet: {}}
authority:
  controls: {magnet: false}
  review: {time: 10wd}
  outcomes: [{approve: 1, deny: 0, return: 0}]
firms:
  plant:
    country: us
    production: {units_per_day: 1000}
    needs: {magnet: {per_unit: 1 kg}}
    stockpile: {magnet: 30 t}
    suppliers: []
"""

# One order at day 0 (the level is far above the stock and the next review is after the
# horizon) arriving after an exponential transit of mean 10 days: the plant stops exactly when
# the transit outlasts its stock of S days, so P(stockout) = exp(-S / 10).
LEAD_TIME = """\
name: lead-time
start: 2025-01-06
horizon: 120d
calendar: {base: none, weekends: []}
materials: {magnet: {}}
authority:
  controls: {magnet: false}
  review: {time: 10wd}
  outcomes: [{approve: 1, deny: 0, return: 0}]
firms:
  plant:
    country: us
    production: {units_per_day: 1000}
    needs: {magnet: {per_unit: 1 kg}}
    stockpile: {magnet: 20d}
    ordering: {policy: order_up_to, review_period: 365d, level: 1000 t}
    transit: {dist: exponential, mean: 10d}
"""
MEAN_TRANSIT_DAYS = 10.0


def runs_of(text: str, seed: int = 3) -> ScenarioRuns:
    return ScenarioRuns(parse_document(text, "test.yaml"), (), seed)


def units_of(runs: ScenarioRuns) -> dict[str, str]:
    result = runs.run([], [0])
    return {k: kpi_unit(k) for k in result.kpis}


def evaluator(runs: ScenarioRuns, axis, targets):  # noqa: ANN001, ANN201 - test glue
    kpis = sorted({t.kpi for t in targets})
    return lambda x, reps: runs.kpi_values([axis.override(x)], reps, kpis)


# --- closed forms -------------------------------------------------------------------------------
def test_deterministic_drawdown_answer_is_inside_its_bracket() -> None:
    runs = runs_of(DRAWDOWN)
    axis = parse_range("firms.plant.stockpile.magnet", "1d:80d")
    targets = parse_targets(["firms.plant.stockout_days <= 10"], units_of(runs))
    sol = solve(
        axis,
        targets,
        evaluator(runs, axis, targets),
        Settings(initial_replications=3, max_replications=6, tolerance=0.25),
    )
    assert sol.answer is not None and sol.bracket is not None
    low, high = sol.bracket
    exact = 50.0  # 60 - S <= 10
    assert low < exact <= high
    assert high - low <= 0.25
    assert sol.answer.x == high
    # Nothing is random: every value is decided on its first stage.
    assert {c.n for c in sol.candidates} == {3}


def test_largest_value_meeting_a_lower_target() -> None:
    runs = runs_of(DRAWDOWN)
    axis = parse_range("firms.plant.stockpile.magnet", "1d:80d")
    targets = parse_targets(["firms.plant.stockout_days >= 20"], units_of(runs))
    settings = Settings(
        direction="largest", initial_replications=3, max_replications=6, tolerance=0.25
    )
    sol = solve(axis, targets, evaluator(runs, axis, targets), settings)
    assert sol.answer is not None and sol.bracket is not None
    assert sol.bracket[0] <= 40.0 < sol.bracket[1]
    assert sol.answer.x == sol.bracket[0]


def test_stockout_probability_with_exponential_lead_time() -> None:
    """P(stockout) = exp(-S/10): the 5% point is 10 ln 20 = 30.0 days. The answer carries a
    95% guarantee, so it is at or above that point, and (with up to 400 replications a value)
    not so far above that its true risk is below 1% (S = 46 days)."""
    runs = runs_of(LEAD_TIME)
    axis = parse_range("firms.plant.stockpile.magnet", "1d:80d")
    targets = parse_targets(["firms.plant.stockout_probability <= 5%"], units_of(runs))
    settings = Settings(initial_replications=50, max_replications=400, tolerance=1.0)
    sol = solve(axis, targets, evaluator(runs, axis, targets), settings)
    assert sol.answer is not None and sol.bracket is not None
    s_star = MEAN_TRANSIT_DAYS * math.log(20)
    assert sol.answer.x >= s_star
    assert math.exp(-sol.answer.x / MEAN_TRANSIT_DAYS) >= 0.01
    # the estimates follow the closed form within their two bounds at every value
    for c in sol.candidates:
        e = c.estimates[0]
        assert e.method == "clopper-pearson"
        truth = math.exp(-c.x / MEAN_TRANSIT_DAYS)
        assert e.lower - 0.02 <= truth <= e.upper + 0.02
    # replications go where the decision is close: far values stop within two stages (0 of
    # 100 stockouts already bounds the risk below 5% at 99% per look), close ones go on
    far = [c for c in sol.candidates if abs(c.x - s_star) > 20]
    assert far and all(c.n <= 100 for c in far)
    assert any(c.n >= 200 for c in sol.candidates)
    assert sol.replications == sum(c.n for c in sol.candidates)


def test_common_random_numbers_make_the_curve_monotone_replication_by_replication() -> None:
    runs = runs_of(LEAD_TIME)
    axis = parse_range("firms.plant.stockpile.magnet", "1d:80d")
    kpi = "firms.plant.stockout_probability"
    at = [
        np.asarray(runs.kpi_values([axis.override(x)], range(40), [kpi])[kpi]) for x in (10, 20, 30)
    ]
    assert np.all(at[0] >= at[1]) and np.all(at[1] >= at[2])
    assert at[0].sum() > at[2].sum()


# --- bounds -------------------------------------------------------------------------------------
def test_percentile_bound_covers_at_least_its_level() -> None:
    rng = np.random.default_rng(5)
    target = Target("x.p95 <= 1", "x", "p95", "<=", 1.0, "d")
    true_p95 = -math.log(0.05)  # exponential(1)
    trials, n, confidence = 2000, 80, 0.9
    covered = sum(
        estimate(target, rng.exponential(1.0, n), confidence).upper >= true_p95
        for _ in range(trials)
    )
    assert covered / trials >= confidence - 0.02
    assert math.isinf(estimate(target, rng.exponential(1.0, 20), 0.95).upper)


def test_mean_bound_uses_t_and_probability_uses_clopper_pearson() -> None:
    mean_target = Target("k <= 1", "k", "mean", "<=", 1.0, "d")
    e = estimate(mean_target, [1.0, 2.0, 3.0, float("nan")], 0.95)
    assert e.method == "t" and e.n == 3 and e.value == 2.0
    assert e.upper == pytest.approx(2.0 + 2.919986 * 1.0 / math.sqrt(3), rel=1e-5)
    prob = Target("p <= 0.05", "p", "mean", "<=", 0.05, "share")
    zero = estimate(prob, [0.0] * 59, 0.95)
    assert zero.method == "clopper-pearson" and zero.value == 0.0
    assert zero.upper == pytest.approx(1 - 0.05 ** (1 / 59))
    assert zero.verdict(prob) == "met"
    assert estimate(prob, [0.0] * 50, 0.95).verdict(prob) == "open"
    assert estimate(prob, [1.0] * 10 + [0.0] * 10, 0.95).verdict(prob) == "missed"


def test_targets_parse_flip_and_refuse_with_a_caret() -> None:
    units = {"firms.a.stockout_probability": "share", "firms.a.stockout_days": "d"}
    (t,) = parse_targets(["5% >= firms.a.stockout_probability"], units)
    assert (t.kpi, t.stat, t.op, t.threshold) == (
        "firms.a.stockout_probability",
        "mean",
        "<=",
        0.05,
    )
    with pytest.raises(ScenarioError) as err:
        parse_targets(
            ["firms.a.stockout_days.std < 3", "firms.a.stockout_dayz < 3", "firms.a.stockout_days"],
            units,
        )
    text = str(err.value)
    assert "--target[1]:1:23: expected a target on a KPI's mean, p5, p50, p95, got 'std'" in text
    assert "did you mean 'firms.a.stockout_days'" in text
    assert "--target[3]" in text


def test_a_threshold_outside_what_the_kpi_can_be_is_refused() -> None:
    # Decided before anything runs: almost always a slip of units.
    units = {"firms.a.stockout_probability": "share", "firms.a.stockout_days": "d"}
    (t,) = parse_targets(["firms.a.stockout_days > -0"], units)
    assert t.threshold == 0.0
    with pytest.raises(ScenarioError) as err:
        parse_targets(
            ["firms.a.stockout_probability <= 500%", "firms.a.stockout_days <= -1"], units
        )
    text = str(err.value)
    assert (
        "--target[1]:1:33: expected a threshold from 0 to 1 for firms.a.stockout_probability, "
        "got 5 (the target would always be met)" in text
    )
    assert (
        "--target[2]:1:26: expected a threshold of at least 0 for firms.a.stockout_days, "
        "got -1 (the target would never be met)" in text
    )


def test_range_units() -> None:
    assert parse_range("p", "2w:52w").text(27.5) == "27.5w"
    kg = parse_range("p", "500kg:2t")
    assert (kg.low, kg.high, kg.unit) == (500.0, 2000.0, "kg")
    assert parse_range("p", "1 t/mo:8 t/mo").text(2) == "2 t/mo"
    whole = parse_range("p", "2:12")
    assert whole.whole and whole.text(6.6) == 7
    for bad in ("52w:2w", "2w", "2w:3kg", "a:b"):
        with pytest.raises(ValueError, match="expected"):
            parse_range("p", bad)


# --- traps --------------------------------------------------------------------------------------
def test_order_level_below_lead_time_demand_is_flagged() -> None:
    text = LEAD_TIME.replace("level: 1000 t", "level: 5d").replace(
        "transit: {dist: exponential, mean: 10d}", "transit: 4w"
    )
    (warning,) = order_level_warnings(load_text(text).scenario, "plant")
    assert "firms.plant.ordering.level covers 5 d" in warning
    assert "lead time (transit 28 d) plus review period 365 d = 393 d" in warning
    fine = LEAD_TIME.replace("review_period: 365d", "review_period: 1w")
    assert order_level_warnings(load_text(fine).scenario, "plant") == []


def test_nothing_in_transit_and_horizon_traps() -> None:
    scenario = load_text(
        LEAD_TIME.replace("stockpile: {magnet: 20d}", "stockpile: {magnet: 5d}")
    ).scenario
    assert starts_with_nothing_in_transit(scenario.firms["plant"])
    axis = parse_range("firms.plant.stockpile.magnet", "1d:200d")
    sol = Solution(axis, (), Settings(), (), None, None)
    found = solution_warnings(sol, scenario)
    assert any("starts with nothing in transit" in w and "covers 5 d" in w for w in found)
    long = load_text(
        LEAD_TIME.replace("stockpile: {magnet: 20d}", "stockpile: {magnet: 130d}")
    ).scenario
    assert any("at least the 120-d horizon" in w for w in solution_warnings(sol, long))


def test_target_met_at_the_near_bound_is_flagged() -> None:
    runs = runs_of(DRAWDOWN)
    axis = parse_range("firms.plant.stockpile.magnet", "55d:80d")
    targets = parse_targets(["firms.plant.stockout_days <= 10"], units_of(runs))
    sol = solve(
        axis,
        targets,
        evaluator(runs, axis, targets),
        Settings(initial_replications=2, max_replications=2),
    )
    assert sol.answer is not None and sol.answer.x == 55.0 and sol.bracket is None
    found = solution_warnings(sol, runs.resolved([axis.override(55)]).scenario)
    assert any("met already at 55d, the low end" in w for w in found)


def test_non_monotone_response_is_flagged() -> None:
    """A made-up response that jumps up past x = 6: the paired test sees it."""
    axis = parse_range("p", "0:10")
    target = Target("k <= 6.5", "k", "mean", "<=", 6.5, "count")
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.1, 200)

    def evaluate(x, reps):  # noqa: ANN001, ANN202
        level = 10.0 - x + 6.0 * (x > 6)
        return {"k": [level + noise[r] for r in reps]}

    sol = solve(axis, [target], evaluate, Settings(initial_replications=20, max_replications=40))
    (warning,) = monotonicity_warnings(sol)
    assert "k is not monotone in p" in warning
    calm = solve(
        axis,
        [target],
        lambda x, reps: {"k": [4 - x + noise[r] for r in reps]},
        Settings(initial_replications=20, max_replications=40),
    )
    assert monotonicity_warnings(calm) == []


def test_candidate_open_at_the_cap_does_not_count_as_meeting() -> None:
    target = Target("p <= 0.05", "p", "mean", "<=", 0.05, "share")
    axis = parse_range("x", "0:1")
    sol = solve(
        axis,
        [target],
        lambda x, reps: {"p": [float(r % 20 == 0) for r in reps]},
        Settings(initial_replications=10, max_replications=40),
    )
    assert sol.answer is None
    assert all(c.verdict == "open" and c.n == 40 for c in sol.candidates)
    assert isinstance(sol.candidates[0], Candidate)


# --- cost ---------------------------------------------------------------------------------------
def test_cost_minimum_in_the_deterministic_drawdown() -> None:
    """Holding 0.01 per kg-day over 60 days costs 0.6 per kg held; losing a unit (1 kg of
    magnet) costs 1, so every day of stock up to the horizon pays for itself: the least cost
    is at S = 60 days, where nothing is lost."""
    runs = runs_of(DRAWDOWN)
    axis = parse_range("firms.plant.stockpile.magnet", "0d:80d")
    kpi = ["firms.plant.production_lost_units"]
    scenario = runs.resolved([]).scenario
    cost = minimise_cost(
        axis,
        scenario,
        lambda x, reps: runs.kpi_values([axis.override(x)], reps, kpi),
        0.01,
        1.0,
        points=9,
        replications=3,
    )
    assert cost.best.x == 60.0
    assert cost.best.mean == pytest.approx(0.01 * 60_000 * 60)
    assert cost.near_best == (60.0, 60.0)


# --- the command --------------------------------------------------------------------------------
def test_solve_command_json_chart_and_exit_codes(tmp_path, capsys) -> None:  # noqa: ANN001
    scenario = tmp_path / "d.yaml"
    scenario.write_text(DRAWDOWN)
    out, chart, report = tmp_path / "a.json", tmp_path / "c.svg", tmp_path / "r.html"
    rc = main(
        [
            "solve",
            str(scenario),
            "--param",
            "firms.plant.stockpile.magnet",
            "--range",
            "1d:80d",
            "--target",
            "firms.plant.stockout_days <= 10",
            "-n",
            "2",
            "--max-replications",
            "2",
            "--tolerance",
            "1",
            "-o",
            str(out),
            "--chart",
            str(chart),
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "smallest firms.plant.stockpile.magnet meeting every target" in printed
    data = json.loads(out.read_text())
    assert data["bracket"][0] < "50" and 49 <= data["answer_value"] <= 51
    assert data["curve"][0]["value"] == "1d"
    assert 'gid="answer"' in chart.read_text() or "answer" in chart.read_text()
    assert "Values tried" in report.read_text()
    rc = main(
        [
            "solve",
            str(scenario),
            "--param",
            "firms.plant.stockpile.magnet",
            "--range",
            "1d:20d",
            "--target",
            "firms.plant.stockout_days <= 10",
            "-n",
            "2",
            "--max-replications",
            "2",
            "-q",
        ]
    )
    assert rc == 1
    rc = main(
        [
            "solve",
            str(scenario),
            "--param",
            "firms.plant.stockpile.magnet",
            "--range",
            "20d:1d",
            "--target",
            "firms.plant.stockout_days <= 10",
        ]
    )
    assert rc == 2
    assert "--range:1:1: expected LOW < HIGH, got '20d:1d'" in capsys.readouterr().err
