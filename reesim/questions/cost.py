"""The value of a stock parameter that minimises expected total cost.

Total cost in one replication is the cost of holding the stock the parameter sets, for the whole
horizon (the cost of keeping that reserve: ``holding cost per kg-day x kg x horizon days``), plus
the loss on the production that replication lost (``loss per unit x production_lost_units`` of
the firm). Values are tried on an even grid with common random numbers, so differences in cost
between two values are paired replication by replication. The answer is the value with the
lowest mean cost, with its cost's t-interval, and the *interval of the value*: every value tried
whose paired cost difference from the best is not significant (its interval includes 0) at the
chosen confidence. A wide interval says the cost curve is flat there, which is worth knowing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reesim.questions.parameter import Axis
from reesim.questions.traps import demand_kg_per_day
from reesim.scenario.schema import Scenario

EvaluateCost = Callable[[float, Sequence[int]], Mapping[str, Sequence[float]]]


@dataclass(frozen=True)
class CostPoint:
    x: float
    text: str
    held_kg: float
    costs: tuple[float, ...]
    """Total cost in each replication."""
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class CostSolution:
    axis: Axis
    firm: str
    holding_per_kg_day: float
    loss_per_unit: float
    horizon_days: float
    confidence: float
    points: tuple[CostPoint, ...]
    best: CostPoint
    near_best: tuple[float, float]
    """The least and greatest value tried whose cost is not significantly above the best's."""

    @property
    def replications(self) -> int:
        return sum(len(p.costs) for p in self.points)


def cost_firm(path: str, scenario: Scenario) -> str:
    """The firm a cost question is about: the one the parameter's path names."""
    head, _, rest = path.partition(".")
    firm = rest.split(".", 1)[0]
    if head != "firms" or firm not in scenario.firms:
        raise ValueError(
            f"expected a parameter of one firm (firms.<id>.stockpile.<material> or "
            f"firms.<id>.ordering.level) for the cost mode, got {path!r}"
        )
    return firm


def held_kg(axis: Axis, scenario: Scenario) -> Callable[[float], float]:
    """How many kg a parameter value holds: a mass as it is; days of cover at the planned rate of
    the material the path names (or of all the firm's materials)."""
    firm_id = cost_firm(axis.path, scenario)
    firm = scenario.firms[firm_id]
    last = axis.path.rsplit(".", 1)[-1]
    materials = [last] if last in firm.needs else list(firm.needs)
    rate = sum(demand_kg_per_day(firm, m) for m in materials)

    def kg(x: float) -> float:
        mass = axis.kg(x)
        if mass is not None:
            return mass
        days = axis.days(x)
        if days is None:
            raise ValueError(
                f"expected a stock in kg, t or days of cover for the cost mode, got {axis.text(x)!r}"
            )
        return days * rate

    return kg


def minimise_cost(
    axis: Axis,
    scenario: Scenario,
    evaluate: EvaluateCost,
    holding_per_kg_day: float,
    loss_per_unit: float,
    points: int = 9,
    replications: int = 100,
    confidence: float = 0.95,
) -> CostSolution:
    firm = cost_firm(axis.path, scenario)
    kpi = f"firms.{firm}.production_lost_units"
    kg_of = held_kg(axis, scenario)
    horizon = scenario.horizon_days
    xs = sorted({axis.snap(x) for x in np.linspace(axis.low, axis.high, points)})
    tried = []
    for x in xs:
        lost = np.asarray(evaluate(x, range(replications))[kpi], dtype=float)
        kg = kg_of(x)
        costs = holding_per_kg_day * kg * horizon + loss_per_unit * lost
        mean = float(costs.mean())
        half = _half(costs, confidence)
        tried.append(
            CostPoint(
                x, str(axis.text(x)), kg, tuple(map(float, costs)), mean, mean - half, mean + half
            )
        )
    best = min(tried, key=lambda p: p.mean)
    near = [
        p.x
        for p in tried
        if p is best
        or _half(np.subtract(p.costs, best.costs), confidence)
        >= float(np.mean(np.subtract(p.costs, best.costs)))
    ]
    return CostSolution(
        axis,
        firm,
        holding_per_kg_day,
        loss_per_unit,
        horizon,
        confidence,
        tuple(tried),
        best,
        (min(near), max(near)),
    )


def _half(x: np.ndarray | Sequence[float], confidence: float) -> float:
    """Half-width of the two-sided t-interval of the mean of `x`."""
    from scipy.stats import t as student

    a = np.asarray(x, dtype=float)
    if a.size < 2:
        return math.inf
    std = float(a.std(ddof=1))
    return float(student.ppf(0.5 + confidence / 2, a.size - 1)) * std / math.sqrt(a.size)


def cost_dict(cost: CostSolution) -> dict[str, object]:
    axis = cost.axis
    return {
        "question": "least expected cost",
        "parameter": axis.path,
        "firm": cost.firm,
        "holding_cost_per_kg_day": cost.holding_per_kg_day,
        "loss_per_unit": cost.loss_per_unit,
        "horizon_days": cost.horizon_days,
        "confidence": cost.confidence,
        "answer": cost.best.text,
        "answer_value": cost.best.x,
        "expected_cost": cost.best.mean,
        "expected_cost_interval": [cost.best.low, cost.best.high],
        "value_interval": [axis.text(x) for x in cost.near_best],
        "replications": cost.replications,
        "curve": [
            {
                "value": p.text,
                "x": p.x,
                "held_kg": p.held_kg,
                "mean": p.mean,
                "low": p.low,
                "high": p.high,
                "replications": len(p.costs),
            }
            for p in cost.points
        ],
    }
