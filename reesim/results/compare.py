"""Comparing scenarios: the difference of each KPI against a baseline, with its 95% interval.

Two results are *paired* when they were run with the same root seed and the same replication
indices. Replication r of each then drew every mechanism they share from the same named stream
(common random numbers, see `reesim.engine.streams`), so the per-replication differences
d_r = candidate_r - baseline_r are independent draws of the difference itself, and the
t-interval on their mean is much narrower than an unpaired one whenever the two scenarios react
alike to the same luck. Otherwise the comparison is unpaired: Welch's t-interval on the
difference of two means with unequal variances.

A KPI that does not apply in a replication (NaN) is left out: a paired comparison uses the
replications where it applies in both scenarios, so Δ is the mean of those differences and can
differ from the difference of the two means shown when the sets of replications differ.

`rel` is Δ relative to the baseline mean over the same replications, as a fraction (0.05 = 5%);
a change from a baseline of 0 is infinite (+inf or -inf), no change from 0 is 0.
`significant` means the 95% interval of Δ excludes 0 or, with ``adjust="holm"``, that the
Holm-adjusted p-value is below 0.05. The Holm family is every KPI that differs at all between
the two results, whatever a report shows, so filtering the view never makes a difference look
more significant. Everything here is a pure function of its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from scipy import stats as sps

from reesim.results.result import RunResult
from reesim.results.stats import CONFIDENCE, Summary

ADJUSTMENTS = ("holm",)


class Pairing(StrEnum):
    paired = "paired"
    welch = "welch"


@dataclass(frozen=True)
class Difference:
    """Δ = candidate - baseline of one KPI, with its interval and test."""

    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    """Pairs used (paired) or the smaller sample (Welch)."""
    reference: float
    """Baseline mean over the replications Δ used: what `rel` is relative to."""
    identical: bool
    """The two samples are the same numbers: nothing changed at all."""

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0

    @property
    def rel(self) -> float:
        return relative(self.delta, self.reference)

    @property
    def excludes_zero(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


@dataclass(frozen=True)
class KpiComparison:
    name: str
    unit: str
    baseline: Summary | None
    """None when the KPI does not exist in that result (e.g. a firm only one scenario has)."""
    candidate: Summary | None
    diff: Difference | None
    p_adjusted: float | None = None
    significant: bool = False

    @property
    def changed(self) -> bool:
        return self.diff is None or not self.diff.identical


@dataclass(frozen=True)
class Comparison:
    """One candidate against the baseline, KPI by KPI, in the baseline's KPI order."""

    baseline: str
    candidate: str
    pairing: Pairing
    reason: str
    """Why paired or not, for people: ``same root seed 7 and replications 0-99``."""
    adjust: str | None
    kpis: dict[str, KpiComparison]


def relative(delta: float, reference: float) -> float:
    """`delta` as a fraction of |reference|: 0 when both are 0, ±inf for a change from 0."""
    if math.isnan(delta) or math.isnan(reference):
        return math.nan
    if reference == 0:
        return 0.0 if delta == 0 else math.copysign(math.inf, delta)
    return delta / abs(reference)


def pairing_of(baseline: RunResult, candidate: RunResult) -> tuple[Pairing, str]:
    """Paired when both ran the same root seed and replication indices."""
    a, b = baseline.provenance, candidate.provenance
    if a.root_seed != b.root_seed:
        return Pairing.welch, f"root seeds differ ({a.root_seed}, {b.root_seed})"
    if a.replications != b.replications:
        return Pairing.welch, (
            f"replications differ ({describe_replications(a.replications)}; "
            f"{describe_replications(b.replications)})"
        )
    return Pairing.paired, (
        f"same root seed {a.root_seed} and replications {describe_replications(a.replications)}"
    )


def describe_replications(indices: Sequence[int]) -> str:
    if not indices:
        return "none"
    if list(indices) == list(range(indices[0], indices[0] + len(indices))):
        return str(indices[0]) if len(indices) == 1 else f"{indices[0]}-{indices[-1]}"
    return f"{len(indices)} listed"


def paired_difference(
    baseline: Sequence[float], candidate: Sequence[float], confidence: float = CONFIDENCE
) -> Difference:
    """t-interval on the mean of per-replication differences, over replications where both
    values are defined."""
    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    if b.shape != c.shape:
        raise ValueError(f"expected paired samples of one length, got {b.size} and {c.size}")
    both = ~np.isnan(b) & ~np.isnan(c)
    identical = bool(np.array_equal(b, c, equal_nan=True))
    d = c[both] - b[both]
    n = int(d.size)
    reference = float(np.mean(b[both])) if n else math.nan
    if n == 0:
        return Difference(math.nan, math.nan, math.nan, math.nan, 0, reference, identical)
    mean = float(np.mean(d))
    std = float(np.std(d, ddof=1)) if n > 1 else math.nan
    return _t_difference(mean, std / math.sqrt(n), n - 1, n, reference, identical, confidence)


