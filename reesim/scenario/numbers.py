"""Numbers in scenario files: finite, within a stated range, never a boolean.

One rule for every number a scenario gives, whatever the field:

* a number is an int or a float as YAML reads it, or the text of a decimal number (``"1e3"``:
  YAML 1.1 reads ``1e3``, without a dot, as text; durations accept ``1e3d`` the same way);
* ``true``/``false`` are not numbers (YAML 1.1 reads ``yes`` and ``on`` as true);
* NaN and infinities are not numbers: they are refused, never carried into a run;
* every number has a range, and its upper bound is finite, so nothing the engine could not
  represent or would run forever on gets past the loader;
* a whole number (a count) is a number with no fractional part: ``3``, ``3.0`` and ``"3e0"``
  are 3, ``2.5`` is an error, and so is ``1e308`` (beyond the range, not "not whole").

`Bounded` is the pydantic marker that applies the rule, e.g.
``Annotated[float, Bounded(ge=0, le=1)]``; `reesim.scenario.fields` names the usual ones
(`Share`, `Count`...). Messages read ``expected <what>, got <input>`` like those of `units`.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

NUMBER_PATTERN = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
"""A decimal number as text: no 'inf', 'nan', underscores or hex (as `units` parses values)."""
_NUMBER_TEXT = re.compile(rf"\s*({NUMBER_PATTERN})\s*")


def format_number(value: float) -> str:
    """Shortest text that reads back as `value`: '45', '2.5', '1e-07', '1000000000'."""
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def as_real(x: object) -> float | None:
    """`x` as a float if it is a number by the rule above (finite or not), else None."""
    if isinstance(x, bool):
        return None
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:  # an int beyond any float: as good as infinite
            return math.inf if x > 0 else -math.inf  # type: ignore[operator]
    if isinstance(x, str):
        match = _NUMBER_TEXT.fullmatch(x)
        if match is not None:
            return float(match[1])  # '1e999' reads as inf, refused as not finite
    return None


@dataclass(frozen=True)
class Bounded:
    """Pydantic metadata: the value is a finite number (or a whole number) in a range.

    `ge`/`gt` give the lower bound (inclusive/exclusive), `le` the upper one (always finite:
    every number has a largest sensible value). Attributes left None are no bound; `docgen`
    reads them to describe the field.
    """

    le: float
    ge: float | None = None
    gt: float | None = None
    whole: bool = False

    def __post_init__(self) -> None:
        if not math.isfinite(self.le):
            raise ValueError("a Bounded number needs a finite upper bound")

    @property
    def noun(self) -> str:
        return "whole number" if self.whole else "number"

    def check(self, x: object) -> float | int:
        """`x` validated: a float (an int when `whole`); ValueError in the house style."""
        value = as_real(x)
        if value is None:
            raise ValueError(f"expected a {self.noun}, got {_shown(x)}")
        if not math.isfinite(value):
            raise ValueError(f"expected a finite {self.noun}, got {_shown(x)}")
        if self.ge is not None and value < self.ge:
            what = (
                f"a non-negative {self.noun}"
                if self.ge == 0
                else f"a {self.noun} >= {format_number(self.ge)}"
            )
            raise ValueError(f"expected {what}, got {_shown(x)}")
        if self.gt is not None and value <= self.gt:
            what = (
                f"a positive {self.noun}"
                if self.gt == 0
                else f"a {self.noun} > {format_number(self.gt)}"
            )
            raise ValueError(f"expected {what}, got {_shown(x)}")
        if value > self.le:
            raise ValueError(
                f"expected a {self.noun} of at most {format_number(self.le)}, got {_shown(x)}"
            )
        if self.whole:
            if not value.is_integer():
                raise ValueError(f"expected a whole number, got {_shown(x)}")
            return int(value)
        return value + 0.0  # folds -0.0 into 0.0

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["maximum"] = self.le
        if self.ge is not None:
            found["minimum"] = self.ge
        if self.gt is not None:
            found["exclusiveMinimum"] = self.gt
        return found


def _shown(x: object) -> str:
    return repr(x) if len(repr(x)) <= 40 else repr(x)[:37] + "..."
