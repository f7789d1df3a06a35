"""Units in scenario values: durations, quantities, rates and stockpiles.

Scenario files write dimensioned values as short strings, a number followed by a unit:

    durations   45wd, 6w, 3mo, 10d, 1y      (wd = working days, mo = months; 1y = 12mo)
    quantities  2.5 t, 300kg, 5 g           (stored as kg)
    rates       2.5 t/mo, 10 kg/d, 12 t/y   (stored as kg per calendar day)
    stockpiles  90d of cover, or 500 t

A plain number means the base unit: days for durations, kg for quantities, kg/day for rates.
Working days are kept as their own unit (`Duration`) rather than converted, because turning
them into calendar time needs the authority's working calendar, which this module knows nothing
about. Months are the mean Gregorian month, so 12mo is exactly one mean year.

Every value has a finite range, so that nothing the engine cannot represent or would run forever
on gets past the loader: durations up to `MAX_DURATION_DAYS` (1,000 years: long enough to mean
"never" in a run of at most 100 years) or `MAX_WORKING_DAYS`, quantities up to `MAX_KG` and rates
up to `MAX_KG_PER_DAY`. Both bounds are far beyond any real market (the world mines about 400,000 t
of rare-earth oxides a year) and far inside what floating point resolves.

Every error is a `ValueError` whose message reads ``expected <what>, got <repr of input>``:
callers prefix it with ``file:line:col: dotted.path: `` and show it to users verbatim.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Literal, get_args

from reesim.scenario.numbers import NUMBER_PATTERN, as_real, format_number

DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_WEEK = 7.0

DurationUnit = Literal["d", "wd", "w", "mo"]
DURATION_UNITS: tuple[str, ...] = get_args(DurationUnit)

# Calendar length of each duration unit; working days have none (see the module docstring).
CALENDAR_DAYS: dict[str, float] = {"d": 1.0, "w": DAYS_PER_WEEK, "mo": DAYS_PER_MONTH}
# Years are accepted on input but stored as months, so a Duration has one unit for time spans.
_YEAR_UNITS = ("y", "yr")
_KG_PER_UNIT: dict[str, float] = {"g": 1e-3, "kg": 1.0, "t": 1e3}
_DAYS_PER_YEAR = 12 * DAYS_PER_MONTH
_RATE_DAYS: dict[str, float] = {**CALENDAR_DAYS, "y": _DAYS_PER_YEAR, "yr": _DAYS_PER_YEAR}

MAX_DURATION_DAYS = 365_250.0
"""Longest duration in calendar units: 1,000 years."""
MAX_WORKING_DAYS = 5_000.0
"""Longest duration in working days (about 20 years of five-day weeks): converting working days
needs a table of the calendar's days, which must stay small even on a one-day working week."""
MAX_KG = 1e9
"""Largest quantity: one million tonnes."""
MAX_KG_PER_DAY = 1e7
"""Largest rate: ten thousand tonnes a day."""

_LIMIT_TEXT = {
    "a duration": "1000y",
    "a duration in working days": f"{MAX_WORKING_DAYS:.0f}wd",
    "a quantity": f"{MAX_KG / 1000:.0f} t",
    "a rate": f"{MAX_KG_PER_DAY / 1000:.0f} t/d",
}

_NUMBER = NUMBER_PATTERN
_AMOUNT_RE = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]*)\s*")
_RATE_RE = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]+)\s*/\s*([A-Za-z]+)\s*")

DURATION_LIKE = "a duration like '45wd', '6w', '3mo' or a number of days"
_QUANTITY_LIKE = "a quantity like '2.5 t', '300 kg' or a number of kg"
_RATE_LIKE = "a rate like '2.5 t/mo', '10 kg/d' or a number of kg per day"
_STOCK_LIKE = "a stock like '90d', '6w', '2mo' of cover or a quantity like '500 t'"
_MASS_UNIT_ERROR = "expected a quantity unit g, kg or t, got {!r}"


