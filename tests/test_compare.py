"""`reesim compare`: paired statistics, the inputs diff, the renderers and the command's exit
codes. Scenarios are tiny variations of MINIMAL so everything runs in seconds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from reesim.cli.main import main
from reesim.experiment.runner import run_scenario
from reesim.report.compare_tables import compare_markdown
from reesim.results.compare import (
    Pairing,
    compare_results,
    holm,
    paired_difference,
    welch_difference,
)
from reesim.results.comparison import Compared
from reesim.results.gates import bind_gates, check_all, gates_from_options
from reesim.results.inputs_diff import ABSENT, diff_inputs, flatten
from reesim.results.names import kpi_unit
from reesim.results.result import Kpi, Provenance, RunResult
from reesim.results.stats import summarize
from reesim.scenario.load import load_text
from tests.conftest import MINIMAL

RANDOM = MINIMAL.replace("time: 10wd", "time: {dist: exponential, mean: 10wd}")
SLOWER = RANDOM.replace("mean: 10wd", "mean: 12wd")


def run_text(text: str, n: int = 30, seed: int = 1) -> RunResult:
    return run_scenario(load_text(text), list(range(n)), seed)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("base.yaml").write_text(RANDOM)
    Path("slow.yaml").write_text(SLOWER)
    Path("more.yaml").write_text(
        RANDOM.replace("stockpile: {magnet: 30d}", "stockpile: {magnet: 35d}")
    )
    return tmp_path


# --- statistics -------------------------------------------------------------------------------


def test_a_scenario_compared_with_itself_gives_zero_exactly() -> None:
    result = run_text(RANDOM, n=12)
    c = compare_results(result, result)
    assert c.pairing is Pairing.paired
    for row in c.kpis.values():
        assert row.diff is not None
        assert (row.diff.delta, row.diff.ci_low, row.diff.ci_high) == (0.0, 0.0, 0.0), row.name
        assert row.diff.identical and not row.significant and not row.changed
    # and an independent second run of the same scenario is the same run
    again = compare_results(result, run_text(RANDOM, n=12))
    assert all(r.diff is not None and r.diff.identical for r in again.kpis.values())


def test_paired_interval_is_narrower_than_welch_on_the_same_runs() -> None:
    base, slow = run_text(RANDOM), run_text(SLOWER)
    paired = compare_results(base, slow)
    welch = compare_results(base, slow, pairing=Pairing.welch)
    assert paired.pairing is Pairing.paired and welch.pairing is Pairing.welch
    for name in (
        "firms.acme.stockout_days",
        "firms.acme.production_lost_units",
        "firms.acme.licence_wait_days",
    ):
        p, w = paired.kpis[name].diff, welch.kpis[name].diff
        assert p is not None and w is not None
        assert 0 < p.half_width < 0.75 * w.half_width, name
        assert not w.excludes_zero or w.ci_low < p.ci_low, name
        if name != "firms.acme.licence_wait_days":
            assert p.delta > 0 and p.excludes_zero, name  # slower reviews, more stockout days
        # (Each application waits longer in the slower world, but the wait is averaged over the
        # applications decided before the horizon, and one fewer may be decided there: the
        # mean moves both ways, so its difference need not be significant in 30 runs.)


def test_paired_and_welch_match_scipy() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 25)
    b = a + rng.normal(0.5, 0.3, 25)
    p = paired_difference(a, b)
    assert p.delta == pytest.approx(float(np.mean(b - a)))
    assert p.p_value == pytest.approx(sps.ttest_rel(b, a).pvalue)
    half = sps.t.ppf(0.975, 24) * np.std(b - a, ddof=1) / 5
    assert (p.ci_low, p.ci_high) == pytest.approx((p.delta - half, p.delta + half))
    c = rng.normal(11, 3, 18)
    w = welch_difference(a, c)
    assert w.delta == pytest.approx(float(np.mean(c) - np.mean(a)))
    assert w.p_value == pytest.approx(sps.ttest_ind(c, a, equal_var=False).pvalue)
    assert w.excludes_zero == (w.p_value < 0.05)


def test_pairs_only_replications_where_both_apply() -> None:
    nan = math.nan
    d = paired_difference([1.0, nan, 3.0, 4.0, nan], [2.0, 5.0, nan, 6.0, nan])
    assert (d.delta, d.n, d.reference) == (1.5, 2, 2.5)
    assert d.rel == pytest.approx(0.6)
    none = paired_difference([nan, 1.0], [2.0, nan])
    assert none.n == 0 and math.isnan(none.delta) and math.isnan(none.ci_low)
    one = paired_difference([1.0, nan], [3.0, 4.0])
    assert one.delta == 2.0 and math.isnan(one.ci_low)
    constant = paired_difference([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])  # no spread: certain
    assert (constant.ci_low, constant.ci_high, constant.excludes_zero) == (2.0, 2.0, True)


def test_holm() -> None:
    adjusted = holm([0.01, 0.04, 0.03, 0.005, math.nan])
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # monotone: never below an earlier step
    assert holm([0.02, 0.5]) == pytest.approx([0.04, 0.5])


def test_holm_adjusts_over_kpis_that_differ() -> None:
    base, slow = run_text(RANDOM, n=10), run_text(SLOWER, n=10)
    plain = compare_results(base, slow)
    adjusted = compare_results(base, slow, adjust="holm")
    family = [r for r in adjusted.kpis.values() if r.p_adjusted is not None]
    assert family and all(r.diff is not None and not r.diff.identical for r in family)
    for name, row in adjusted.kpis.items():
        assert not row.significant or plain.kpis[name].significant  # never more significant
        if row.p_adjusted is not None and row.diff is not None:
            assert row.p_adjusted >= row.diff.p_value
    with pytest.raises(ValueError, match="adjust"):
        compare_results(base, slow, adjust="bonferroni")


def test_saved_results_pair_only_with_the_same_seed_and_replications() -> None:
    a = run_text(RANDOM, n=6, seed=1)
    b = run_text(SLOWER, n=6, seed=2)
    c = compare_results(a, b)
    assert c.pairing is Pairing.welch and "root seeds differ (1, 2)" in c.reason
    d = compare_results(a, run_text(SLOWER, n=5, seed=1))
    assert d.pairing is Pairing.welch and "replications differ (0-5; 0-4)" in d.reason
    with pytest.raises(ValueError, match="cannot pair"):
        compare_results(a, b, pairing=Pairing.paired)


# --- inputs diff ------------------------------------------------------------------------------


def test_inputs_diff_lists_exactly_the_changed_paths() -> None:
    edited = (
        RANDOM.replace("capacity: 2", "capacity: 3")
        .replace("transit: 2w", "transit: 3w\n    name: Acme Corp")  # display name: not a parameter
        .replace("name: minimal", "name: edited\ndescription: words")
        .replace("date: 2025-02-03", "date: 2025-02-10")
        .replace(
            "set: {authority.controls.magnet: true}",
            "set: {authority.controls.magnet: true, authority.review.capacity: 1}\n"
            "  - date: 2025-03-01\n    name: relief\n    source: test\n"
            "    set: {authority.review.time: {dist: exponential, mean: 5wd}}",
        )
    )
    a, b = (json.loads(json.dumps(load_text(t).raw, default=str)) for t in (RANDOM, edited))
    changes = {c.path: c.values for c in diff_inputs([a, b])}
    assert changes == {
        "authority.review.capacity": (2, 3),
        "firms.acme.transit": ("2w", "3w"),
        "timeline[controls on].date": ("2025-02-03", "2025-02-10"),
        "timeline[controls on].set.authority.review.capacity": (ABSENT, 1),
        "timeline[relief].date": (ABSENT, "2025-03-01"),
        "timeline[relief].set.authority.review.time.dist": (ABSENT, "exponential"),
        "timeline[relief].set.authority.review.time.mean": (ABSENT, "5wd"),
    }
    assert diff_inputs([a, a]) == []
    # a run without recorded inputs is left out of the judgement
    assert [c.path for c in diff_inputs([a, None, a])] == []


def test_flatten_lists_by_index_and_numbers_equal_across_types() -> None:
    flat = flatten({"authority": {"outcomes": [{"approve": 1, "deny": 0}], "x": {}}, "y": []})
    assert flat == {
        "authority.outcomes[0].approve": 1,
        "authority.outcomes[0].deny": 0,
        "authority.x": {},
        "y": [],
    }
    assert diff_inputs([{"a": 1}, {"a": 1.0}]) == []
    assert [c.path for c in diff_inputs([{"a": 1}, {"a": True}])] == ["a"]


# --- markdown, exactly ------------------------------------------------------------------------


def _result(values: dict[str, list[float]], seed: int = 1, inputs: dict | None = None) -> RunResult:
    n = len(next(iter(values.values())))
    kpis = {
        name: Kpi(name, kpi_unit(name), summarize(np.array(v)), tuple(v))
        for name, v in values.items()
    }
    provenance = Provenance("0", "toy", "toy.yaml", "0" * 64, (), seed, tuple(range(n)), 0.0, "")
    return RunResult(provenance, (), kpis, {}, (0,) * n, (), inputs or {"x": {"cap": 2}})


def test_markdown_is_exact_on_a_tiny_case() -> None:
    nan = math.nan
    base = _result(
        {
            "firms.a.stockout_days": [1.0, 2.0, 3.0, 4.0],
            "materials.m.exports_kg": [100.0, 100.0, 100.0, 100.0],
            "firms.a.first_stockout_day": [10.0, nan, 12.0, nan],
        }
    )
    cand = _result(
        {
            "firms.a.stockout_days": [2.0, 4.0, 3.5, 5.5],
            "materials.m.exports_kg": [100.0, 100.0, 100.0, 100.0],
            "firms.a.first_stockout_day": [9.0, 8.0, nan, nan],
        },
        inputs={"x": {"cap": 3}},
    )
    comparison = compare_results(base, cand, baseline_label="base", candidate_label="cand")
    gates = gates_from_options(
        ["delta(firms.a.stockout_days) > 1", "rel(materials.m.exports_kg) > 5%"]
    )
    units = {k.name: k.unit for k in base.kpis.values()}
    compared = Compared(
        labels=("base", "cand"),
        sources=("base.json", "cand.json"),
        results=(base, cand),
        comparisons=(comparison,),
        inputs=tuple(diff_inputs([base.inputs, cand.inputs])),
        kpis=tuple(comparison.kpis),
        gates=check_all(bind_gates(gates, units), [comparison]),
    )
    assert compare_markdown(compared) == EXPECTED_MARKDOWN


EXPECTED_MARKDOWN = """\
### reesim compare: cand against base

