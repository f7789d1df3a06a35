"""The gate language: every form on a hand-made comparison with known numbers, errors with their
positions, gates files, and the parser on random text (hypothesis)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reesim.errors import ScenarioError
from reesim.results.compare import Comparison, compare_results
from reesim.results.gates import (
    GateError,
    Origin,
    bind,
    bind_gates,
    check,
    gate_from_text,
    load_gates,
    parse,
)
from reesim.results.names import kpi_unit
from reesim.results.result import Kpi, Provenance, RunResult
from reesim.results.stats import summarize

nan = math.nan
BASE = {
    "firms.a.stockout_days": [1.0, 2.0, 3.0, 4.0],
    "firms.a.production_lost_pct": [10.0, 10.0, 12.0, 12.0],
    "firms.a.stockout_probability": [0.0, 1.0, 1.0, 0.0],
    "firms.a.first_stockout_day": [nan, nan, nan, nan],
    "firms.eu-b.stockout_days": [1.0, 1.0, 1.0, 1.0],
    "materials.m.exports_kg": [0.0, 0.0, 0.0, 0.0],
    "authority.applications": [5.0, 6.0, 5.0, 6.0],
}
CAND = {
    "firms.a.stockout_days": [2.0, 4.0, 3.5, 5.5],  # mean 3.75, Δ 1.25 [0.22, 2.28]
    "firms.a.production_lost_pct": [12.0, 13.0, 14.0, 15.0],  # Δ 2.5 points
    "firms.a.stockout_probability": [1.0, 1.0, 1.0, 0.0],  # 0.75, Δ 0.25
    "firms.a.first_stockout_day": [nan, nan, nan, nan],  # applies in no replication
    "firms.eu-b.stockout_days": [2.0, 2.0, 2.0, 2.0],
    "materials.m.exports_kg": [0.0, 0.0, 1.0, 0.0],  # from 0: no relative change
    "authority.applications": [5.0, 6.0, 5.0, 6.0],  # identical
}
UNITS = {name: kpi_unit(name) for name in BASE}


def result(values: dict[str, list[float]]) -> RunResult:
    kpis = {
        name: Kpi(name, kpi_unit(name), summarize(np.array(v)), tuple(v))
        for name, v in values.items()
    }
    provenance = Provenance("0", "toy", "toy.yaml", "0" * 64, (), 1, (0, 1, 2, 3), 0.0, "")
    return RunResult(provenance, (), kpis, {}, (0,) * 4, ())


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare_results(result(BASE), result(CAND), baseline_label="b", candidate_label="c")


def outcome(expr: str, comparison: Comparison) -> str:
    gate = gate_from_text(expr, Origin("--fail-if[1]", inline=True))
    [bound] = bind_gates([gate], UNITS)
    return check(bound, comparison).status


# (expression, status): "fail" means the expression is true.
FORMS = [
    # statistics of the candidate; a bare KPI is its mean
    ("firms.a.stockout_days.mean > 3.7", "fail"),
    ("firms.a.stockout_days > 3.8", "pass"),
    ("firms.a.stockout_days.n == 4", "fail"),
    ("firms.a.stockout_days.p50 == 3.75", "fail"),
    ("abs(firms.a.stockout_days.p5 - 2.225) < 1e-9", "fail"),
    ("abs(firms.a.stockout_days.p95 - 5.275) < 1e-9", "fail"),
    ("firms.a.stockout_days.std > 1.443 and firms.a.stockout_days.std < 1.444", "fail"),
    ("firms.a.stockout_days.ci_low > 1.45 and firms.a.stockout_days.ci_high < 6.05", "fail"),
    ("firms.a.stockout_probability.mean == 0.75", "fail"),
    ("`firms.eu-b.stockout_days`.mean == 2", "fail"),
    ("`firms.eu-b.stockout_days.p95` == 2", "fail"),
    # the baseline, differences and relative changes
    ("baseline(firms.a.stockout_days) == 2.5", "fail"),
    ("baseline(firms.a.stockout_days.p50) == 2.5", "fail"),
    ("delta(firms.a.stockout_days) == 1.25", "fail"),
    ("delta(firms.a.stockout_days.p50) == 1.25", "fail"),
    ("rel(firms.a.stockout_days) == 50%", "fail"),
    ("rel(firms.a.stockout_days) == 0.5", "fail"),
    ("rel(firms.a.stockout_days) > 50%", "pass"),
    ("rel(firms.a.stockout_days.p50) == 0.5", "fail"),
    # significance
    ("significant(firms.a.stockout_days)", "fail"),
    ("significant(authority.applications)", "pass"),
    ("not significant(authority.applications)", "fail"),
    ("significant(firms.a.stockout_days) != false", "fail"),
    ("significant(firms.a.stockout_days) == (1 > 0)", "fail"),
    # tolerances: absolute, relative, percentage points
    ("abs(delta(firms.a.stockout_days)) <= 0.5", "pass"),
    ("abs(-delta(firms.a.stockout_days)) > 1", "fail"),
    ("abs(delta(firms.a.stockout_days)) <= 5% * baseline(firms.a.stockout_days)", "pass"),
    ("abs(delta(firms.a.stockout_days)) <= 50% * baseline(firms.a.stockout_days)", "fail"),
    ("abs(rel(firms.a.stockout_days)) > 49%", "fail"),
    ("delta(firms.a.production_lost_pct) > 2%", "fail"),  # points: 2.5 > 2
    ("delta(firms.a.production_lost_pct) > 3%", "pass"),
    ("delta(firms.a.production_lost_pct) > 2", "fail"),
    ("firms.a.stockout_probability > 70%", "fail"),  # a share: 0.75 > 0.70
    ("firms.a.stockout_probability > 80%", "pass"),
    ("delta(firms.a.stockout_probability) > 20%", "fail"),
    ("max(delta(firms.a.production_lost_pct), 3%) == 3", "fail"),  # points, through max
    # arithmetic, logic, precedence
    ("min(3, 1, 2) == 1 and max(1, 2, 3) == 3", "fail"),
    ("(1 + 2) * 3 == 9", "fail"),
    ("10 / 4 == 2.5 and 1 - 2 - 3 == -4 and 2 * 3 + 1 == 7 and -2 * -2 == 4", "fail"),
    ("not 1 > 2 and 2 > 3", "pass"),
    ("true or false and false", "fail"),
    ("(true or false) and false", "pass"),
    ("1e2 == 100 and .5 == 0.5 and 5% == 0.05", "fail"),
    # undefined values fail, unless a guard short-circuits them
    ("firms.a.first_stockout_day.mean < 60", "undefined"),
    ("firms.a.first_stockout_day.n > 0 and firms.a.first_stockout_day.mean < 60", "pass"),
    ("firms.a.first_stockout_day.n == 0 or firms.a.first_stockout_day.mean < 60", "fail"),
    ("rel(materials.m.exports_kg) > 5%", "fail"),  # from 0: +inf
    ("rel(materials.m.exports_kg) < 1e300", "pass"),
    ("rel(firms.a.first_stockout_day) > 0", "undefined"),
    ("delta(materials.m.exports_kg) > 0.2", "fail"),
    ("1 / 0 > 1", "undefined"),
    ("1e308 * 1e308 > 1", "undefined"),  # an overflow has no value, as a division by zero
    ("1e308 + 1e308 > 1", "undefined"),
    ("rel(materials.m.exports_kg) * 2 > 5%", "fail"),  # infinite operand: stays infinite
    ("significant(firms.a.first_stockout_day)", "undefined"),
]


@pytest.mark.parametrize(("expr", "status"), FORMS, ids=[f for f, _ in FORMS])
def test_every_form(expr: str, status: str, comparison: Comparison) -> None:
    assert outcome(expr, comparison) == status


def test_outcome_lists_the_numbers_behind_it(comparison: Comparison) -> None:
    text = "significant(firms.a.stockout_days) and rel(firms.a.stockout_days) > 10%"
    [gate] = bind_gates([gate_from_text(text, Origin("x"))], UNITS)
    result = check(gate, comparison)
    assert result.failed and result.status == "fail"
    sig, rel = result.observations
    assert (sig.text, sig.value, sig.fn) == (
        "significant(firms.a.stockout_days)",
        True,
        "significant",
    )
    assert sig.interval == pytest.approx((0.2228, 2.2772), abs=1e-3)
    assert (rel.text, rel.value, rel.unit) == ("rel(firms.a.stockout_days)", 0.5, "share")
    undefined = check(
        bind_gates([gate_from_text("firms.a.first_stockout_day < 9", Origin("x"))], UNITS)[0],
        comparison,
    )
    assert undefined.failed and "has no value" in undefined.reason


# (expression, 1-based column, message)
ERRORS = [
    ("delta()", 7, "expected a KPI name, got ')'"),
    ("delta(firms.a.stockout_days) >", 31, "expected a number, a KPI name or '(', got the end"),
    ("(1 > 2", 7, "expected ')' to close the '(' at column 1"),
    ("1 > 2)", 6, "expected the end of the expression, got an unmatched ')'"),
    ("1 < 2 < 3", 7, "expected 'and' or 'or' between comparisons"),
    ("1 && 2", 3, "expected 'and', got '&&'"),
    ("x = 3", 3, "expected '==', got '='"),
    ("delta(x) > 5d", 12, "expected a number without a unit"),
    ("3", 1, "expected a condition such as"),
    ("1 + (2 > 1) > 0", 5, "expected a number with '+', got a condition"),
    ("1 and 2 > 1", 1, "expected a condition (a comparison"),
    ("not 3", 5, "expected a condition"),
    ("foo(x) > 1", 1, "expected a function (delta, rel, significant, baseline, abs, min, max)"),
    ("dleta(x) > 1", 1, "(did you mean 'delta'?)"),
    ("abs(1, 2) > 1", 1, "expected one argument to abs(), got 2"),
    ("max(1) > 1", 1, "expected at least two arguments to max(), got 1"),
    ("delta(1) > 1", 7, "expected a KPI name, got '1'"),
    ("firms. > 1", 6, "expected a name after '.'"),
    ("`unclosed > 1", 1, "expected a closing '`'"),
    ("% > 1", 1, "expected a number before '%'"),
    ("1 > 2 #", 7, "expected an operator, a number or a name, got '#'"),
    ("", 1, "expected a number, a KPI name or '(', got the end of the expression"),
    ("delta(x) > 1e999", 12, "expected a finite number, got 1e999"),
]


@pytest.mark.parametrize(("expr", "col", "message"), ERRORS, ids=[e for e, _, _ in ERRORS])
def test_parse_errors_say_where(expr: str, col: int, message: str) -> None:
    with pytest.raises(GateError) as info:
        parse(expr)
    assert info.value.offset + 1 == col
    assert message in info.value.message


BIND_ERRORS = [
    (
        "firms.a.stockout_dayz.mean > 1",
        1,
        "expected a KPI name, got 'firms.a.stockout_dayz' (did you mean 'firms.a.stockout_days'?)",
    ),
    (
        "firms.a.stockout_days.avg > 1",
        23,
        "expected a statistic (mean, p5, p50, p95, std, ci_low, ci_high, n) after "
        "'firms.a.stockout_days', got 'avg'",
    ),
    ("stockout_days > 1", 1, "(did you mean 'firms.a.stockout_days'?)"),
    ("significant(firms.a.stockout_days.p95)", 35, "expected a KPI in significant()"),
    ("delta(firms.a.stockout_days.n) > 1", 29, "expected a KPI or a KPI's mean"),
    (
        "firms.a.stockout_days > 5%",
        25,
        "expected a plain number to go with 'firms.a.stockout_days' (in d)",
    ),
    ("authority.applications + 1% > 2", 26, "(in count), got a percentage"),
]


@pytest.mark.parametrize(
    ("expr", "col", "message"), BIND_ERRORS, ids=[e for e, _, _ in BIND_ERRORS]
)
def test_name_errors_say_where_and_suggest(expr: str, col: int, message: str) -> None:
    with pytest.raises(GateError) as info:
        bind(parse(expr), UNITS, expr)
    assert info.value.offset + 1 == col
    assert message in info.value.message


def test_gates_file_errors_have_file_line_col(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(
        "gates:\n"
        "  - name: ok\n"
        "    fail_if: delta(firms.a.stockout_days) > 1\n"
        "  - name: quoted\n"
        '    fail_if: "delta(firms.a.stockout_days) >> 1"\n'
        "  - name: block\n"
        "    fail_if: >-\n"
        "      rel(firms.a.stockout_days) > 5% and\n"
        "      delta()\n"
        "  - name: ok\n"
        "    fail_if: 3\n"
        "    colour: red\n"
        "  - description: no expression\n"
        "extra: 1\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_gates(path)
    lines = [f"{p.line}:{p.col}: {p.message.splitlines()[0]}" for p in info.value.problems]
    assert lines == [
        "5:45: expected a number, a KPI name or '(', got '>'",
        "8:7: expected a KPI name, got ')'",  # a folded expression: its start, and a caret
        "10:11: expected each gate name once, got 'ok' again (first in gate 1)",
        "11:14: expected an expression such as 'delta(x) > 2' for fail_if, got 3",
        "12:5: expected one of name, fail_if, description, got 'colour'",
        "13:5: expected an expression such as 'delta(x) > 2' for fail_if, got nothing",
        "14:1: expected the key 'gates', got 'extra'",
    ]
    block = next(p for p in info.value.problems if p.line == 8)
    assert block.message.splitlines()[1:] == [
        "    rel(firms.a.stockout_days) > 5% and delta()",
        "                                              ^",
    ]


def test_gates_file_loads_and_binds_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(
        "gates:\n"
        "  - name: stockouts\n"
        "    fail_if: 'delta(firms.a.stockout_dayz) > 1'\n"
        "    description: more stockout days\n"
        "  - fail_if: significant(firms.a.stockout_days)\n"
    )
    gates = load_gates(path)
    assert [(g.name, g.description) for g in gates] == [
        ("stockouts", "more stockout days"),
        ("significant(firms.a.stockout_days)", ""),
    ]
    with pytest.raises(ScenarioError) as info:
        bind_gates(gates, UNITS)
    [problem] = info.value.problems
    assert (problem.source, problem.line, problem.col) == (str(path), 3, 21)
    for text, message in (
        ("- a\n", "got a list (write the list under 'gates:')"),
        ("gates: []\n", "got an empty list"),
    ):
        path.write_text(text)
        with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_gates(path)
    with pytest.raises(ScenarioError, match="expected a readable gates file, got no such file"):
        load_gates(tmp_path / "missing.yaml")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for text in ("(" * 200 + "1 > 0" + ")" * 200, "not " * 200 + "true", "-" * 200 + "1 > 0"):
        with pytest.raises(GateError, match="levels of nesting"):
            parse(text)
    with pytest.raises(GateError, match="at most 2000 characters"):
        parse("1 > 0 and " * 300 + "true")


GRAMMAR_BITS = st.sampled_from(
    [
        "delta(",
        "rel(",
        "significant(",
        "baseline(",
        "abs(",
        "min(",
        "max(",
        "(",
        ")",
        ",",
        "firms.a.stockout_days",
        "firms.a.stockout_days.p95",
        "firms.a.production_lost_pct",
        "materials.m.exports_kg",
        "firms.x.y",
        "`firms.eu-b.stockout_days`",
        ".mean",
        ".n",
        "1",
        "0",
        "2.5",
        "1e3",
        "%",
        "+",
        "-",
        "*",
        "/",
        "<",
        "<=",
        ">",
        ">=",
        "==",
        "!=",
        "=",
        "and",
        "or",
        "not",
        "true",
        "false",
        " ",
        "#",
        "`",
        ".",
        "&&",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), st.lists(GRAMMAR_BITS, max_size=25).map("".join)))
def test_random_text_parses_binds_and_evaluates_or_is_a_clean_error(text: str) -> None:
    comparison = compare_results(result(BASE), result(CAND))
    try:
        node = parse(text)
        node = bind(node, UNITS, text)
    except GateError as err:
        assert 0 <= err.offset <= len(text)
        assert err.message.startswith("expected")
        return
    gate = gate_from_text(text, Origin("x"))
    [bound] = bind_gates([gate], UNITS)
    assert check(bound, comparison).status in ("pass", "fail", "undefined")


def test_long_chains_are_bounded_in_the_parser_not_a_recursion_error(
    comparison: Comparison,
) -> None:
    # 495 terms fit in the 2,000 characters and nest 495 deep: refused where the 100th '+' is.
    text = " + ".join(["1"] * 495) + " > 0"
    with pytest.raises(GateError, match="at most 100 operations inside one another") as err:
        parse(text)
    assert err.value.offset == text.index("+") + 4 * 99
    # The deepest tree allowed binds and evaluates.
    term = "firms.a.stockout_days"
    assert (
        outcome(" + ".join([term] * 50) + " > 0 and " + " * ".join(["1"] * 47) + " > 0", comparison)
        == "fail"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([" + ", " - ", " * ", " / "]), min_size=1, max_size=480),
    st.sampled_from([" and ", " or "]),
)
def test_any_chain_within_the_length_limit_is_an_outcome_or_a_gate_error(
    ops: list[str], logic: str
) -> None:
    comparison = compare_results(result(BASE), result(CAND))
    arithmetic = "1" + "".join(f"{op}1" for op in ops)
    text = f"{arithmetic} > 0{logic}" + logic.join(["true"] * (len(ops) % 40 + 1))
    try:
        gate = gate_from_text(text, Origin("x"))
    except GateError as err:
        assert err.message.startswith("expected")
        return
    [bound] = bind_gates([gate], UNITS)
    assert check(bound, comparison).status in ("pass", "fail", "undefined")