def _fail(what: str, x: object) -> ValueError:
    shown = repr(x) if len(repr(x)) <= 40 else repr(x)[:37] + "..."
    return ValueError(f"expected {what}, got {shown}")


def _real(x: object) -> float | None:
    """`x` as a finite float if it is a plain number, else None.

    bool is excluded although it is an int subclass: YAML 1.1 reads `yes`/`on` as True, and a
    duration of 1 day nobody wrote is worse than an error.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    value = as_real(x)
    return value if value is not None and math.isfinite(value) else None


def _amount(x: object, what: str) -> tuple[float, str]:
    """Split `x` into (number, unit); unit is '' for a plain number or a unitless string."""
    value = _real(x)
    if value is not None:
        return value, ""
    match = _AMOUNT_RE.fullmatch(x) if isinstance(x, str) else None
    if match is None or not math.isfinite(float(match[1])):
        raise _fail(what, x)
    return float(match[1]), match[2]


def _non_negative(value: float, what: str, x: object) -> float:
    if value < 0:
        raise _fail(f"a non-negative {what}", x)
    return value + 0.0  # folds -0.0 into 0.0 so it prints as '0'


def _at_most(value: float, limit: float, what: str, x: object) -> float:
    if value > limit:
        raise _fail(f"{what} of at most {_LIMIT_TEXT[what]}", x)
    return value


def _check_duration(value: float, unit: str, x: object) -> None:
    """Refuse a duration beyond the longest one of its kind."""
    if unit == "wd":
        _at_most(value, MAX_WORKING_DAYS, "a duration in working days", x)
    else:
        _at_most(value * CALENDAR_DAYS.get(unit, 1.0), MAX_DURATION_DAYS, "a duration", x)


_format_number = format_number


@dataclass(frozen=True)
class Duration:
    """A non-negative span of time in one of the units scenario files use.

    The unit is kept, not normalised to days, so values print back as they were written and
    working days (`wd`) can be converted later against a calendar.
    """

    value: float
    unit: DurationUnit

    def __post_init__(self) -> None:
        if self.unit not in DURATION_UNITS:
            raise _fail("a duration unit d, wd, w or mo", self.unit)
        value = _real(self.value)
        if value is None:
            raise _fail("a finite number", self.value)
        _check_duration(value, self.unit, self.value)
        # Frozen dataclass: object.__setattr__ is the sanctioned way to normalise in __post_init__.
        object.__setattr__(self, "value", _non_negative(value, "duration", self.value))

    def __str__(self) -> str:
        return f"{_format_number(self.value)}{self.unit}"

    @property
    def is_working_days(self) -> bool:
        return self.unit == "wd"

    def calendar_days(self) -> float:
        """Length in calendar days; working days raise since they need a calendar."""
        if self.is_working_days:
            raise _fail(
                "a calendar duration in d, w or mo (working days need a calendar)",
                str(self),
            )
        return self.value * CALENDAR_DAYS[self.unit]


def parse_duration(x: object) -> Duration:
    """Parse '45wd', '45 wd', '6w', '3mo', '10d', '1.5mo', '1y' or a number of days."""
    value, unit = _amount(x, DURATION_LIKE)
    value = _non_negative(value, "duration", x)
    if unit in _YEAR_UNITS:
        value, unit = value * 12, "mo"
    elif unit == "":
        unit = "d"
    elif unit not in DURATION_UNITS:
        raise _fail("a duration unit d, wd, w, mo or y", unit)
    _check_duration(value, unit, x)
    return Duration(value, unit)  # type: ignore[arg-type]  # membership checked above


def parse_quantity_kg(x: object) -> float:
    """Parse '2.5 t', '300kg', '1.2e3 kg', '5 g' or a number of kg, into kg."""
    value, unit = _amount(x, _QUANTITY_LIKE)
    value = _non_negative(value, "quantity", x)
    if unit == "":
        unit = "kg"
    if unit not in _KG_PER_UNIT:
        raise ValueError(_MASS_UNIT_ERROR.format(unit))
    return _at_most(value * _KG_PER_UNIT[unit], MAX_KG, "a quantity", x)


def parse_rate_kg_per_day(x: object) -> float:
    """Parse '2.5 t/mo', '10 kg/d', '1 t/w', '12 t/y' or a number of kg/day, into kg per day.

    Rates per working day are refused: a flow of material runs on calendar time.
    """
    value = _real(x)
    if value is not None:
        return _at_most(_non_negative(value, "rate", x), MAX_KG_PER_DAY, "a rate", x)
    match = _RATE_RE.fullmatch(x) if isinstance(x, str) else None
    if match is None or not math.isfinite(float(match[1])):
        raise _fail(_RATE_LIKE, x)
    value = _non_negative(float(match[1]), "rate", x)
    mass, per = match[2], match[3]
    if mass not in _KG_PER_UNIT:
        raise ValueError(_MASS_UNIT_ERROR.format(mass))
    if per not in _RATE_DAYS:
        raise _fail("a rate time unit d, w, mo or y", per)
    return _at_most(value * _KG_PER_UNIT[mass] / _RATE_DAYS[per], MAX_KG_PER_DAY, "a rate", x)


def parse_stock(x: object) -> Duration | float:
    """Parse a stockpile: days of cover ('90d', '6w', '2mo') or a quantity ('500 t', number = kg).

    Returns a `Duration` for cover (converted to material once demand is known) or kg.
    """
    value, unit = _amount(x, _STOCK_LIKE)
    value = _non_negative(value, "stock", x)
    if unit == "":
        unit = "kg"
    if unit in _KG_PER_UNIT:
        return _at_most(value * _KG_PER_UNIT[unit], MAX_KG, "a quantity", x)
    if unit == "wd":
        # Cover is consumed every calendar day, working or not.
        raise _fail("stock cover in calendar units d, w, mo or y", x)
    if unit in _YEAR_UNITS:
        value, unit = value * 12, "mo"
    if unit in CALENDAR_DAYS:
        _check_duration(value, unit, x)
        return Duration(value, unit)  # type: ignore[arg-type]  # membership checked above
    raise _fail("a stock unit d, w, mo, y, g, kg or t", unit)


def _short(value: float) -> str:
    """About three significant figures, never scientific notation, trailing zeros dropped."""
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_kg(kg: float) -> str:
    """Human display of a mass: '1.2 t' from 1000 kg up, else '350 kg'."""
    # Decide on the rounded text, so 999.8 kg shows as '1 t' rather than '1000 kg'.
    if abs(float(_short(kg))) >= 1000:
        return f"{_short(kg / 1000)} t"
    text = _short(kg)
    return f"{'0' if text == '-0' else text} kg"


def parse_magnitude(x: object) -> tuple[float, str]:
    """A number with the unit it is counted in, so that two values can be compared or sampled
    between: ``(45.0, "wd")`` for ``45wd``, ``(2000.0, "kg")`` for ``2 t``, ``(r, "kg/d")`` for a
    rate, ``(x, "")`` for a plain number. Durations keep their own unit (working days cannot be
    converted without a calendar); quantities and rates are in their base unit."""
    if isinstance(x, bool):
        raise _fail("a number or a value with a unit", x)
    if isinstance(x, int | float):
        value = _real(x)
        if value is None:
            raise _fail("a finite number or a value with a unit", x)
        return value, ""
    for parse, unit in ((parse_duration, ""), (parse_rate_kg_per_day, "kg/d")):
        try:
            parsed = parse(x)
        except ValueError:
            continue
        if isinstance(parsed, Duration):
            return parsed.value, parsed.unit
        return float(parsed), unit
    try:
        return parse_quantity_kg(x), "kg"
    except ValueError:
        raise _fail("a number or a value with a unit", x) from None
