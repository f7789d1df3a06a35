"""Pydantic field types for scenario values, so the schema reads like the YAML it validates and
every field of a kind follows the same rule.

A scenario writes ``45wd``, ``2.5 t/mo`` or ``90d``; the schema stores a `Duration`, kg or kg/day.
Each type serialises back to the text a user would write, so a dumped scenario loads again.

Every type here refuses what the engine cannot run: NaN, infinities, booleans as numbers, values
beyond their documented range (`reesim.scenario.numbers`, `reesim.scenario.units`), dates outside
`FIRST_DATE`..`LAST_DATE`, ids the dotted-path language cannot name, invisible characters in
names. A new field gets the rule by using the type:

    DurationValue, KgValue, RateKgPerDay, StockValue   values with units
    HorizonValue                                        a run's length, 1d..100y
    Share                                               a probability or share, 0..1
    NonNegativeNumber, Count, PositiveCount             plain numbers and whole numbers
    ArrivalsPerDay                                      a Poisson stream's mean arrivals a day
    Bounded(ge=.., le=..)                               any other range: Annotated[float, Bounded(...)]
    DateValue                                           a date in the supported years
    Id, Name, Label                                     keys of mappings, names, optional names
    Destination                                         a country goods go to (an Id)
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, WithJsonSchema

from reesim.scenario import units
from reesim.scenario.numbers import Bounded
from reesim.scenario.units import Duration

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "MAX_ARRIVALS_PER_DAY",
    "MAX_COUNT",
    "MAX_HORIZON_DAYS",
    "MAX_NUMBER",
    "ArrivalsPerDay",
    "Bounded",
    "Count",
    "AGGREGATE_DESTINATIONS",
    "DateValue",
    "Destination",
    "DurationValue",
    "HorizonValue",
    "Id",
    "KgValue",
    "Label",
    "Name",
    "NonNegativeNumber",
    "PositiveCount",
    "RateKgPerDay",
    "Share",
    "StockValue",
    "check_name",
]

MAX_NUMBER = 1e9
"""Largest plain number without a unit of its own (units produced per day, weights...)."""
MAX_COUNT = 1_000_000
"""Largest count (reviewers...)."""
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)
"""Dates a scenario may use, and the last day a run may reach: the calendar, its padding and
month arithmetic stay far inside what `datetime.date` represents (year 9999)."""
MAX_HORIZON_DAYS = 36_525.0
"""Longest run: 100 years."""
MAX_ARRIVALS_PER_DAY = 10_000.0
"""Largest mean number of arrivals (applications...) per day."""
MAX_ID_LENGTH = 100
MAX_NAME_LENGTH = 200


def _parsed(parse: Any) -> Any:
    """Run `parse` on everything but a value of the parsed type itself (a Duration, already
    checked when it was made): plain floats are parsed too, so `.inf` never slips through."""

    def validate(value: Any) -> Any:
        return value if isinstance(value, Duration) else parse(value)

    return validate


def _stock_to_raw(value: Duration | float) -> str | float:
    return str(value) if isinstance(value, Duration) else value


# JSON Schemas of the written form, for editors (`reesim schema`): a non-negative number in the
# base unit, or a string that the parser in `units` accepts. The patterns follow its regexes.
_NUMBER = r"\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_MASS = "(g|kg|t)"
_TIME = "(d|w|mo|y|yr)"


def _written(pattern: str, description: str, examples: list[Any]) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": rf"^\s*{_NUMBER}\s*{pattern}\s*$"},
        ],
        "description": description,
        "examples": examples,
    }


DURATION_SCHEMA = _written(
    "(d|wd|w|mo|y|yr)?",
    "duration: '10d', '45wd' (working days), '6w', '3mo', '1y'; a number is days",
    ["45wd", "6w", "3mo", "10d"],
)
QUANTITY_SCHEMA = _written(
    f"{_MASS}?", "quantity: '350 kg', '2.5 t', '5 g'; a number is kg", ["350 kg", "2.5 t"]
)
RATE_SCHEMA = _written(
    rf"{_MASS}\s*/\s*{_TIME}",
    "rate: '2.5 t/mo', '10 kg/d', '1 t/w', '12 t/y'; a number is kg/day",
    ["2.5 t/mo", "10 kg/d"],
)
STOCK_SCHEMA = _written(
    "(d|w|mo|y|yr|g|kg|t)?",
    "days of cover ('90d', '6w', '2mo'; not working days) or a quantity ('500 t'); a number is kg",
    ["90d", "6w", "500 t"],
)

DurationValue = Annotated[
    Duration,
    PlainValidator(_parsed(units.parse_duration)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(DURATION_SCHEMA),
]

KgValue = Annotated[
    float, PlainValidator(_parsed(units.parse_quantity_kg)), WithJsonSchema(QUANTITY_SCHEMA)
]

RateKgPerDay = Annotated[
    float, PlainValidator(_parsed(units.parse_rate_kg_per_day)), WithJsonSchema(RATE_SCHEMA)
]

StockValue = Annotated[
    Duration | float,
    PlainValidator(_parsed(units.parse_stock)),
    PlainSerializer(_stock_to_raw),
    WithJsonSchema(STOCK_SCHEMA),
]


def _check_horizon(horizon: Duration) -> Duration:
    if horizon.is_working_days:
        raise ValueError(f"expected a horizon in d, w, mo or y, got '{horizon}'")
    days = horizon.calendar_days()
    if days < 1:
        raise ValueError(f"expected a horizon of at least 1d, got '{horizon}'")
    if days > MAX_HORIZON_DAYS:
        raise ValueError(
            f"expected a horizon of at most 100y, got '{horizon}' ({days / 365.25:.6g} years)"
        )
    return horizon


HorizonValue = Annotated[DurationValue, AfterValidator(_check_horizon)]
"""The length of a run: a calendar duration from one day to 100 years."""


def last_day_problem(start: date, horizon_days: float) -> str | None:
    """Why a run from `start` lasting `horizon_days` cannot be simulated, or None: it must
    last at most `MAX_HORIZON_DAYS` and end by `LAST_DATE`."""
    days = math.ceil(horizon_days)
    if days > MAX_HORIZON_DAYS:
        return f"expected a run of at most 100 years ({MAX_HORIZON_DAYS:.0f} days), got {days} days"
    last = start.toordinal() + days - 1
    if last > LAST_DATE.toordinal():
        return (
            f"expected a run ending by {LAST_DATE}, got one from {start} ending "
            f"{date.fromordinal(min(last, date.max.toordinal()))}"
        )
    return None


Share = Annotated[float, Bounded(ge=0.0, le=1.0)]
"""A probability or a share of a quantity, in [0, 1]."""

NonNegativeNumber = Annotated[float, Bounded(ge=0.0, le=MAX_NUMBER)]
"""A plain number >= 0 (at most `MAX_NUMBER`)."""

Count = Annotated[int, Bounded(ge=0, le=MAX_COUNT, whole=True)]
"""A whole number >= 0 (at most `MAX_COUNT`)."""

PositiveCount = Annotated[int, Bounded(ge=1, le=MAX_COUNT, whole=True)]
"""A whole number >= 1 (at most `MAX_COUNT`)."""

ArrivalsPerDay = Annotated[float, Bounded(ge=0.0, le=MAX_ARRIVALS_PER_DAY)]
"""A mean number of arrivals per calendar day (of a Poisson stream)."""


def _check_date(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"expected a date from {FIRST_DATE} to {LAST_DATE}, got {value}")
    return value


DateValue = Annotated[date, AfterValidator(_check_date)]
"""A date from `FIRST_DATE` to `LAST_DATE`."""

ID_SYNTAX = '. [ ] " ` ='
"""Characters an id may not hold: the dotted-path language (--set, timeline, sweeps), KPI names,
gate names and ``--set PATH=VALUE`` use them to separate names."""


def _invisible(ch: str) -> bool:
    """Control, format (zero-width...), unassigned, private-use characters and spaces."""
    return unicodedata.category(ch)[0] in "CZ"


def _char(ch: str) -> str:
    return repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def _check_id(text: str) -> str:
    bad = next((ch for ch in text if ch in ID_SYNTAX.split() or _invisible(ch)), None)
    if bad is not None:
        raise ValueError(
            f"expected an id without spaces, invisible characters or any of {ID_SYNTAX}, "
            f"got {text!r} (with {_char(bad)})"
        )
    if not text or len(text) > MAX_ID_LENGTH:
        raise ValueError(f"expected an id of 1 to {MAX_ID_LENGTH} characters, got {len(text)}")
    return text


def _check_name(text: str) -> str:
    if not text.strip():
        raise ValueError(f"expected a name that is not blank, got {text!r}")
    bad = next((ch for ch in text if ch != " " and _invisible(ch)), None)
    if bad is not None:
        raise ValueError(
            f"expected a name on one line without invisible characters, got {text!r} "
            f"(with {_char(bad)})"
        )
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(
            f"expected a name of at most {MAX_NAME_LENGTH} characters, got {len(text)}"
        )
    return text


def _check_label(text: str) -> str:
    return _check_name(text) if text else text


Id = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "maxLength": MAX_ID_LENGTH, "pattern": r'^[^\s.\[\]"`=]+$'}),
]
"""The id of something a scenario defines (a key of `materials`, `firms`...): what dotted paths,
KPI names and file names are made of."""

AGGREGATE_DESTINATIONS = ("total", "all")
"""Names results give every destination together (`exports.total.<material>`,
`applications.all.approved_share`, see `reesim.results.metrics`): a country of that name would
be merged into the aggregate's series, so none may take one."""


def _check_destination(text: str) -> str:
    if text in AGGREGATE_DESTINATIONS:
        raise ValueError(
            f"expected a destination other than {' and '.join(AGGREGATE_DESTINATIONS)} (the names "
            f"results give every destination together), got {text!r}"
        )
    return text


Destination = Annotated[
    str,
    AfterValidator(_check_id),
    AfterValidator(_check_destination),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_ID_LENGTH,
            "pattern": rf'^(?!({"|".join(AGGREGATE_DESTINATIONS)})$)[^\s.\[\]"`=]+$',
        }
    ),
]
"""Where goods go (a firm's `country`, a background destination): an `Id` that is not one of the
`AGGREGATE_DESTINATIONS`, which KPI and series names use for all destinations together."""

check_name = _check_name
"""ValueError unless the text is a `Name`: for names given outside a scenario file."""

Name = Annotated[str, AfterValidator(_check_name), Field(min_length=1)]
"""A name shown to people: not blank, on one line, no invisible characters."""

Label = Annotated[str, AfterValidator(_check_label)]
"""An optional name: empty, or a `Name`."""
