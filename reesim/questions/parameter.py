"""One parameter searched over a range, in the unit its path takes.

``--range 2w:52w`` searches a stockpile between 2 and 52 weeks of cover, ``500kg:20t`` between
half a tonne and 20 tonnes, ``1 t/mo:8 t/mo`` a rate, ``2:12`` a plain number (whole numbers
stay whole: reviewers are counted). Values are searched on a line in the unit of the range's
low end as written (weeks above), and each candidate is written back in that unit, so the value
a `--set` receives reads as a person would write it (``27.5w``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from reesim.scenario.units import CALENDAR_DAYS

_AMOUNT = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(\s*)(\S.*?)?\s*")
_KG = {"g": 1e-3, "kg": 1.0, "t": 1e3}
SIGNIFICANT = 6


@dataclass(frozen=True)
class Axis:
    """A parameter's search line: `low`..`high` in `unit` (as written, '' for a number)."""

    path: str
    low: float
    high: float
    unit: str = ""
    space: str = ""
    whole: bool = False

    def text(self, x: float) -> Any:
        """The value at `x` as a scenario file would write it."""
        if self.whole:
            return round(x)
        x = float(f"{x:.{SIGNIFICANT}g}")
        if not self.unit:
            return x
        number = str(int(x)) if x.is_integer() else repr(x)
        return f"{number}{self.space}{self.unit}"

    def override(self, x: float) -> str:
        from reesim.scenario.yamlsource import flow_text

        return f"{self.path}={flow_text(self.text(x))}"

    def days(self, x: float) -> float | None:
        """`x` in calendar days when the unit is a calendar duration, else None."""
        return x * CALENDAR_DAYS[self.unit] if self.unit in CALENDAR_DAYS else None

    def kg(self, x: float) -> float | None:
        """`x` in kg when the unit is a mass, else None."""
        return x * _KG[self.unit] if self.unit in _KG else None

    def snap(self, x: float) -> float:
        """`x` as the written value will read back (rounded to whole numbers or 6 digits)."""
        return float(round(x)) if self.whole else float(f"{x:.{SIGNIFICANT}g}")


def parse_range(path: str, text: str) -> Axis:
    """``LOW:HIGH`` into an Axis; ValueError (``expected ..., got ...``) if it is not one."""
    low_text, sep, high_text = text.partition(":")
    if not sep or ":" in high_text:
        raise ValueError(f"expected a range LOW:HIGH such as 2w:52w, got {text!r}")
    (low, lu, ls), (high, hu, _) = _split(low_text), _split(high_text)
    if lu != hu:
        # Two spellings of one kind (500kg:2t, 30d:8w): search in the low end's unit.
        if not any(lu in kind and hu in kind for kind in (_KG, CALENDAR_DAYS)):
            raise ValueError(
                f"expected LOW and HIGH in one unit, got {low_text.strip()!r} and {high_text.strip()!r}"
            )
        high = high * _factor(hu) / _factor(lu)
    if not math.isfinite(low) or not math.isfinite(high) or not low < high:
        raise ValueError(f"expected LOW < HIGH, got {text!r}")
    whole = not lu and _is_int(low_text) and _is_int(high_text)
    return Axis(path, low, high, lu, ls, whole)


def _factor(unit: str) -> float:
    return _KG.get(unit) or CALENDAR_DAYS.get(unit) or 1.0


def _split(text: str) -> tuple[float, str, str]:
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValueError(
            f"expected a number or a value with a unit like '2w', got {text.strip()!r}"
        )
    return float(match[1]), match[3] or "", match[2]


def _is_int(text: str) -> bool:
    return re.fullmatch(r"\s*[+-]?\d+\s*", text) is not None
