"""The smallest (or largest) value of one parameter that meets targets, with confidence.

The method is a bisection on a response assumed monotone in the parameter, with sequential
replications at each candidate value:

1. The range's far end (the high end when looking for the smallest value) must meet every
   target, or there is no answer in the range. If the near end already meets them, it is the
   answer (and `traps` warns that the range may be too narrow).
2. Each step tries the middle of the bracket. At a candidate, replications come in stages
   (n0, 2 n0, 4 n0, ... up to a cap): after each stage every target's one-sided bounds are
   computed (`targets.estimate`); the candidate *meets* the targets when each far-side bound
   is on the right side of its threshold, *misses* them when some near-side bound is already
   on the wrong side, and otherwise gets the next stage. Replications are thus spent only
   where the decision is close. A candidate still open at the cap counts as not meeting: the
   answer is always a value whose bounds meet the targets.
3. The bracket halves until it is narrower than the tolerance; the answer is its meeting end.

Looking at the bounds after every stage gives several chances to pass by luck, so each look
uses confidence 1 - (1 - c) / K for K possible looks (Bonferroni): the bound reported for the
answer holds at the stated confidence c however many stages it took. Candidates share common
random numbers: replication r of every candidate runs under the same root seed and index, so
candidates differ only by the parameter's value (which keeps a monotone response monotone
replication by replication, and makes the non-monotonicity check below a paired test).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from reesim.questions.parameter import Axis
from reesim.questions.targets import Estimate, Target, Verdict, estimate

Direction = Literal["smallest", "largest"]
Evaluate = Callable[[float, Sequence[int]], Mapping[str, Sequence[float]]]
"""(parameter value, replication indices) -> per KPI, its value in each of those replications."""


@dataclass(frozen=True)
class Settings:
    confidence: float = 0.95
    direction: Direction = "smallest"
    tolerance: float | None = None
    """Width of the final bracket, in the axis' unit; None: 1/64 of the range."""
    initial_replications: int = 50
    max_replications: int = 800

    def stages(self) -> tuple[int, ...]:
        """Replication counts after each stage: n0, 2 n0, ... up to the cap."""
        n, out = self.initial_replications, []
        while n < self.max_replications:
            out.append(n)
            n *= 2
        return (*out, self.max_replications)

    @property
    def look_confidence(self) -> float:
        """Confidence of each look, so that all looks at a candidate together hold at
        `confidence` (Bonferroni over the stages)."""
        return 1.0 - (1.0 - self.confidence) / len(self.stages())


@dataclass
class Candidate:
    """A value tried: its replications (indices 0..n-1) and what they say about each target."""

    x: float
    text: str
    values: dict[str, list[float]]
    estimates: tuple[Estimate, ...] = ()
    verdicts: tuple[Verdict, ...] = ()

    @property
    def n(self) -> int:
        return len(next(iter(self.values.values()), []))

    @property
    def verdict(self) -> Verdict:
        if all(v == "met" for v in self.verdicts):
            return "met"
        return "missed" if "missed" in self.verdicts else "open"

    @property
    def meets(self) -> bool:
        return self.verdict == "met"


@dataclass(frozen=True)
class Solution:
    axis: Axis
    targets: tuple[Target, ...]
    settings: Settings
    candidates: tuple[Candidate, ...]
    """Every value tried, in the order tried."""
    answer: Candidate | None
    bracket: tuple[float, float] | None
    """The last value that did not meet the targets and the answer (low, high); None when the
    answer is a bound of the range or there is no answer."""
    warnings: tuple[str, ...] = field(default=())

    @property
    def replications(self) -> int:
        return sum(c.n for c in self.candidates)

    @property
    def curve(self) -> tuple[Candidate, ...]:
        return tuple(sorted(self.candidates, key=lambda c: c.x))


