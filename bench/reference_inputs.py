"""Reading a scenario YAML for the hand-written daily-tick model (no reesim imports).

An analyst who writes a model of one scenario by hand still wants to read its numbers from the
file rather than copy them: this module turns the strings the file uses ('30wd', '13w', '6mo',
'1.5 kg', '15 t/mo') into days and kilograms, builds samplers for its distributions, and applies
the timeline's dotted paths (``authority.outcomes[2].deny``) to the raw document. Whatever the
daily-tick model does not implement is refused with `Unsupported`, never silently ignored.
"""

from __future__ import annotations

import math
import random
import re
from statistics import NormalDist
from typing import Any

DAYS_PER = {"d": 1.0, "w": 7.0, "mo": 365.25 / 12, "y": 365.25, "yr": 365.25}
KG_PER = {"g": 1e-3, "kg": 1.0, "t": 1e3}
_AMOUNT = re.compile(r"\s*([-+0-9.eE]+)\s*([A-Za-z]*)\s*$")
_RATE = re.compile(r"\s*([-+0-9.eE]+)\s*([A-Za-z]+)\s*/\s*([A-Za-z]+)\s*$")


class Unsupported(ValueError):
    """The scenario uses something the reference model does not implement."""


def _amount(x: Any) -> tuple[float, str]:
    if isinstance(x, int | float):
        return float(x), ""
    m = _AMOUNT.match(str(x))
    if not m:
        raise ValueError(f"cannot read {x!r}")
    return float(m.group(1)), m.group(2)


def duration(x: Any) -> tuple[float, str]:
    """A duration as (value, 'd') in calendar days or (value, 'wd') in working days."""
    value, unit = _amount(x)
    if unit == "wd":
        return value, "wd"
    return value * DAYS_PER[unit or "d"], "d"


def days(x: Any) -> float:
    """A calendar duration in days."""
    value, unit = duration(x)
    if unit != "d":
        raise Unsupported(f"expected calendar days, got {x!r}")
    return value


def kg(x: Any) -> float:
    value, unit = _amount(x)
    return value * KG_PER[unit or "kg"]


def kg_per_day(x: Any) -> float:
    if isinstance(x, int | float):
        return float(x)
    m = _RATE.match(str(x))
    if not m:
        raise ValueError(f"cannot read the rate {x!r}")
    return float(m.group(1)) * KG_PER[m.group(2)] / DAYS_PER[m.group(3)]


def stock_kg(x: Any, use_kg_per_day: float) -> float:
    """A stock given as days of cover ('9w') or as a quantity ('500 t')."""
    value, unit = _amount(x)
    if unit in DAYS_PER or unit == "":
        return value * DAYS_PER[unit or "d"] * use_kg_per_day
    return value * KG_PER[unit]


class Dist:
    """A distribution of durations (or plain numbers): `draw(rng)` gives a value in `unit`
    ('d' calendar days, 'wd' working days, '' a plain number)."""

    def __init__(self, spec: Any, durations: bool = True):
        read = duration if durations else (lambda x: (float(x), ""))
        if not isinstance(spec, dict):
            spec = {"dist": "fixed", "value": spec}
        kind = spec.get("dist", "fixed")
        self.kind = kind
        params = {k: read(v) for k, v in spec.items() if k not in ("dist", "cv")}
        units = {u for _, u in params.values()}
        if len(units) != 1:
            raise ValueError(f"mixed units in {spec!r}")
        self.unit = units.pop()
        p = {k: v for k, (v, _) in params.items()}
        if kind == "fixed":
            self.value = p["value"]
        elif kind == "lognormal":
            cv = spec["cv"] if "cv" in spec else p["sd"] / p["mean"]
            self.sigma = math.sqrt(math.log1p(cv * cv))
            self.mu = math.log(p["mean"]) - self.sigma**2 / 2
        elif kind == "triangular":
            self.low, self.mode, self.high = p["low"], p["mode"], p["high"]
        elif kind == "uniform":
            self.low, self.high = p["low"], p["high"]
        elif kind == "exponential":
            self.mean = p["mean"]
        else:
            raise Unsupported(f"distribution {kind!r}")

    def draw(self, rng: random.Random) -> float:
        kind = self.kind
        if kind == "lognormal":
            return rng.lognormvariate(self.mu, self.sigma)
        if kind == "triangular":
            return rng.triangular(self.low, self.high, self.mode)
        if kind == "fixed":
            return self.value
        if kind == "uniform":
            return rng.uniform(self.low, self.high)
        return rng.expovariate(1.0 / self.mean)

    def upper(self) -> float:
        """A practical upper bound (its one-in-a-million quantile), in its unit."""
        if self.kind == "fixed":
            return self.value
        if self.kind in ("triangular", "uniform"):
            return self.high
        if self.kind == "lognormal":
            return math.exp(self.mu + self.sigma * NormalDist().inv_cdf(1 - 1e-6))
        return -self.mean * math.log(1e-6)


def share_triple(rule: dict[str, Any]) -> tuple[float, float]:
    """(approve, deny) of an outcome rule, one of approve/deny/return possibly 'rest'."""
    values = {k: rule.get(k, 0.0) for k in ("approve", "deny", "return")}
    rest = [k for k, v in values.items() if v == "rest"]
    if rest:
        values[rest[0]] = 1.0 - sum(float(v) for k, v in values.items() if k != rest[0])
    return float(values["approve"]), float(values["deny"])


_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` (``a.b[2].c``) in `doc` to `value`, in place."""
    steps: list[str | int] = []
    for part in path.split("."):
        m = _STEP.fullmatch(part)
        if not m:
            raise ValueError(f"cannot read the path {path!r}")
        steps.append(m.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    node: Any = doc
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value
