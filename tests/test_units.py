from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reesim.scenario.units import (
    DAYS_PER_MONTH,
    DAYS_PER_WEEK,
    MAX_WORKING_DAYS,
    Duration,
    format_kg,
    parse_duration,
    parse_magnitude,
    parse_quantity_kg,
    parse_rate_kg_per_day,
    parse_stock,
)

DURATION_LIKE = "expected a duration like '45wd', '6w', '3mo' or a number of days, got "
QUANTITY_LIKE = "expected a quantity like '2.5 t', '300 kg' or a number of kg, got "
RATE_LIKE = "expected a rate like '2.5 t/mo', '10 kg/d' or a number of kg per day, got "
STOCK_LIKE = "expected a stock like '90d', '6w', '2mo' of cover or a quantity like '500 t', got "


def raises_exactly(message: str) -> Any:
    """pytest.raises on the whole message, not a regex search inside it."""
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


def test_constants() -> None:
    assert DAYS_PER_MONTH * 12 == 365.25
    assert DAYS_PER_WEEK == 7.0


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("45wd", 45, "wd"),
        ("45 wd", 45, "wd"),
        ("6w", 6, "w"),
        ("3mo", 3, "mo"),
        ("10d", 10, "d"),
        ("1.5mo", 1.5, "mo"),
        (".5w", 0.5, "w"),
        ("1e1d", 10, "d"),
        ("  7 d ", 7, "d"),
        ("0d", 0, "d"),
        ("-0d", 0, "d"),
        ("12", 12, "d"),
        (12, 12, "d"),
        (2.5, 2.5, "d"),
        (0, 0, "d"),
        ("1y", 12, "mo"),
        ("1yr", 12, "mo"),
        ("0.5y", 6, "mo"),
    ],
)
def test_parse_duration(text: object, value: float, unit: str) -> None:
    duration = parse_duration(text)
    assert duration == Duration(value, unit)  # type: ignore[arg-type]
    assert isinstance(duration.value, float)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", DURATION_LIKE + "'abc'"),
        ("", DURATION_LIKE + "''"),
        ("wd", DURATION_LIKE + "'wd'"),
        ("3 w d", DURATION_LIKE + "'3 w d'"),
        ("1e999d", DURATION_LIKE + "'1e999d'"),
        (None, DURATION_LIKE + "None"),
        ([3], DURATION_LIKE + "[3]"),
        (float("inf"), DURATION_LIKE + "inf"),
        (float("nan"), DURATION_LIKE + "nan"),
        (True, DURATION_LIKE + "True"),
        (False, DURATION_LIKE + "False"),
        ("-3d", "expected a non-negative duration, got '-3d'"),
        (-1, "expected a non-negative duration, got -1"),
        ("3xd", "expected a duration unit d, wd, w, mo or y, got 'xd'"),
        ("3WD", "expected a duration unit d, wd, w, mo or y, got 'WD'"),
    ],
)
def test_parse_duration_errors(bad: object, message: str) -> None:
    with raises_exactly(message):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(45, "wd"), "45wd"),
        (Duration(6.0, "w"), "6w"),
        (Duration(2.5, "mo"), "2.5mo"),
        (Duration(10, "d"), "10d"),
        (Duration(0, "d"), "0d"),
        (Duration(1e-7, "d"), "1e-07d"),
    ],
)
def test_duration_str(duration: Duration, text: str) -> None:
    assert str(duration) == text


@given(
    value=st.floats(min_value=0, max_value=MAX_WORKING_DAYS, allow_nan=False),
    unit=st.sampled_from(["d", "wd", "w", "mo"]),
)
def test_duration_str_parses_back_exactly(value: float, unit: str) -> None:
    duration = Duration(value, unit)  # type: ignore[arg-type]
    assert parse_duration(str(duration)) == duration


def test_calendar_days() -> None:
    assert Duration(10, "d").calendar_days() == 10
    assert Duration(2, "w").calendar_days() == 14
    assert Duration(3, "mo").calendar_days() == pytest.approx(3 * 365.25 / 12)
    assert parse_duration("1y").calendar_days() == pytest.approx(365.25)
    with raises_exactly(
        "expected a calendar duration in d, w or mo (working days need a calendar), got '45wd'"
    ):
        Duration(45, "wd").calendar_days()


def test_is_working_days() -> None:
    assert Duration(1, "wd").is_working_days
    assert not any(Duration(1, u).is_working_days for u in ("d", "w", "mo"))


def test_duration_rejects_invalid_construction() -> None:
    with raises_exactly("expected a non-negative duration, got -1"):
        Duration(-1, "d")
    with raises_exactly("expected a duration unit d, wd, w or mo, got 'y'"):
        Duration(1, "y")  # type: ignore[arg-type]
    with raises_exactly("expected a finite number, got True"):
        Duration(True, "d")


