"""`reesim calibrate`: ABC-SMC recovers a parameter from data reesim generated at a known value,
a misspecified model fits its held-out data badly, and the calibrated file keeps the rest."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reesim.cli.main import main
from reesim.errors import ScenarioError
from reesim.questions.calibrate import abc_smc, fit_of, predictive, priors
from reesim.questions.observations import Observation, read_observations
from reesim.questions.runs import ScenarioRuns
from reesim.scenario.load import load_scenario
from reesim.scenario.yamlsource import parse_document

# A plant that buys uncontrolled magnets every week: its monthly imports are its consumption,
# about 30 kg x its mean output a month. The output's mean is the unknown.
PLANT = """\
# A plant buying uncontrolled magnets every week.
name: plant
start: 2025-01-01
end: 2025-06-30
calendar: {base: none, weekends: []}
materials: {magnet: {}}
authority:
  controls: {magnet: false}
  review: {time: 10wd}
  outcomes: [{approve: 1, deny: 0, return: 0}]
firms:
  plant:
    country: us
    production: {units_per_day: {dist: lognormal, mean: 1000, cv: 0.1}}   # planned output
    needs: {magnet: {per_unit: 1 kg}}
    stockpile: {magnet: 30d}
    ordering: {policy: order_up_to, review_period: 1w, level: 30d}
    transit: {dist: uniform, low: 1w, high: 3w}
uncertainties:
  output:
    path: firms.plant.production.units_per_day.mean
    low: 400
    high: 2000
    source: a guess  # kept as written
"""
TRUTH = 1300.0
SERIES = "exports.total.magnet"


def observed(text: str, seed: int = 99, reps: int = 6) -> list[Observation]:
    """The monthly series reesim simulates for `text`, averaged over a few replications (on
    seeds the fit never uses), as dated observations."""
    runs = ScenarioRuns(parse_document(text, "truth.yaml"), (), seed)
    result = runs.run([], range(reps))
    values = result.series[SERIES].mean
    return [
        Observation(i + 2, date.fromisoformat(f"{m}-15"), SERIES, v)
        for i, (m, v) in enumerate(zip(result.months, values, strict=True))
    ]


def fit(observations: list[Observation], holdout_month: str | None = None):  # noqa: ANN201
    runs = ScenarioRuns(parse_document(PLANT, "plant.yaml"), (), 1)
    fitted = [holdout_month is None or o.month < holdout_month for o in observations]
    cal = abc_smc(
        priors(runs.resolved([]).scenario.uncertainties),
        observations,
        fitted,
        runs.resolved,
        root_seed=1,
        population=24,
        generations=4,
        replications=2,
    )
    pred = predictive(cal, runs.resolved, 2, draws=16)
    return cal, pred, fitted


def test_recovers_synthetic_truth_within_its_uncertainty() -> None:
    truth = PLANT.replace("mean: 1000, cv", f"mean: {TRUTH:g}, cv")
    cal, pred, fitted = fit(observed(truth))
    _, _, q5, q50, q95 = cal.summary(0)
    assert q5 <= TRUTH <= q95
    assert q95 - q5 < 0.4 * (2000 - 400)  # the data narrowed the prior
    assert abs(q50 - TRUTH) < 250
    tolerances = [g.tolerance for g in cal.generations[1:]]
    assert tolerances == sorted(tolerances, reverse=True)
    good = fit_of(cal, pred, fitted)
    assert good is not None and good.coverage_90 >= 0.8


def test_misspecified_model_fits_its_held_out_data_badly() -> None:
    """The data come from a plant that doubles its output in April; the model has no such
    event. Fitted on January to March, it cannot predict April to June."""
    doubled = PLANT.replace(
        "uncertainties:",
        "timeline:\n  - {date: 2025-04-01, name: doubling, set: "
        "{firms.plant.production.units_per_day.mean: 2600}}\nuncertainties:",
    ).replace("mean: 1000, cv", "mean: 1300, cv")
    cal, pred, fitted = fit(observed(doubled), holdout_month="2025-04")
    train = fit_of(cal, pred, fitted)
    held = fit_of(cal, pred, [not f for f in fitted])
    assert train is not None and held is not None
    assert held.observations == 3
    assert held.coverage_90 <= 1 / 3
    assert held.rmse_standardised > 3 * max(train.rmse_standardised, 0.1)


def test_calibrate_command_writes_a_commented_valid_scenario(tmp_path, capsys) -> None:  # noqa: ANN001
    scenario = tmp_path / "plant.yaml"
    scenario.write_text(PLANT)
    data = tmp_path / "obs.csv"
    rows = observed(PLANT.replace("mean: 1000, cv", "mean: 1300, cv"), reps=2)
    data.write_text(
        "date,name,value\n" + "".join(f"{o.date},{o.name},{o.value:.3f}\n" for o in rows)
    )
    written, out, report = tmp_path / "fit.yaml", tmp_path / "fit.json", tmp_path / "fit.html"
    rc = main(
        [
            "calibrate",
            str(scenario),
            "--data",
            str(data),
            "--population",
            "8",
            "--generations",
            "2",
            "-n",
            "1",
            "--draws",
            "4",
            "--holdout-from",
            "2025-05-01",
            "--write",
            str(written),
            "-o",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "posterior" in printed and "held out: 2 observations" in printed
    result = json.loads(out.read_text())
    median = result["posterior"]["output"]["median_text"]
    text = written.read_text()
    assert f"mean: {median}, cv: 0.1}}}}   # planned output" in text
    assert "# calibrated by reesim calibrate to obs.csv: posterior median; 90% interval" in text
    assert "was 1000" in text
    # everything else as written
    original = PLANT.splitlines()
    kept = [
        line
        for line in text.splitlines()
        if "calibrated by" not in line and "units_per_day" not in line
    ]
    assert kept == [line for line in original if "units_per_day" not in line]
    assert load_scenario(written).scenario.firms[
        "plant"
    ].production.units_per_day.mean() == pytest.approx(float(median))
    assert "Data and predictive bands" in report.read_text()


def test_bad_observations_are_reported_together(tmp_path) -> None:  # noqa: ANN001
    data = tmp_path / "bad.csv"
    data.write_text("date,name,value\n2025-13-01,exports.total.magnet,1\n2025-01-15,x,abc\n")
    with pytest.raises(ScenarioError) as err:
        read_observations(data)
    text = str(err.value)
    assert "bad.csv:2:1: expected a date like 2025-05-31, got '2025-13-01'" in text
    assert "bad.csv:3:14: expected a finite number, got 'abc'" in text
    scenario = tmp_path / "plant.yaml"
    scenario.write_text(PLANT)
    data.write_text(
        "date,name,value\n2025-01-15,exports.total.magnets,1\n2024-01-15,exports.total.magnet,1\n"
    )
    assert main(["calibrate", str(scenario), "--data", str(data)]) == 2
