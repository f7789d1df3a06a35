"""Warnings for the ways a solved answer can mislead.

Each check reads the scenario (at the value found) and the solution, and returns sentences for
a person: nothing here stops a run. The traps, found by users asking the stockpile question:

- an ordering level (or reorder point) below the demand expected over the lead time: the firm
  stops even without any control, whatever its stockpile;
- nothing in transit at the start: the first delivery arrives a lead time after day 0, so a
  stock that does not cover that gap shows a stoppage a running business would not have;
- a risk measured over a horizon shorter than the stock lasts: any stock as long as the
  horizon scores zero risk;
- a target met only at a bound of the range: the answer may lie outside it;
- a response that is not monotone in the parameter on the values tried: bisection assumes it is.
"""

from __future__ import annotations

import math

from reesim.questions.solve import Solution, monotonicity_breaks
from reesim.scenario.schema import EXPORTS, Firm, Scenario
from reesim.scenario.units import CALENDAR_DAYS, Duration

CALENDAR_DAYS_PER_WORKING_DAY = 7.0 / 5.0
"""For expected lead times only: a working day spans 1.4 calendar days on a five-day week."""


def solution_warnings(solution: Solution, scenario: Scenario) -> list[str]:
    """Every trap found, for the scenario at the answer (or at the range's far end)."""
    out = bound_warnings(solution)
    out += monotonicity_warnings(solution)
    for firm_id in firms_concerned(solution.axis.path, scenario):
        firm = scenario.firms[firm_id]
        out += order_level_warnings(scenario, firm_id)
        out += transit_at_start_warnings(scenario, firm_id, firm)
        out += horizon_warnings(scenario, firm_id, firm)
    return out


def firms_concerned(path: str, scenario: Scenario) -> list[str]:
    """The firm a ``firms.<id>...`` path is about, or every firm."""
    head, _, rest = path.partition(".")
    firm = rest.split(".", 1)[0]
    return [firm] if head == "firms" and firm in scenario.firms else sorted(scenario.firms)


# --- days and rates ---------------------------------------------------------------------------
def days_of(unit: str, value: float) -> float:
    if unit == "wd":
        return value * CALENDAR_DAYS_PER_WORKING_DAY
    return value * CALENDAR_DAYS[unit]


def demand_kg_per_day(firm: Firm, material: str) -> float:
    """Planned use of `material` per day at the mean planned output."""
    return firm.needs[material].kg_per_day(float(firm.production.units_per_day.mean()))


def cover_days(amount: Duration | float, rate_kg_per_day: float) -> float:
    """A stock or level as days of cover (inf when nothing is used)."""
    if isinstance(amount, Duration):
        return amount.calendar_days()
    return math.inf if rate_kg_per_day <= 0 else amount / rate_kg_per_day


def lead_time_days(scenario: Scenario, firm: Firm, material: str) -> tuple[float, str]:
    """Expected days from an order to its arrival through the firm's preferred supplier, and
    what that is made of. For controlled exports it counts the review time but not the queue
    before it, so it is a lower estimate."""
    if not firm.suppliers:
        return math.inf, "no supplier"
    supplier = firm.suppliers[0]
    if supplier == EXPORTS:
        transit = days_of(firm.transit.unit, firm.transit.mean())
        parts = [f"transit {transit:.0f} d"]
        total = transit
        customs = scenario.authority.customs_delay.get(material)
        if customs is not None:
            extra = days_of(customs.unit, customs.mean())
            total += extra
            parts.append(f"customs {extra:.0f} d")
        if scenario.authority.is_controlled(material, firm.country):
            review = scenario.authority.review.time
            extra = days_of(review.unit, review.mean())
            total += extra
            parts.append(f"licence review {extra:.0f} d")
        return total, " + ".join(parts)
    if supplier in scenario.producers:
        lead = scenario.producers[supplier].lead_time
        return days_of(lead.unit, lead.mean()), f"producer {supplier} lead time"
    delay = scenario.smuggling.channels[supplier].delay
    return days_of(delay.unit, delay.mean()), f"channel {supplier} delay"


