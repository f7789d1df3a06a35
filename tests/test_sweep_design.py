"""Design expansion as pure functions: counts, bounds, units, seeds, reproducibility, batches."""

from __future__ import annotations

import datetime
import math
import re

import numpy as np
import pytest

from reesim.experiment.design import (
    Design,
    DesignError,
    DesignSpec,
    Factor,
    Range,
    auto_batch_size,
    expand,
    plan_batches,
    point_key,
    point_seed,
)
from reesim.experiment.sweepfile import parse_vary
from reesim.scenario.yamlsource import flow_text, parse_scalar

TIME = Factor("time", "authority.review.time", range=Range("30wd", "60wd"))
CAPACITY = Factor("capacity", "authority.review.capacity", range=Range(60, 300, log=True))
GRAY = Factor("gray", "smuggling.x", range=Range("1 t/mo", "250 t/mo", log=True))
SHARE = Factor("share", "authority.outcomes[0].approve", range=Range(0, 0.2))
POLICY = Factor("policy", "firms.acme.ordering.policy", ("order_up_to", "reorder_point"))
FACTORS = (TIME, CAPACITY, GRAY, SHARE, POLICY)


def number(value: object, unit: str) -> float:
    assert isinstance(value, str) and value.endswith(unit), value
    return float(value[: -len(unit)])


@pytest.mark.parametrize(
    ("kind", "samples", "count"),
    [
        ("grid", 3, 3 * 3 * 3 * 3 * 2),
        ("random", 17, 17),
        ("lhs", 50, 50),
        ("sobol", 16, 16 * (len(FACTORS) + 2)),
    ],
)
def test_counts(kind: str, samples: int, count: int) -> None:
    assert len(expand(DesignSpec(kind, FACTORS, 1, samples))) == count  # type: ignore[arg-type]


def test_grid_levels_and_zip() -> None:
    grid = expand(DesignSpec("grid", (TIME, POLICY)))
    assert len(grid) == 5 * 2  # five levels of a range by default
    assert [p[0] for p in grid.points[::2]] == ["30wd", "37.5wd", "45wd", "52.5wd", "60wd"]
    levels = Factor("c", "x", range=Range(10, 1000, log=True, levels=3))
    assert [p[0] for p in expand(DesignSpec("grid", (levels,))).points] == [10, 100, 1000]
    zipped = expand(DesignSpec("zip", (TIME, Factor("v", "y", (1, 2, 3)))))
    assert zipped.points == (("30wd", 1), ("45wd", 2), ("60wd", 3))


@pytest.mark.parametrize("kind", ["random", "lhs", "sobol"])
def test_sampled_values_stay_in_bounds_and_keep_units(kind: str) -> None:
    design = expand(DesignSpec(kind, FACTORS, 7, 64))  # type: ignore[arg-type]
    for time, capacity, gray, share, policy in design.points:
        assert 30 <= number(time, "wd") <= 60
        assert isinstance(capacity, int) and 60 <= capacity <= 300  # whole bounds: whole values
        assert 1 <= number(gray, " t/mo") <= 250  # the unit as written, with its space
        assert isinstance(share, float) and 0 <= share <= 0.2
        assert policy in POLICY.values
        assert len(re.sub(r"[^0-9]", "", time.lstrip("0"))) <= 6  # 6 significant digits


def test_lhs_puts_one_point_in_each_stratum() -> None:
    n = 40
    design = expand(DesignSpec("lhs", (TIME, SHARE), 3, n))
    times = np.array([number(p[0], "wd") for p in design.points])
    shares = np.array([p[1] for p in design.points])
    for x, low, high in ((times, 30, 60), (shares, 0, 0.2)):
        strata = np.floor((x - low) / (high - low) * n).clip(0, n - 1)
        assert sorted(strata) == list(range(n))


def test_log_ranges_sample_evenly_in_log_space() -> None:
    design = expand(DesignSpec("random", (CAPACITY, GRAY), 5, 4000))
    gray = np.log(np.array([number(p[1], " t/mo") for p in design.points]))
    assert abs(np.median(gray) - (math.log(1) + math.log(250)) / 2) < 0.2


