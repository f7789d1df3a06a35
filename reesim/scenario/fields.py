"""Pydantic field types for values with units, so the schema reads like the YAML it validates.

A scenario writes ``45wd``, ``2.5 t/mo`` or ``90d``; the schema stores a `Duration`, kg or kg/day.
Each type serialises back to the text a user would write, so a dumped scenario loads again.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema

from reesim.scenario import units
from reesim.scenario.units import Duration


def _no_bool(parse: Any) -> Any:
    def validate(value: Any) -> Any:
        if isinstance(value, Duration | float) and not isinstance(value, bool):
            return value
        return parse(value)

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
    PlainValidator(_no_bool(units.parse_duration)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(DURATION_SCHEMA),
]

KgValue = Annotated[
    float, PlainValidator(_no_bool(units.parse_quantity_kg)), WithJsonSchema(QUANTITY_SCHEMA)
]

RateKgPerDay = Annotated[
    float, PlainValidator(_no_bool(units.parse_rate_kg_per_day)), WithJsonSchema(RATE_SCHEMA)
]

StockValue = Annotated[
    Duration | float,
    PlainValidator(_no_bool(units.parse_stock)),
    PlainSerializer(_stock_to_raw),
    WithJsonSchema(STOCK_SCHEMA),
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability or a share of a quantity, in [0, 1]."""

Name = Annotated[str, Field(min_length=1)]