def solve(
    axis: Axis, targets: Sequence[Target], evaluate: Evaluate, settings: Settings
) -> Solution:
    """Bisection with sequential replications; see the module docstring."""
    if not targets:
        raise ValueError("expected at least one target, got none")
    kpis = sorted({t.kpi for t in targets})
    tried: dict[float, Candidate] = {}

    def decide(x: float) -> Candidate:
        x = axis.snap(x)
        if x in tried:
            return tried[x]
        c = Candidate(x, str(axis.text(x)), {k: [] for k in kpis})
        for n in settings.stages():
            fresh = evaluate(x, range(c.n, n))
            for k in kpis:
                c.values[k].extend(float(v) for v in fresh[k])
            c.estimates = tuple(
                estimate(t, c.values[t.kpi], settings.look_confidence) for t in targets
            )
            c.verdicts = tuple(e.verdict(t) for e, t in zip(c.estimates, targets, strict=True))
            if c.verdict != "open":
                break
        tried[x] = c
        return c

    smallest = settings.direction == "smallest"
    good_x, bad_x = (axis.high, axis.low) if smallest else (axis.low, axis.high)
    tolerance = settings.tolerance or (axis.high - axis.low) / 64.0
    if axis.whole:
        tolerance = max(1.0, tolerance)
    good = decide(good_x)
    answer: Candidate | None = None
    bracket: tuple[float, float] | None = None
    if good.meets:
        bad = decide(bad_x)
        if bad.meets:
            answer = bad
        else:
            while abs(good.x - bad.x) > tolerance:
                mid = (good.x + bad.x) / 2.0
                if axis.whole:
                    mid = math.floor(mid) if smallest else math.ceil(mid)
                if axis.snap(mid) in (good.x, bad.x):
                    break  # no representable value between them
                c = decide(mid)
                good, bad = (c, bad) if c.meets else (good, c)
            answer = good
            bracket = (min(good.x, bad.x), max(good.x, bad.x))
    return Solution(axis, tuple(targets), settings, tuple(tried.values()), answer, bracket)


def monotonicity_breaks(solution: Solution) -> list[tuple[Target, Candidate, Candidate, float]]:
    """Pairs of tried values where a target's KPI moves *away* from meeting the target as the
    parameter moves towards the end that meets it, significantly (a paired t-interval on the
    common replications at the solution's confidence excludes 0): (target, lower x, higher x,
    mean change)."""
    from scipy.stats import t as student

    found = []
    curve = solution.curve
    smallest = solution.settings.direction == "smallest"
    for target in solution.targets:
        # Which way the KPI should go as x grows: towards meeting when x grows in 'smallest'.
        falls = target.wants_low == smallest
        for i, a in enumerate(curve):
            for b in curve[i + 1 :]:
                n = min(a.n, b.n)
                d = np.asarray(b.values[target.kpi][:n]) - np.asarray(a.values[target.kpi][:n])
                d = d[~np.isnan(d)]
                if d.size < 2:
                    continue
                mean, std = float(d.mean()), float(d.std(ddof=1))
                wrong = mean > 0 if falls else mean < 0
                if not wrong or mean == 0:
                    continue
                half = float(student.ppf(0.5 + solution.settings.confidence / 2, d.size - 1))
                half *= std / math.sqrt(d.size)
                if abs(mean) > half:
                    found.append((target, a, b, mean))
    return found


def solution_dict(solution: Solution) -> dict[str, object]:
    """The solution as JSON data: answer, bracket, spending, the curve and the settings."""
    axis, s = solution.axis, solution.settings
    answer = solution.answer

    def finite(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "question": s.direction,
        "parameter": axis.path,
        "range": [axis.text(axis.low), axis.text(axis.high)],
        "confidence": s.confidence,
        "look_confidence": s.look_confidence,
        "targets": [
            {"text": t.text, "kpi": t.kpi, "stat": t.stat, "op": t.op, "threshold": t.threshold}
            for t in solution.targets
        ],
        "answer": None if answer is None else answer.text,
        "answer_value": None if answer is None else answer.x,
        "bracket": None if solution.bracket is None else [axis.text(x) for x in solution.bracket],
        "replications": solution.replications,
        "values_tried": len(solution.candidates),
        "settings": {
            "initial_replications": s.initial_replications,
            "max_replications": s.max_replications,
            "tolerance": s.tolerance,
        },
        "curve": [
            {
                "value": c.text,
                "x": c.x,
                "replications": c.n,
                "verdict": c.verdict,
                "targets": [
                    {
                        "estimate": finite(e.value),
                        "lower": finite(e.lower),
                        "upper": finite(e.upper),
                        "method": e.method,
                        "verdict": v,
                    }
                    for e, v in zip(c.estimates, c.verdicts, strict=True)
                ],
            }
            for c in solution.curve
        ],
        "warnings": list(solution.warnings),
    }