def test_mixed_spellings_of_a_unit_are_sampled_in_the_base_unit() -> None:
    f = Factor("m", "x", range=Range("500 kg", "2 t"))
    values = [p[0] for p in expand(DesignSpec("random", (f,), 1, 50)).points]
    assert all(500 <= number(v, " kg") <= 2000 for v in values)


def test_designs_are_reproducible_and_seeded() -> None:
    a = expand(DesignSpec("lhs", FACTORS, 11, 20))
    assert a == expand(DesignSpec("lhs", FACTORS, 11, 20))
    assert a.points != expand(DesignSpec("lhs", FACTORS, 12, 20)).points
    sobol = expand(DesignSpec("sobol", FACTORS, 11, 8))
    assert sobol == expand(DesignSpec("sobol", FACTORS, 11, 8))


def test_the_design_round_trips_through_its_saved_form() -> None:
    for kind in ("grid", "lhs", "sobol"):
        design = expand(DesignSpec(kind, FACTORS, 2, 8))  # type: ignore[arg-type]
        again = Design.from_dict(design.to_dict())
        assert again == design
        assert [again.overrides(p) for p in range(len(again))] == [
            design.overrides(p) for p in range(len(design))
        ]


def test_overrides_are_set_assignments_that_read_back() -> None:
    design = expand(DesignSpec("zip", (TIME, Factor("v", "a.b", ([1, "x"], {"k": 1e-7})))))
    assert design.overrides(0) == ("authority.review.time=30wd", "a.b=[1, x]")
    assert design.overrides(1) == ("authority.review.time=60wd", 'a.b={"k": 1.0e-07}')


@pytest.mark.parametrize(
    "value",
    [
        0,
        -3,
        0.1,
        1e-7,
        1e20,
        True,
        None,
        "45wd",
        "yes",
        "1e3",
        "a: b",
        "",
        " x",
        "#c",
        "2 t/mo",
        "0xff",
        "1e-07wd",
        datetime.date(2025, 4, 4),
        "2025-04-04",
        [1, "x", {"a": [2.5, None]}],
    ],
)
def test_flow_text_reads_back_equal(value: object) -> None:
    text = flow_text(value)
    assert parse_scalar(text) == value
    assert "\n" not in text  # one line: a --set override, a cell, a message


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1, "0.1"), (1e-07, "1.0e-07"), ("30wd", "30wd"), ("yes", '"yes"'), ("", '""'),
     ([1, "a b", 2.5], "[1, a b, 2.5]"), ({"a": [1, "z"]}, '{"a": [1, z]}'), (None, "null")],
)  # fmt: skip
def test_flow_text_is_plain_where_yaml_allows(value: object, text: str) -> None:
    assert flow_text(value) == text


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        (DesignSpec("grid", (Factor("f", "x", range=Range(5, 1)),)), "high", "expected low < high"),
        (DesignSpec("grid", (Factor("f", "x", range=Range("1d", "2w")),)), "high", "one unit"),
        (DesignSpec("grid", (Factor("f", "x", range=Range(0, 1, log=True)),)), "low", "low > 0"),
        (DesignSpec("grid", (Factor("f", "x", range=Range(True, 1)),)), "low", "a number"),
        (DesignSpec("sobol", FACTORS, 1, 100), "samples", "power of 2"),
        (DesignSpec("lhs", FACTORS), "samples", "samples"),
        (DesignSpec("zip", (POLICY, Factor("v", "y", (1, 2, 3)))), "factors", "one length"),
        (DesignSpec("grid", ()), "factors", "at least one factor"),
    ],
)
def test_design_errors_say_where(spec: DesignSpec, field: str, message: str) -> None:
    with pytest.raises(DesignError, match=message) as err:
        expand(spec)
    assert err.value.field == field


def test_seeds_come_from_the_design_not_from_scheduling() -> None:
    # common random numbers: every point's replication r runs under the root seed itself
    assert {point_seed(42, p) for p in range(100)} == {42}
    independent = [point_seed(42, p, common_random_numbers=False) for p in range(100)]
    assert len(set(independent)) == 100
    assert independent == [point_seed(42, p, common_random_numbers=False) for p in range(100)]
    assert all(0 <= s < 2**63 for s in independent)
    assert point_key("sha", ["a=1"], 1, []) != point_key("sha", ["a=2"], 1, [])
    assert point_key("sha", ["a=1"], 1, []) != point_key("sha", ["a=1"], 2, [])