def welch_difference(
    baseline: Sequence[float], candidate: Sequence[float], confidence: float = CONFIDENCE
) -> Difference:
    """Welch's t-interval on the difference of means of two independent samples."""
    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    b, c = b[~np.isnan(b)], c[~np.isnan(c)]
    identical = bool(np.array_equal(np.sort(b), np.sort(c))) and len(baseline) == len(candidate)
    nb, nc = int(b.size), int(c.size)
    reference = float(np.mean(b)) if nb else math.nan
    if nb == 0 or nc == 0:
        return Difference(math.nan, math.nan, math.nan, math.nan, 0, reference, identical)
    # The same numbers in another order: exactly 0, not a rounding residue of two sums.
    mean = 0.0 if identical else float(np.mean(c)) - float(np.mean(b))
    if nb < 2 or nc < 2:
        diff = _t_difference(mean, math.nan, 0, min(nb, nc), reference, False, confidence)
        return replace(diff, identical=identical)
    vb, vc = float(np.var(b, ddof=1)) / nb, float(np.var(c, ddof=1)) / nc
    se = math.sqrt(vb + vc)
    df = (vb + vc) ** 2 / (vb**2 / (nb - 1) + vc**2 / (nc - 1)) if se > 0 else nb + nc - 2
    diff = _t_difference(mean, se, df, min(nb, nc), reference, False, confidence)
    return replace(diff, identical=identical)


def _t_difference(
    mean: float,
    se: float,
    df: float,
    n: int,
    reference: float,
    identical: bool,
    confidence: float,
) -> Difference:
    if identical:  # paired and equal replication by replication: Δ is 0 in every one
        return Difference(0.0, 0.0, 0.0, 1.0, n, reference, True)
    if math.isnan(se) or df <= 0:
        return Difference(mean, math.nan, math.nan, math.nan, n, reference, False)
    if se <= 1e-12 * max(1.0, abs(mean)):
        # No spread up to float rounding: the difference is the same in every replication.
        return Difference(mean, mean, mean, 0.0 if mean != 0 else 1.0, n, reference, False)
    half = float(sps.t.ppf(0.5 + confidence / 2.0, df)) * se
    p = float(2.0 * sps.t.sf(abs(mean) / se, df))
    return Difference(mean, mean - half, mean + half, p, n, reference, False)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (NaN stays NaN, outside the
    family)."""
    finite = [i for i, p in enumerate(p_values) if not math.isnan(p)]
    order = sorted(finite, key=lambda i: p_values[i])
    m = len(order)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def compare_results(
    baseline: RunResult,
    candidate: RunResult,
    *,
    baseline_label: str = "baseline",
    candidate_label: str = "candidate",
    adjust: str | None = None,
    pairing: Pairing | None = None,
    confidence: float = CONFIDENCE,
) -> Comparison:
    """Every KPI of either result, candidate against baseline.

    `pairing` None decides from the provenance (`pairing_of`); forcing `Pairing.paired` on
    results whose replications differ is a ValueError. `adjust` is None or ``"holm"``.
    """
    if adjust is not None and adjust not in ADJUSTMENTS:
        raise ValueError(f"expected adjust to be one of {', '.join(ADJUSTMENTS)}, got {adjust!r}")
    auto, reason = pairing_of(baseline, candidate)
    if pairing is None:
        pairing = auto
    elif pairing is Pairing.paired and auto is not Pairing.paired:
        raise ValueError(f"cannot pair these results: {reason}")
    elif pairing is not auto:
        reason = f"{pairing.value} as asked ({reason})"
    names = list(baseline.kpis) + [n for n in candidate.kpis if n not in baseline.kpis]
    rows: dict[str, KpiComparison] = {}
    for name in names:
        b, c = baseline.kpis.get(name), candidate.kpis.get(name)
        diff = None
        if b is not None and c is not None:
            if pairing is Pairing.paired:
                diff = paired_difference(b.values, c.values, confidence)
            else:
                diff = welch_difference(b.values, c.values, confidence)
        unit = b.unit if b is not None else c.unit if c is not None else ""
        rows[name] = KpiComparison(
            name,
            unit,
            b.summary if b is not None else None,
            c.summary if c is not None else None,
            diff,
            significant=diff is not None and diff.excludes_zero,
        )
    if adjust == "holm":
        rows = _holm_rows(rows, confidence)
    return Comparison(baseline_label, candidate_label, pairing, reason, adjust, rows)


def _holm_rows(rows: dict[str, KpiComparison], confidence: float) -> dict[str, KpiComparison]:
    """Adjust over the family of KPIs that differ at all and have a p-value."""
    family = [
        name
        for name, row in rows.items()
        if row.diff is not None and not row.diff.identical and not math.isnan(row.diff.p_value)
    ]
    adjusted = holm([rows[n].diff.p_value for n in family])  # type: ignore[union-attr]
    alpha = 1.0 - confidence
    out = {}
    for name, row in rows.items():
        if name in family:
            p = adjusted[family.index(name)]
            out[name] = KpiComparison(
                row.name, row.unit, row.baseline, row.candidate, row.diff, p, p < alpha
            )
        else:
            out[name] = KpiComparison(
                row.name, row.unit, row.baseline, row.candidate, row.diff, None, False
            )
    return out