# --- quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("2.5 t", 2500),
        ("300kg", 300),
        ("1.2e3 kg", 1200),
        ("5 g", 0.005),
        ("0 t", 0),
        ("42", 42),
        (42, 42),
        (0.5, 0.5),
    ],
)
def test_parse_quantity_kg(text: object, kg: float) -> None:
    assert parse_quantity_kg(text) == pytest.approx(kg, rel=1e-15)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", QUANTITY_LIKE + "'abc'"),
        (None, QUANTITY_LIKE + "None"),
        (True, QUANTITY_LIKE + "True"),
        ("-3 t", "expected a non-negative quantity, got '-3 t'"),
        (-0.5, "expected a non-negative quantity, got -0.5"),
        ("3 lb", "expected a quantity unit g, kg or t, got 'lb'"),
        ("3 T", "expected a quantity unit g, kg or t, got 'T'"),
    ],
)
def test_parse_quantity_errors(bad: object, message: str) -> None:
    with raises_exactly(message):
        parse_quantity_kg(bad)


# --- rates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kg_per_day"),
    [
        ("2.5 t/mo", 2500 / DAYS_PER_MONTH),
        ("10 kg/d", 10),
        ("1 t/w", 1000 / 7),
        ("12 t/y", 12000 / 365.25),
        ("3 t/yr", 3000 / 365.25),
        ("500g / d", 0.5),
        (7, 7),
        (0, 0),
    ],
)
def test_parse_rate(text: object, kg_per_day: float) -> None:
    assert parse_rate_kg_per_day(text) == pytest.approx(kg_per_day, rel=1e-15)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", RATE_LIKE + "'abc'"),
        ("10 kg", RATE_LIKE + "'10 kg'"),
        ("10 /d", RATE_LIKE + "'10 /d'"),
        (True, RATE_LIKE + "True"),
        ("-1 t/mo", "expected a non-negative rate, got '-1 t/mo'"),
        (-2, "expected a non-negative rate, got -2"),
        ("1 lb/d", "expected a quantity unit g, kg or t, got 'lb'"),
        ("1 t/wd", "expected a rate time unit d, w, mo or y, got 'wd'"),
        ("1 t/h", "expected a rate time unit d, w, mo or y, got 'h'"),
    ],
)
def test_parse_rate_errors(bad: object, message: str) -> None:
    with raises_exactly(message):
        parse_rate_kg_per_day(bad)


# --- stockpiles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stock"),
    [
        ("90d", Duration(90, "d")),
        ("6w", Duration(6, "w")),
        ("2mo", Duration(2, "mo")),
        ("1y", Duration(12, "mo")),
        ("500 t", 500_000.0),
        ("250kg", 250.0),
        (250, 250.0),
        ("250", 250.0),
    ],
)
def test_parse_stock(text: object, stock: Duration | float) -> None:
    parsed = parse_stock(text)
    assert parsed == stock
    assert type(parsed) is type(stock)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", STOCK_LIKE + "'abc'"),
        (True, STOCK_LIKE + "True"),
        (None, STOCK_LIKE + "None"),
        ("10wd", "expected stock cover in calendar units d, w, mo or y, got '10wd'"),
        ("5 xx", "expected a stock unit d, w, mo, y, g, kg or t, got 'xx'"),
        ("-5 t", "expected a non-negative stock, got '-5 t'"),
        ("-5d", "expected a non-negative stock, got '-5d'"),
    ],
)
def test_parse_stock_errors(bad: object, message: str) -> None:
    with raises_exactly(message):
        parse_stock(bad)


# --- bools and display ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "parse", [parse_duration, parse_quantity_kg, parse_rate_kg_per_day, parse_stock]
)
@pytest.mark.parametrize("flag", [True, False])
def test_bools_are_never_numbers(parse: object, flag: bool) -> None:
    # YAML 1.1 reads `yes`/`no` as bools; they must not pass as 1 or 0.
    with pytest.raises(ValueError, match=f"got {flag}$"):
        parse(flag)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kg", "text"),
    [
        (1200, "1.2 t"),
        (1000, "1 t"),
        (350, "350 kg"),
        (2.5, "2.5 kg"),
        (12.34, "12.3 kg"),
        (0, "0 kg"),
        (999.8, "1 t"),
        (1_234_567, "1235 t"),
        (-1500, "-1.5 t"),
        (-0.001, "0 kg"),
    ],
)
def test_format_kg(kg: float, text: str) -> None:
    assert format_kg(kg) == text


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_format_kg_is_close_to_the_value(kg: float) -> None:
    number, unit = format_kg(kg).split()
    shown = float(number) * (1000 if unit == "t" else 1)
    # Three significant figures, or 0.005 kg absolute for tiny values.
    assert math.isclose(shown, kg, rel_tol=5e-3 + 1e-12, abs_tol=5e-3 + 1e-12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (3, (3.0, "")),
        ("45wd", (45.0, "wd")),
        ("6w", (6.0, "w")),
        ("2 t", (2000.0, "kg")),
        ("1 t/d", (1000.0, "kg/d")),
    ],
)
def test_parse_magnitude_keeps_the_unit_values_compare_in(text: object, expected: tuple) -> None:
    assert parse_magnitude(text) == expected


@pytest.mark.parametrize("bad", [True, "lots", "3 parsecs"])
def test_parse_magnitude_rejects_what_has_no_magnitude(bad: object) -> None:
    with pytest.raises(ValueError, match="expected a number or a value with a unit"):
        parse_magnitude(bad)