def test_batches_cover_every_run_once_in_design_order() -> None:
    seeds = [10, 11, 12, 13]
    batches = list(plan_batches(4, 5, seeds, 3))
    runs = [(r.point, rep, r.seed) for b in batches for r in b for rep in r.replications]
    assert runs == [(p, rep, seeds[p]) for p in range(4) for rep in range(5)]
    assert all(sum(len(r.replications) for r in b) <= 3 for b in batches)
    assert [sum(len(r.replications) for r in b) for b in batches][:-1] == [3] * 6

    done = np.zeros((4, 5), dtype=bool)
    done[0, :] = True
    done[2, 1:4] = True
    left = [
        (r.point, rep)
        for b in plan_batches(4, 5, seeds, 4, done)
        for r in b
        for rep in r.replications
    ]
    assert left == [(p, rep) for p in range(4) for rep in range(5) if not done[p, rep]]


def test_auto_batch_size() -> None:
    assert auto_batch_size(10, 2) == 2
    assert auto_batch_size(1_000_000, 2) == 64
    assert auto_batch_size(0, 8) == 1


@pytest.mark.parametrize(
    ("text", "values", "range_"),
    [
        ("a.b=30wd,45wd,60wd", ("30wd", "45wd", "60wd"), None),
        ("a.b=1, 2.5", (1, 2.5), None),
        ("a.b=[us, de],[jp]", (["us", "de"], ["jp"]), None),
        ("a.b=30d:120d", (), Range("30d", "120d")),
        ("a.b=1:100:log", (), Range(1, 100, True)),
        ("a.b=60d:365d:10", (), Range("60d", "365d", False, 10)),
        ("a.b=1:100:5:log", (), Range(1, 100, True, 5)),
        ("a.b=7", (7,), None),
    ],
)
def test_parse_vary(text: str, values: tuple[object, ...], range_: Range | None) -> None:
    f = parse_vary(text)
    assert (f.path, f.values, f.range) == ("a.b", values, range_)


@pytest.mark.parametrize(
    "text",
    ["a.b", "=1,2", "a.b=", "a..b=1", "a.b=1:2:lin", "a.b=1:2:1", "a.b=1:2:3.5", "a.b=1:2:3:4"],
)
def test_parse_vary_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_vary(text)


def test_vary_levels_make_that_many_grid_values() -> None:
    from reesim.experiment.design import DEFAULT_LEVELS, DesignSpec, expand

    ten = expand(DesignSpec("grid", (parse_vary("a.b=60d:150d:10"),), 1, None))
    assert len(ten) == 10
    assert [ten.overrides(i)[0] for i in (0, 1, 9)] == ["a.b=60d", "a.b=70d", "a.b=150d"]
    default = expand(DesignSpec("grid", (parse_vary("a.b=60d:150d"),), 1, None))
    assert len(default) == DEFAULT_LEVELS


@pytest.mark.parametrize(
    ("spec", "field", "count"),
    [
        (
            DesignSpec("grid", (Factor("a", "a", range=Range(0, 1, levels=10**9)),), 1),
            "levels",
            10**9,
        ),
        (
            DesignSpec(
                "grid",
                (
                    Factor("a", "a", range=Range(0, 1, levels=400)),
                    Factor("b", "b", range=Range(0, 1, levels=400)),
                ),
                1,
            ),
            "factors",
            160_000,
        ),
        (DesignSpec("lhs", (CAPACITY,), 1, 10**12), "samples", 10**12),
        (DesignSpec("sobol", FACTORS[:4], 1, 2**16), "samples", 2**16 * 6),
    ],
    ids=["levels", "grid", "lhs", "sobol"],
)
def test_designs_are_bounded_before_they_are_built(
    spec: DesignSpec, field: str, count: int
) -> None:
    # A billion levels or samples would be built in memory before anything else could fail.
    with pytest.raises(
        DesignError, match=f"expected at most 100,000 design points, got {count:,}"
    ) as err:
        expand(spec)
    assert err.value.field == field
