"""Targets on KPI statistics, and the one-sided confidence bounds that decide them.

A target is written in the gate language (`reesim.results.gates`) as one comparison between a
KPI statistic and a number: ``firms.tesla.stockout_probability <= 0.05``,
``firms.ford.stockout_days.p95 < 30``, ``5% >= firms.x.production_lost_pct``. It is *true when
met* (a gate is true when something is wrong).

A target is met *with confidence c* when a one-sided bound at level c is on the right side of
its threshold: for ``<=``, the upper bound. The bound fits the statistic:

- the mean of a probability (a KPI that is 0 or 1 in each replication, such as
  ``stockout_probability``): the one-sided Clopper-Pearson bound
  (`reesim.results.intervals.upper_bound`), valid for every p;
- the mean of any other KPI: the one-sided Student-t bound, mean + t(c, n-1) s / sqrt(n);
- a percentile (``p5``, ``p50``, ``p95``): a distribution-free bound, the order statistic
  X(k) with the smallest k such that P(Binomial(n, q) < k) >= c, which needs no assumption on
  the KPI's distribution (and is infinite until n is large enough).

A target is *missed with confidence c* when the bound on the other side is on the wrong side.
Between the two the decision is still open, and more replications are needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reesim.results.gates import Cmp, GateError, Neg, Num, Ref, Scale, bind, parse
from reesim.results.gates.checks import parse_options
from reesim.results.intervals import upper_bound
from reesim.results.stats import kpi_bounds

TARGET_STATS = ("mean", "p5", "p50", "p95")
QUANTILES = {"p5": 0.05, "p50": 0.50, "p95": 0.95}
Verdict = Literal["met", "missed", "open"]


@dataclass(frozen=True)
class Target:
    """``kpi.stat op threshold``, normalised so the KPI is on the left."""

    text: str
    kpi: str
    stat: str
    op: str  # <, <=, >, >=
    threshold: float
    unit: str

    @property
    def wants_low(self) -> bool:
        """True for ``<`` and ``<=``: the statistic must be low enough."""
        return self.op in ("<", "<=")

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return {
            "<": value < self.threshold,
            "<=": value <= self.threshold,
            ">": value > self.threshold,
            ">=": value >= self.threshold,
        }[self.op]


@dataclass(frozen=True)
class Estimate:
    """A target's statistic from some replications, with its one-sided bounds."""

    value: float
    lower: float
    upper: float
    n: int
    method: str
    """clopper-pearson, t or order-statistic."""

    def verdict(self, target: Target) -> Verdict:
        """met when the bound on the far side meets the threshold, missed when the bound on the
        near side already fails it, open otherwise."""
        far, near = (self.upper, self.lower) if target.wants_low else (self.lower, self.upper)
        if target.holds(far):
            return "met"
        if not math.isnan(near) and not target.holds(near):
            return "missed"
        return "open"


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def parse_targets(texts: Sequence[str], units: Mapping[str, str]) -> list[Target]:
    """Targets from ``--target`` options, bound to the KPIs in `units` (name -> unit);
    ScenarioError lists every malformed one at once, with a caret where it goes wrong."""
    return parse_options(texts, "--target", lambda text, _origin: _target(text, units))


def _target(text: str, units: Mapping[str, str]) -> Target:
    try:
        node = bind(parse(text), units, text)
    except GateError as err:
        if err.message.startswith("expected a condition"):
            raise GateError(
                "expected a comparison such as 'firms.x.stockout_probability <= 0.05', "
                f"got no comparison: {text.strip()!r}",
                err.offset,
            ) from None
        raise
    if not isinstance(node, Cmp) or node.op not in _FLIP:
        raise GateError(
            "expected one comparison of a KPI statistic with a number, such as "
            "'firms.x.stockout_probability <= 0.05', got something else",
            node.start,
        )
    left, right, op = node.left, node.right, node.op
    if not isinstance(left, Ref):
        left, right, op = right, left, _FLIP[op]
    number = _number(right)
    if not isinstance(left, Ref) or left.fn != "value" or number is None:
        raise GateError(
            "expected a KPI statistic compared with a number, such as "
            "'firms.x.stockout_days.p95 < 30', got another kind of expression",
            node.start,
        )
    if left.stat not in TARGET_STATS:
        raise GateError(
            f"expected a target on a KPI's {', '.join(TARGET_STATS)}, got '{left.stat}'",
            left.name_end - len(left.stat),
        )
    bounds = kpi_bounds(left.kpi)
    if not bounds.low <= number <= bounds.high:
        # Outside what the KPI can be, the target is decided before anything runs: always met
        # or never. Almost always a slip of units (500% for 5%, 0.05 for a percentage).
        always = (number > bounds.high) == (op in ("<", "<="))
        raise GateError(
            f"expected a threshold {_range_text(bounds.low, bounds.high)} for {left.kpi}, "
            f"got {number:g} (the target would {'always' if always else 'never'} be met)",
            right.start,
        )
    return Target(text.strip(), left.kpi, left.stat, op, number, left.unit)


def _range_text(low: float, high: float) -> str:
    return f"from {low:g} to {high:g}" if math.isfinite(high) else f"of at least {low:g}"


def _number(node: object) -> float | None:
    if isinstance(node, Neg):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Scale) and isinstance(node.operand, Num):
        return node.operand.value * node.factor
    return None


def is_indicator(values: np.ndarray) -> bool:
    """Whether every value is 0 or 1: a probability estimated as a share of replications."""
    return bool(values.size) and bool(np.all((values == 0.0) | (values == 1.0)))


def estimate(target: Target, values: Sequence[float], confidence: float) -> Estimate:
    """The target's statistic over `values` (NaN where the KPI does not apply) with one-sided
    bounds at `confidence` on each side."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, "none")
    if target.stat == "mean":
        if target.unit == "share" and is_indicator(x):
            k = int(x.sum())
            low = 1.0 - upper_bound(n - k, n, confidence)
            return Estimate(k / n, low, upper_bound(k, n, confidence), n, "clopper-pearson")
        return _t_bounds(x, confidence)
    return _quantile_bounds(x, QUANTILES[target.stat], confidence)


def _t_bounds(x: np.ndarray, confidence: float) -> Estimate:
    from scipy.stats import t  # slow to import; needed only when a mean target is decided

    n, mean = x.size, float(np.mean(x))
    if n < 2:
        return Estimate(mean, -math.inf, math.inf, n, "t")
    std = float(np.std(x, ddof=1))
    if std <= 1e-12 * max(1.0, abs(mean)):
        std = 0.0  # identical values: a deterministic world has no spread
    half = float(t.ppf(confidence, n - 1)) * std / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n, "t")


def _quantile_bounds(x: np.ndarray, q: float, confidence: float) -> Estimate:
    """Order-statistic bounds: P(X(k) >= true q-quantile) = P(Bin(n, q) < k) for continuous
    KPIs, and at least that with ties, so the bounds hold whatever the distribution."""
    from scipy.stats import binom

    s = np.sort(x)
    n = s.size
    k = np.arange(1, n + 1)
    # upper: smallest k with P(Bin(n, q) <= k - 1) >= confidence
    up = k[binom.cdf(k - 1, n, q) >= confidence]
    # lower: largest j with P(Bin(n, q) >= j) >= confidence
    lo = k[binom.sf(k - 1, n, q) >= confidence]
    upper = float(s[up[0] - 1]) if up.size else math.inf
    lower = float(s[lo[-1] - 1]) if lo.size else -math.inf
    return Estimate(float(np.percentile(s, 100 * q)), lower, upper, n, "order-statistic")