# --- the traps --------------------------------------------------------------------------------
def order_level_warnings(scenario: Scenario, firm_id: str) -> list[str]:
    """Order-up-to level below demand over lead time plus review period, or reorder point below
    demand over the lead time: the position never covers the wait for the next delivery."""
    firm = scenario.firms[firm_id]
    ordering, out = firm.ordering, []
    if not firm.suppliers:
        return []  # it never orders: its ordering policy does not matter
    for material in firm.needs:
        rate = demand_kg_per_day(firm, material)
        if rate <= 0:
            continue
        lead, made_of = lead_time_days(scenario, firm, material)
        if ordering.policy == "order_up_to":
            period = days_of(ordering.review_period.unit, ordering.review_period.value)
            level = cover_days(ordering.level, rate)
            needed, what = lead + period, f"lead time ({made_of}) plus review period {period:.0f} d"
            name = "ordering.level"
        else:
            assert ordering.reorder_point is not None
            level = cover_days(ordering.reorder_point, rate)
            needed, what, name = lead, f"lead time ({made_of})", "ordering.reorder_point"
        if level < needed:
            out.append(
                f"firms.{firm_id}.{name} covers {level:.0f} d of {material} demand, less than "
                f"the expected {what} = {needed:.0f} d: the firm runs short between deliveries "
                "even without any control, whatever its stockpile"
            )
    return out


def starts_with_nothing_in_transit(firm: Firm) -> bool:
    """Whether the firm has no orders in transit on day 0.

    The engine starts every firm with nothing on order. A scenario field for orders in
    transit at the start (``ordering.warm_start``) is planned; once it exists, this reads it.
    """
    warm_start = getattr(firm.ordering, "warm_start", None)
    return not warm_start


def transit_at_start_warnings(scenario: Scenario, firm_id: str, firm: Firm) -> list[str]:
    if not firm.suppliers or not starts_with_nothing_in_transit(firm):
        return []
    out = []
    for material, stock in sorted(firm.stockpile.items()):
        rate = demand_kg_per_day(firm, material)
        if rate <= 0:
            continue
        cover = cover_days(stock, rate)
        lead, made_of = lead_time_days(scenario, firm, material)
        if cover < lead:
            out.append(
                f"firms.{firm_id} starts with nothing in transit: its first {material} delivery "
                f"arrives after about {lead:.0f} d ({made_of}) but its stock covers {cover:.0f} "
                "d, so every replication includes a start-up gap a running business would not have"
            )
    return out


def horizon_warnings(scenario: Scenario, firm_id: str, firm: Firm) -> list[str]:
    out = []
    horizon = scenario.horizon_days
    for material, stock in sorted(firm.stockpile.items()):
        cover = cover_days(stock, demand_kg_per_day(firm, material))
        if cover >= horizon:
            out.append(
                f"firms.{firm_id}.stockpile.{material} covers {cover:.0f} d, at least the "
                f"{horizon:.0f}-d horizon: no stockout can be seen within it, so any such stock "
                "scores zero risk; lengthen the horizon to measure the risk after it"
            )
    return out


def bound_warnings(solution: Solution) -> list[str]:
    axis, answer = solution.axis, solution.answer
    smallest = solution.settings.direction == "smallest"
    near, far = (axis.low, axis.high) if smallest else (axis.high, axis.low)
    word = "smallest" if smallest else "largest"
    if answer is None:
        return [
            f"the targets are not met with {solution.settings.confidence:.0%} confidence even at "
            f"{axis.text(far)}, the {'high' if smallest else 'low'} end of the range: widen "
            "the range, or add replications (--max-replications) if the decision stayed open"
        ]
    if answer.x == axis.snap(near):
        return [
            f"the targets are met already at {axis.text(near)}, the "
            f"{'low' if smallest else 'high'} end of the range: the {word} value meeting them "
            "may lie outside it; widen the range"
        ]
    if answer.x == axis.snap(far):
        return [
            f"the targets are met only at {axis.text(far)}, the end of the range: the answer "
            "is the range's bound, not a value found inside it"
        ]
    return []


def monotonicity_warnings(solution: Solution) -> list[str]:
    breaks = monotonicity_breaks(solution)
    if not breaks:
        return []
    target, a, b, change = breaks[0]
    more = f" (and {len(breaks) - 1} more pairs)" if len(breaks) > 1 else ""
    return [
        f"{target.kpi} is not monotone in {solution.axis.path}: from {a.text} to {b.text} its "
        f"mean moves by {change:+.3g} (paired, significant){more}; bisection assumes a monotone "
        "response, so check the curve (ordering policies without apply_ahead can do this)"
    ]