**Inputs that differ**

| parameter | base | cand |
|---|---|---|
| `x.cap` | `2` | `3` |

**cand vs base (baseline), 4 replications: paired, common random numbers (same root seed 1 and replications 0-3)**

| KPI | unit | base | cand | Δ | Δ 95% CI | rel | sig |
|---|---|---:|---:|---:|---:|---:|:---:|
| `firms.a.stockout_days` | d | 2.50 ± 2.05 | 3.75 ± 2.30 | +1.25 | [0.22, 2.28] | +50.0% | **\\*** |
| `materials.m.exports_kg` | kg | 100 ± 0 | 100 ± 0 | 0 | [0, 0] | 0% |  |
| `firms.a.first_stockout_day` | d | 11.0 [0, 23.7] | 8.50 ± 6.35 | -1.00† | – | -10.0% |  |

<sub>\\* the 95% interval of Δ excludes 0; Δ = scenario - baseline; rel = Δ / |baseline|<br>† over the replications where the KPI applies in both, so Δ can differ from the difference of the means shown</sub>

**Gates: 1 of 2 gate checks failed**

| | gate (fails if) | numbers |
|---|---|---|
| ❌ **FAIL** | `delta(firms.a.stockout_days) > 1` | delta(firms.a.stockout_days) = +1.25 d (Δ 95% CI [0.22, 2.28]) |
| ✅ pass | `rel(materials.m.exports_kg) > 5%` | rel(materials.m.exports_kg) = 0% |
"""


# --- the command ------------------------------------------------------------------------------


def test_compare_table_fits_100_columns(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = cli(capsys, "compare", "base.yaml", "slow.yaml", "-n", "8")
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[0].startswith("Inputs that differ")
    assert any(line.split() == ["authority.review.time.mean", "10wd", "12wd"] for line in lines)
    assert any("slow vs base (baseline), 8 replications: paired" in line for line in lines)
    row = next(line for line in lines if line.strip().startswith("stockout_days"))
    assert " d " in row and "±" in row and "[" in row


def test_table_shows_names_verbatim(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "[controls on]" would be rich markup if the table did not treat text as text
    Path("later.yaml").write_text(RANDOM.replace("date: 2025-02-03", "date: 2025-02-10"))
    code, out, _ = cli(capsys, "compare", "base.yaml", "later.yaml", "-n", "2")
    assert code == 0
    assert any(
        line.split() == ["timeline[controls", "on].date", "2025-02-03", "2025-02-10"]
        for line in out.splitlines()
    )


def test_exit_0_when_gates_pass_and_1_when_one_fails(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = "delta(firms.acme.stockout_days) > 1000"
    bad = "significant(firms.acme.stockout_days) and delta(firms.acme.stockout_days) > 0"
    code, out, err = cli(capsys, "compare", "base.yaml", "slow.yaml", "-n", "20", "--fail-if", ok)
    assert (code, err) == (0, "")
    assert "Gates: the gate passed" in out
    code, out, err = cli(
        capsys, "compare", "base.yaml", "slow.yaml", "-n", "20", "--fail-if", ok, "--fail-if", bad
    )
    assert code == 1
    assert "FAIL" in out and "1 of 2 gate checks failed" in out
    assert err.splitlines()[0] == "1 of 2 gate checks failed:"
    assert err.splitlines()[1].startswith(f"  {bad}: significant(firms.acme.stockout_days) = true")
    code, out, quiet_err = cli(
        capsys, "compare", "base.yaml", "slow.yaml", "-n", "20", "--fail-if", bad, "-q"
    )
    assert (code, out) == (1, "") and quiet_err.splitlines()[0] == "the gate failed:"
    code, out, _ = cli(
        capsys,
        "compare",
        "base.yaml",
        "slow.yaml",
        "-n",
        "20",
        "--fail-if",
        bad,
        "--adjust",
        "holm",
        "-f",
        "json",
    )
    doc = json.loads(out)
    assert doc["comparisons"][0]["adjust"] == "holm"
    row = next(k for k in doc["comparisons"][0]["kpis"] if k["name"] == "firms.acme.stockout_days")
    assert row["p_adjusted"] >= row["p_value"]
    assert row["significant"] == (row["p_adjusted"] < 0.05)


def test_gates_file_and_three_scenarios(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("gates.yaml").write_text(
        "gates:\n"
        "  - name: stockouts\n"
        "    fail_if: delta(firms.acme.stockout_days) > 1 and significant(firms.acme.stockout_days)\n"
        "    description: slower reviews must not add stockout days\n"
    )
    code, out, err = cli(
        capsys,
        "compare",
        "base.yaml",
        "slow.yaml",
        "more.yaml",
        "-n",
        "20",
        "--gate",
        "gates.yaml",
        "--format",
        "json",
    )
    doc = json.loads(out)
    assert code == 1
    assert [(g["candidate"], g["status"]) for g in doc["gates"]] == [
        ("slow", "fail"),
        ("more", "pass"),
    ]
    assert doc["passed"] is False
    assert "stockouts [slow]:" in err


def test_exit_2_for_malformed_gates_with_positions(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys,
        "compare",
        "base.yaml",
        "slow.yaml",
        "--fail-if",
        "delta(firms.acme.stockout_days)>",
        "--fail-if",
        "delta() > 1",
    )
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "--fail-if[1]:1:33: expected a number, a KPI name or '(', got the end of the expression",
        "    delta(firms.acme.stockout_days)>",
        "                                    ^",
        "--fail-if[2]:1:7: expected a KPI name, got ')'",
        "    delta() > 1",
        "          ^",
        "2 problems found",
    ]


def test_exit_2_for_an_unknown_kpi_with_a_suggestion(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(
        capsys,
        "compare",
        "base.yaml",
        "slow.yaml",
        "-n",
        "2",
        "--fail-if",
        "rel(firms.acme.stockout_dayz) > 5%",
        "--fail-if",
        "firms.acme.stockout_days.mean > 5%",
    )
    assert code == 2
    assert err.splitlines()[0] == (
        "--fail-if[1]:1:5: expected a KPI name, got 'firms.acme.stockout_dayz' "
        "(did you mean 'firms.acme.stockout_days'?)"
    )
    assert "--fail-if[2]:1:33: expected a plain number to go with" in err


def test_exit_2_for_bad_inputs_all_at_once(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("bad.yaml").write_text(RANDOM.replace("capacity: 2", "capacity: -1"))
    Path("bad.json").write_text("{")
    code, _, err = cli(capsys, "compare", "base.yaml", "bad.yaml", "bad.json", "x.txt")
    assert code == 2
    lines = err.splitlines()
    assert lines[-1] == "3 problems found"
    assert [line.split(":")[0] for line in lines[:-1]] == ["bad.json", "bad.yaml", "x.txt"]
    assert cli(capsys, "compare", "base.yaml")[0] == 2
    assert cli(capsys, "compare", "base.yaml", "slow.yaml", "--kpi", "nothing.*", "-n", "2")[0] == 2
    assert cli(capsys, "compare", "base.yaml", "slow.yaml", "--out", "x.txt")[0] == 2


def test_exit_3_when_a_run_fails(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reesim.experiment.batches as runner

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "simulate", broken)
    code, _, err = cli(capsys, "compare", "base.yaml", "slow.yaml", "-n", "2")
    assert code == 3
    assert "replication 0 (root seed 1) failed: RuntimeError: boom" in err


def test_saved_results_and_mixing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, source, seed in (("a", "base", "3"), ("b", "slow", "4"), ("c", "slow", "3")):
        assert (
            cli(
                capsys,
                "run",
                f"{source}.yaml",
                "-n",
                "6",
                "--seed",
                seed,
                "-q",
                "-o",
                f"{name}.json",
                "--keep-replications",
            )[0]
            == 0
        )
    code, out, _ = cli(capsys, "compare", "a.json", "b.json", "c.json", "slow.yaml", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "reesim-compare" and doc["schema_version"] == 1
    assert [(c["candidate"], c["pairing"]) for c in doc["comparisons"]] == [
        ("b", "welch"),
        ("c", "paired"),
        ("slow", "paired"),  # run with a.json's seed and replications
    ]
    assert doc["inputs_changed"] == [
        {
            "path": "authority.review.time.mean",
            "values": {"a": "10wd", "b": "12wd", "c": "12wd", "slow": "12wd"},
        }
    ]
    c, slow = doc["comparisons"][1]["kpis"], doc["comparisons"][2]["kpis"]
    assert c == slow  # the saved run and the fresh one are the same run
    code, _, err = cli(
        capsys, "compare", "a.json", "b.json", "--set", "authority.review.capacity=3"
    )
    assert code == 2 and "a.json is a saved result" in err


def test_filters_quiet_out_and_markdown_width(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = cli(
        capsys, "compare", "base.yaml", "more.yaml", "-n", "4", "--changed-only", "-f", "json"
    )
    shown = [k["name"] for k in json.loads(out)["comparisons"][0]["kpis"]]
    assert "materials.magnet.exports_kg" in shown
    assert "authority.backlog_max" not in shown  # identical in every replication
    code, out, _ = cli(
        capsys,
        "compare",
        "base.yaml",
        "more.yaml",
        "-n",
        "4",
        "--kpi",
        "firms.*.stockout_*",
        "-f",
        "json",
    )
    shown = [k["name"] for k in json.loads(out)["comparisons"][0]["kpis"]]
    assert shown == ["firms.acme.stockout_days", "firms.acme.stockout_probability"]
    assert cli(capsys, "compare", "base.yaml", "slow.yaml", "-n", "2", "-q", "-o", "r/c.md") == (
        0,
        "",
        "",
    )
    assert Path("r/c.md").read_text().startswith("### reesim compare: slow against base\n")
    monkeypatch.setenv("COLUMNS", "40")
    narrow = cli(capsys, "compare", "base.yaml", "slow.yaml", "-n", "3", "-f", "markdown")[1]
    monkeypatch.setenv("COLUMNS", "250")
    wide = cli(capsys, "compare", "base.yaml", "slow.yaml", "-n", "3", "-f", "markdown")[1]
    assert narrow == wide


def test_streamed_pairs_equal_pairs_of_kept_replications(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scenario files fold their paired differences as they run, keeping nothing per
    replication; the result is the same as pairing saved results that kept every value, and
    the same for any -j."""
    keep = ("-n", "12", "--seed", "5", "-q", "--keep-replications")
    assert cli(capsys, "run", "base.yaml", *keep, "-o", "a.json")[0] == 0
    assert cli(capsys, "run", "slow.yaml", *keep, "-o", "b.json")[0] == 0
    rows = {}
    for name, argv in {
        "saved": ("a.json", "b.json"),
        "streamed": ("base.yaml", "slow.yaml", "-n", "12", "--seed", "5"),
        "streamed -j 2": ("base.yaml", "slow.yaml", "-n", "12", "--seed", "5", "-j", "2"),
    }.items():
        code, out, err = cli(capsys, "compare", *argv, "-f", "json")
        assert code == 0, err
        (comparison,) = json.loads(out)["comparisons"]
        assert comparison["pairing"] == "paired"
        rows[name] = {
            k["name"]: (k["delta"], k["ci_low"], k["ci_high"], k["method"])
            for k in comparison["kpis"]
        }
    assert rows["streamed"] == rows["saved"] == rows["streamed -j 2"]
    assert rows["saved"]["firms.acme.stockout_probability"][3] == "newcombe-paired"
    assert rows["saved"]["firms.acme.stockout_days"][3] == "t"


def test_saved_results_without_replications_compare_unpaired_and_say_why(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("base", "slow"):
        assert cli(capsys, "run", f"{name}.yaml", "-n", "6", "-q", "-o", f"{name}.json")[0] == 0
    code, out, _ = cli(capsys, "compare", "base.json", "slow.json", "-f", "json")
    assert code == 0
    (comparison,) = json.loads(out)["comparisons"]
    assert comparison["pairing"] == "welch"
    assert (
        "did not keep its replications (run it with --keep-replications to pair)"
        in (comparison["reason"])
    )
