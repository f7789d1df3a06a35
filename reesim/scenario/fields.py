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


DurationValue = Annotated[
    Duration,
    PlainValidator(_no_bool(units.parse_duration)),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "description": "duration: '10d', '45wd' (working days), '6w', '3mo', '1y'; a number is days",
            "pattern": r"^\s*[0-9.eE+-]+\s*(d|wd|w|mo|y|yr)?\s*$",
        }
    ),
]

KgValue = Annotated[
    float,
    PlainValidator(_no_bool(units.parse_quantity_kg)),
    WithJsonSchema(
        {"type": ["string", "number"], "description": "quantity: '350 kg', '2.5 t'; a number is kg"}
    ),
]

RateKgPerDay = Annotated[
    float,
    PlainValidator(_no_bool(units.parse_rate_kg_per_day)),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "description": "rate: '2.5 t/mo', '10 kg/d', '1 t/w', '12 t/y'; a number is kg/day",
        }
    ),
]

StockValue = Annotated[
    Duration | float,
    PlainValidator(_no_bool(units.parse_stock)),
    PlainSerializer(_stock_to_raw),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "description": "days of cover ('90d', '6w', '2mo') or a quantity ('500 t'; a number is kg)",
        }
    ),
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability or a share of a quantity, in [0, 1]."""

Name = Annotated[str, Field(min_length=1)]
