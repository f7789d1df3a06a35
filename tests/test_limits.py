"""Every number in a scenario is finite and in a documented range, alone and in combination;
a value the engine could not run is an input error with its position, never a crash, a hang or a
silent NaN. A fuzzer over numbers, units, dates and strings sets hostile values at every kind of
field through --set and checks that each is refused cleanly or runs."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reesim.engine.run import simulate
from reesim.errors import ScenarioError
from reesim.scenario.load import ResolvedScenario, load_text
from tests.conftest import MINIMAL
from tests.watchdog import watchdog


def problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml", overrides)
    return [str(p) for p in info.value.problems]


def edit(old: str, new: str, text: str = MINIMAL) -> str:
    assert old in text
    return text.replace(old, new, 1)


def finite_everywhere(value: Any, where: str = "") -> None:
    """Every number in a model dump is finite."""
    if isinstance(value, dict):
        for k, v in value.items():
            finite_everywhere(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            finite_everywhere(v, f"{where}[{i}]")
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where} = {value} was accepted"


def accepted_runs(resolved: ResolvedScenario) -> None:
    finite_everywhere(resolved.scenario.model_dump())
    for change in resolved.changes:
        finite_everywhere(change.params.model_dump())
    with watchdog(60):
        simulate(resolved, 1, 0)


# --- single values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("stockpile: {magnet: 30d}", "stockpile: {magnet: .inf}", "expected a stock like"),
        ("stockpile: {magnet: 30d}", "stockpile: {magnet: .nan}", "expected a stock like"),
        ("per_unit: 1 kg", "per_unit: .nan", "expected a quantity like"),
        ("per_unit: 1 kg", "per_unit: 1e40 kg", "expected a quantity of at most 1000000 t"),
        ("level: 40d", "level: -.inf", "expected a stock like"),
        ("review_period: 1w", "review_period: .nan", "expected a duration like"),
        ("horizon: 90d", "horizon: .inf", "expected a duration like"),
        ("horizon: 90d", "horizon: 1e308", "expected a duration of at most 1000y"),
        ("horizon: 90d", "horizon: 1000y", "expected a horizon of at most 100y"),
        ("horizon: 90d", "horizon: 1e-320d", "expected a horizon of at least 1d"),
        ("horizon: 90d", "horizon: 20wd", "expected a horizon in d, w, mo or y"),
        ("start: 2025-01-06", "start: 9999-12-31", "expected a date from 1900-01-01 to"),
        ("start: 2025-01-06", "start: 1066-10-14", "expected a date from 1900-01-01 to"),
        ("time: 10wd", "time: 1e308 wd", "expected a duration in working days of at most 5000wd"),
        ("time: 10wd", "time: 5001wd", "expected a duration in working days of at most 5000wd"),
        ("capacity: 2", "capacity: 1e308", "expected a whole number of at most 1000000"),
        ("capacity: 2", "capacity: 2.5", "expected a whole number, got 2.5"),
        ("capacity: 2", "capacity: true", "expected a whole number, got True"),
        ("capacity: 2", "capacity: .nan", "expected a finite whole number"),
        ("return: 0}", "return: 0, partial_share: true}", "expected a number, got True"),
        ("return: 0}", "return: 0, partial_share: .nan}", "expected a finite number"),
        ("units_per_day: 100", "units_per_day: -.inf", "expected a finite number"),
        ("units_per_day: 100", "units_per_day: 1e10", "expected a number of at most 1000000000"),
        ("time: 10wd", "time: {dist: lognormal, mean: 10wd, cv: 50}", "expected a spread of at"),
        ("time: 10wd", "time: {dist: exponential, mean: 4000wd}", "expected draws of at most"),
    ],
)
def test_hostile_values_are_refused_where_written(old: str, new: str, message: str) -> None:
    (line,) = problems(edit(old, new))
    line_no = next(i for i, text in enumerate(edit(old, new).splitlines(), 1) if new in text)
    assert line.startswith(f"s.yaml:{line_no}:")
    assert message in line


@pytest.mark.parametrize(
    ("written", "value"),
    [("3", 3), ("3.0", 3), ("'3'", 3), ("1e3", 1000), ("'2e0'", 2), ("1000000", 1_000_000)],
)
def test_whole_numbers_follow_one_rule(written: str, value: int) -> None:
    # YAML 1.1 reads 1e3 (no dot) as text; a count reads it as a number, like a duration would.
    resolved = load_text(edit("capacity: 2", f"capacity: {written}"))
    assert resolved.scenario.authority.review.capacity == value
    assert type(resolved.scenario.authority.review.capacity) is int


def test_numbers_may_be_written_as_text_like_durations() -> None:
    resolved = load_text(MINIMAL, "s.yaml", ["authority.background.rate_per_day=1e-1"])
    assert resolved.scenario.authority.background.rate_per_day == 0.1
    (line,) = problems(MINIMAL, ("authority.background.rate_per_day=inf",))
    assert line.endswith("expected a number, got 'inf'")


def test_a_one_day_run_is_accepted_and_runs() -> None:
    text = (
        edit("horizon: 90d", "end: 2025-01-06").replace("timeline:", "unused:").split("unused:")[0]
    )
    resolved = load_text(text)
    assert resolved.scenario.horizon_days == 1.0
    assert simulate(resolved, 1, 0).horizon_days == 1.0
    found = problems(edit("horizon: 90d", "end: 2025-01-05"))
    assert found[0] == "s.yaml:1:1: expected end on or after start 2025-01-06, got 2025-01-05"


def test_a_run_must_end_by_the_last_supported_date() -> None:
    line, timeline = problems(edit("start: 2025-01-06", "start: 2199-12-01"))
    assert timeline.startswith("s.yaml:22:11: timeline[0].date: expected a date from 2199-12-01")
    assert line == (
        "s.yaml:1:1: expected a run ending by 2199-12-31, got one from 2199-12-01 ending 2200-02-28"
    )


# --- values in combination -----------------------------------------------------------------


def test_a_use_the_clock_cannot_resolve_is_refused_at_the_need() -> None:
    # 1e5 kg a unit x 100 units a day = 1e7 kg/d; over 90 days 9e8 kg: within one million t.
    load_text(edit("per_unit: 1 kg", "per_unit: 100 t"))
    (line,) = problems(edit("per_unit: 1 kg", "per_unit: 200 t"))
    assert line.startswith(
        "s.yaml:17:32: firms.acme.needs.magnet.per_unit: expected a use of at most"
    )
    (line,) = problems(edit("per_unit: 1 kg", "per_unit: 1 t"), ("horizon=100y",))
    assert (
        "firms.acme.needs.magnet.per_unit: expected a use of at most 1000000 t over the run" in line
    )


def test_a_random_plan_counts_at_its_far_tail() -> None:
    text = edit("units_per_day: 100", "units_per_day: {dist: exponential, mean: 2000}")
    (line,) = problems(edit("per_unit: 1 kg", "per_unit: 1 t", text))
    assert "expected a use of at most" in line and "27631 units" in line


def test_short_delays_are_bounded_by_the_run() -> None:
    # 90 days / 200,000 = 0.00045 days: a shorter delay would repeat too often to simulate.
    (line,) = problems(edit("review_period: 1w", "review_period: 1e-320"))
    assert line == (
        "s.yaml:19:52: firms.acme.ordering.review_period: expected 0 or a duration of at least "
        "1/200,000 of the run (0.00045d), got '1e-320d'"
    )
    (line,) = problems(MINIMAL, ("authority.review.time={dist: exponential, mean: 0.0001d}",))
    assert line == (
        "--set[1]:1:23: authority.review.time: expected 0 or a duration of at least 1/200,000 of "
        "the run (0.00045d), got a mean of 0.0001d"
    )
    load_text(MINIMAL, "s.yaml", ["authority.review.time=0", "firms.acme.transit=0.005d"])
    (line,) = problems(MINIMAL, ("authority.background.rate_per_day=10000",))
    assert "expected at most 500,000 background applications over the run" in line


def test_timeline_states_are_held_to_the_same_limits() -> None:
    text = edit("authority.controls.magnet: true", "firms.acme.needs.magnet.per_unit: 500 t")
    (line,) = problems(text)
    assert line.startswith(
        "s.yaml:25:45: firms.acme.needs.magnet.per_unit: expected a use of at most 10000 t a day"
    )
    assert line.endswith("(after timeline event 'controls on' on 2025-02-03)")


# --- ids and names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  acme:", "  a.b:", 'firms["a.b"]: expected an id without'),
        ("  acme:", '  "ac\\u200bme":', 'firms["ac\\u200bme"]: expected an id without'),
        ("  acme:", '  "ac\\tme":', 'firms["ac\\u0009me"]: expected an id without'),
        ("  acme:", "  a=b:", "expected an id without"),
        ("  magnet: {}", "  'mag net': {}", "expected an id without"),
        ("country: us", "country: ''", "expected an id"),
        ("name: minimal", "name: '   '", "name: expected a name that is not blank, got '   '"),
        ("name: controls on", 'name: "on\\nagain"', "expected a name on one line"),
    ],
)
def test_ids_and_names_are_refused_when_unusable(old: str, new: str, message: str) -> None:
    found = problems(edit(old, new))
    assert any(message in line for line in found), found


def test_ids_in_any_script_are_fine() -> None:
    text = edit("  acme:", "  特斯拉:").replace("name: minimal", "name: '稀土 :x: [b]'")
    resolved = load_text(text)
    assert list(resolved.scenario.firms) == ["特斯拉"]


# --- every problem at once -----------------------------------------------------------------


def test_a_bad_date_hides_nothing_else() -> None:
    text = edit("start: 2025-01-06", "start: 2025-02-30")
    text = edit("capacity: 2", "capacity: 0", text)
    text = edit("stockpile: {magnet: 30d}", "stockpile: {magnet: 30d, dysprosium: 1 t}", text)
    text = edit("authority.controls.magnet: true", "authority.contrls: 3", text)
    assert problems(text) == [
        "s.yaml:2:8: start: expected a valid date, got '2025-02-30'",
        "s.yaml:9:15: authority.review.capacity: expected a whole number >= 1, got 0",
        "s.yaml:18:42: firms.acme.stockpile.dysprosium: expected a material this firm needs "
        "(magnet), got 'dysprosium'",
        "s.yaml:25:30: authority.contrls: expected one of name, controls, review, outcomes, "
        "resubmit_delay, licence_validity, general_licences, background, customs_delay, got "
        "unknown key 'contrls' (did you mean 'controls'?) (after timeline event 'controls on' "
        "on 2025-02-03)",
    ]


def test_undefined_materials_come_with_schema_errors() -> None:
    text = edit("transit: 2w", "transit: -2w")
    text = edit(
        "needs: {magnet: {per_unit: 1 kg}}",
        "needs: {magnet: {per_unit: 1 kg}, dy: {rate: 1 kg/d}}",
        text,
    )
    found = problems(text)
    assert [line.split(": ", 2)[1] for line in found] == [
        "firms.acme.needs.dy",
        "firms.acme.transit",
    ]


# --- the fuzzer ----------------------------------------------------------------------------

PATHS = [
    "horizon",
    "start",
    "authority.review.capacity",
    "authority.review.time",
    "authority.review.statutory_limit",
    "authority.review.time.mean",
    "authority.outcomes[0].partial_share",
    "authority.outcomes[0].partial_probability",
    "authority.background.rate_per_day",
    "authority.resubmit_delay",
    "authority.licence_validity",
    "firms.acme.production.units_per_day",
    "firms.acme.needs.magnet.per_unit",
    "firms.acme.stockpile.magnet",
    "firms.acme.ordering.review_period",
    "firms.acme.ordering.level",
    "firms.acme.ordering.apply_for",
    "firms.acme.ordering.apply_ahead",
    "firms.acme.transit",
    "smuggling.enforcement",
    "timeline[0].set.authority\\.review\\.capacity",
]
UNITS = ["", "d", "wd", "w", "mo", "y", " kg", " t", " g", " t/d", " kg/mo", " t/y"]
EXTREMES = [0, -0.0, 1, -1, 0.5, 1e-320, 5e-324, 1e-9, 1e9, 1e10, 1e308, -1e308, 10**30, 2**63]

numbers = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
)
values = st.one_of(
    numbers.map(
        lambda x: (
            repr(x)
            if not isinstance(x, float) or math.isfinite(x)
            else {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}[repr(x)]
        )
    ),
    st.tuples(numbers, st.sampled_from(UNITS)).map(lambda p: f"'{p[0]!r}{p[1]}'"),
    st.sampled_from(
        [
            "true",
            "yes",
            "off",
            "null",
            "''",
            "[]",
            "{}",
            "9999-12-31",
            "0001-01-01",
            "2199-12-31",
            "'1e999d'",
            "'.inf'",
            "'nan'",
            "'1_000'",
            "'0x10'",
            "'\u200b'",
            "{dist: lognormal, mean: 1e9, cv: 10}",
            "{dist: exponential, mean: 1e-320}",
            "{dist: empirical, values: [1e308, 1]}",
            "{dist: uniform, low: 0, high: .inf}",
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=values)
def test_any_hostile_value_is_refused_cleanly_or_runs(path: str, value: str) -> None:
    path = path.replace(
        "timeline[0].set.authority\\.review\\.capacity",
        'timeline[0].set["authority.review.capacity"]',
    )
    try:
        resolved = load_text(MINIMAL, "s.yaml", [f"{path}={value}"])
    except ScenarioError as err:
        assert err.problems
        for p in err.problems:
            assert p.source in ("s.yaml", "--set[1]") and p.message.startswith("expected"), p
        event("refused")
        return
    event("accepted")
    accepted_runs(resolved)


def test_the_readme_states_the_limits_in_force() -> None:
    from pathlib import Path

    from reesim.errors import INTERNAL_ERROR
    from reesim.experiment.design import MAX_POINTS
    from reesim.files import MAX_INPUT_BYTES
    from reesim.results.gates.parser import MAX_DEPTH, MAX_TREE_DEPTH
    from reesim.results.gates.tokens import MAX_LENGTH
    from reesim.scenario import distributions, fields, limits, units, yamlsource

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Limits and guarantees")[1].split("\n## ")[0]
    stated = [
        f"0 to 1000y ({units.MAX_DURATION_DAYS:,.0f} days)",
        f"0 to {units.MAX_WORKING_DAYS:.0f}wd",
        f"0 to {units.MAX_KG / 1000:,.0f} t",
        f"0 to {units.MAX_KG_PER_DAY / 1000:,.0f} t/d",
        f"1 to {fields.MAX_COUNT:,}",
        f"0 to {fields.MAX_ARRIVALS_PER_DAY:,.0f} a day",
        f"cv at most {distributions.MAX_CV:g}",
        f"{fields.FIRST_DATE} to {fields.LAST_DATE}",
        f"to {fields.MAX_HORIZON_DAYS / 365.25:.0f} years, ending by {fields.LAST_DATE}",
        f"at least 1/{limits.MAX_REPEATS:,} of the run",
        f"at most\n{limits.MAX_USE_KG / 1000:,.0f} t",
        f"at most {limits.MAX_BACKGROUND_APPLICATIONS:,} applications",
        f"{yamlsource.MAX_NODES:,} YAML nodes and\n{yamlsource.MAX_VALUES:,} values",
        f"at most {MAX_POINTS:,} design points",
        f"at most\n{MAX_LENGTH:,} characters, {MAX_DEPTH} levels of nesting and {MAX_TREE_DEPTH} operations",
        f"| {INTERNAL_ERROR} | an internal error",
    ]
    assert f"at most {MAX_INPUT_BYTES >> 20} MiB" in section
    assert fields.MAX_NUMBER == distributions.MAX_PARAMETER == 1e9 and "0 to 10⁹" in section
    missing = [text for text in stated if text not in section]
    assert not missing, f"README's Limits and guarantees does not say: {missing}"
