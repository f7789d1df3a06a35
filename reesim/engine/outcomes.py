"""What the licensing authority reads from one parameter state, and the outcome it draws.

`Rules` holds a state's review settings (the review time's quantile function and unit, the
statutory limit and what happens at it) and its outcome rules as plain tuples, read once per
state per process (`rules_of`, a `PerScenario` cache). `draw_outcome` draws a submission's
outcome from its own stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reesim.engine.streams import uniform
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.per_scenario import PerScenario
from reesim.scenario.schema import Authority, Scenario
from reesim.scenario.units import Duration

Rule = tuple[
    frozenset[str] | None, frozenset[str] | None, frozenset[str] | None, float, float, float, float
]
"""An outcome rule compiled: destinations, end uses, exporters (None: any), P(approve),
P(approve or deny), P(partial), partial share."""

# Draws per submission, from the application's stream: index = DRAWS * submission + offset.
DRAWS, REVIEW, ESCALATION, OUTCOME, PARTIAL, RESUBMIT = 8, 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Rules:
    """What the authority reads from one parameter state, read once: the review time's
    quantile function and unit, the statutory limit, the outcome rules as plain tuples and the
    resubmission delay."""

    review_quantile: Callable[[float], float]
    review_unit: str
    limit: Duration | None
    decide_at_limit: bool
    escalation: DurationDistribution | None
    outcomes: tuple[Rule, ...]
    resubmit: DurationDistribution

    @staticmethod
    def of(authority: Authority) -> Rules:
        review = authority.review
        return Rules(
            review_quantile=review.time.dist.quantile,
            review_unit=review.time.unit,
            limit=review.statutory_limit,
            decide_at_limit=review.on_limit == "decide",
            escalation=review.escalation_delay,
            outcomes=tuple(
                (
                    None if r.destinations is None else frozenset(r.destinations),
                    None if r.end_uses is None else frozenset(r.end_uses),
                    None if r.exporters is None else frozenset(r.exporters),
                    r.approve,
                    r.approve + r.deny,
                    r.partial_probability,
                    r.partial_share,
                )
                for r in authority.outcomes
            ),
            resubmit=authority.resubmit_delay,
        )


def draw_outcome(
    rules: Rules,
    destination: str,
    end_use: str,
    exporter: str,
    stream: int,
    submission: int,
    requested_kg: float,
) -> tuple[str, float]:
    """The outcome drawn for a submission under the first outcome rule that matches it (the
    last matches all), and the quantity granted."""
    for rule in rules.outcomes:
        dests, uses, exporters = rule[0], rule[1], rule[2]
        if (
            (dests is None or destination in dests)
            and (uses is None or end_use in uses)
            and (exporters is None or exporter in exporters)
        ):
            break
    else:
        raise AssertionError("the last outcome rule matches every application")
    _, _, _, approve, approve_or_deny, partial_p, partial_share = rule
    base = DRAWS * submission
    u = uniform(stream, base + OUTCOME)
    if u < approve:
        partial = uniform(stream, base + PARTIAL) < partial_p
        return "approve", requested_kg * (partial_share if partial else 1.0)
    if u < approve_or_deny:
        return "deny", 0.0
    return "return", 0.0


def _rules(scenario: Scenario, _: None) -> Rules:
    return Rules.of(scenario.authority)


rules_of: PerScenario[None, Rules] = PerScenario(_rules, kept=256)
"""``rules_of(state, None)``: the `Rules` of a parameter state, read once per state per process."""
