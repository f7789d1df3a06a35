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

Pairing needs replication r of both. A run folds the differences as the replications arrive
(`PairFold`, see `reesim.experiment.runner.run_paired`), so nothing per replication is kept; a
saved result pairs only if it kept its replications (``reesim run --keep-replications``),
otherwise the comparison is Welch's, from the saved means and standard deviations.

Intervals fit the KPI (see `reesim.results.stats`):

- **Indicators** (0/1 in every replication, such as ``*_probability``): the difference of two
  proportions. Paired: Newcombe's hybrid score interval for paired data (Newcombe 1998,
  *Statistics in Medicine* 17:2635, method 10: Wilson intervals of each proportion combined
  with the phi correlation of the pairs, no continuity correction), with McNemar's exact
  p-value. Unpaired: Newcombe's hybrid score interval for independent proportions (Newcombe
  1998, *Statistics in Medicine* 17:873, method 10), with the pooled score test's p-value.
  Both stay inside [-1, 1] and do not collapse when every replication agreed.
- **Everything else**: the t-interval of the mean difference (paired) or Welch's, intersected
  with the range the difference can take (the candidate's range minus the baseline's).

`rel` is Δ relative to the baseline mean over the same replications, as a fraction (0.05 = 5%);
a change from a baseline of 0 is infinite (+inf or -inf), no change from 0 is 0.
`significant` means the 95% interval of Δ excludes 0 or, with ``adjust="holm"``, that the
Holm-adjusted p-value is below 0.05. The Holm family is every KPI that differs at all between
the two results, whatever a report shows, so filtering the view never makes a difference look
more significant. Everything here is a pure function of its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from statistics import NormalDist

import numpy as np

from reesim.results.fold import KPI_EXACT_LIMIT, ColumnFold
from reesim.results.intervals import wilson_interval
from reesim.results.result import RunResult, same_indices
from reesim.results.stats import CONFIDENCE, Bounds, Summary, t_quantile

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
    method: str = "t"
    """``t`` (paired or Welch), ``newcombe-paired`` or ``newcombe`` (proportions)."""

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
    if not same_indices(a.replications, b.replications):
        return Pairing.welch, (
            f"replications differ ({describe_replications(a.replications)}; "
            f"{describe_replications(b.replications)})"
        )
    if not (baseline.kept_replications and candidate.kept_replications):
        unkept = [
            p.scenario_name for p, r in ((a, baseline), (b, candidate)) if not r.kept_replications
        ]
        return Pairing.welch, (
            f"same root seed and replications, but {', '.join(unkept)} did not keep its "
            "replications (run it with --keep-replications to pair)"
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


class PairFold:
    """Paired differences (candidate - baseline) of every KPI, folded replication by
    replication in replication order: the state of a paired comparison, flat in memory."""

    def __init__(self, exact_limit: int = KPI_EXACT_LIMIT):
        self.exact_limit = exact_limit
        self.names: list[str] = []
        self.diffs: ColumnFold | None = None
        self.base: ColumnFold | None = None
        self.both_ones = np.zeros(0, dtype=np.int64)
        self.base_only = np.zeros(0, dtype=np.int64)
        self.cand_only = np.zeros(0, dtype=np.int64)
        self.indicator = np.zeros(0, dtype=bool)
        self.identical = np.zeros(0, dtype=bool)

    def add(self, baseline: Mapping[str, float], candidate: Mapping[str, float]) -> None:
        if self.diffs is None:
            self.names = [n for n in baseline if n in candidate]
            k = len(self.names)
            self.diffs = ColumnFold(k, self.exact_limit)
            self.base = ColumnFold(k, self.exact_limit)
            self.both_ones = np.zeros(k, dtype=np.int64)
            self.base_only = np.zeros(k, dtype=np.int64)
            self.cand_only = np.zeros(k, dtype=np.int64)
            self.indicator = np.ones(k, dtype=bool)
            self.identical = np.ones(k, dtype=bool)
        assert self.base is not None
        b = np.array([baseline[n] for n in self.names], dtype=float)
        c = np.array([candidate[n] for n in self.names], dtype=float)
        both = ~np.isnan(b) & ~np.isnan(c)
        self.identical &= (np.isnan(b) == np.isnan(c)) & (~both | (b == c))
        self.diffs.add(np.where(both, c - b, np.nan))
        self.base.add(np.where(both, b, np.nan))
        self.indicator &= ~both | (np.isin(b, (0.0, 1.0)) & np.isin(c, (0.0, 1.0)))
        self.both_ones += both & (b == 1.0) & (c == 1.0)
        self.base_only += both & (b == 1.0) & (c == 0.0)
        self.cand_only += both & (b == 0.0) & (c == 1.0)

    def difference(
        self, name: str, bounds: tuple[Bounds, Bounds] | None = None, confidence: float = CONFIDENCE
    ) -> Difference:
        """The paired Δ of one KPI; `bounds` (baseline's, candidate's) clip the t-interval
        and decide whether it is a proportion."""
        if self.diffs is None or self.base is None or name not in self.names:
            return Difference(math.nan, math.nan, math.nan, math.nan, 0, math.nan, False)
        j = self.names.index(name)
        d, b = self.diffs.column(j), self.base.column(j)
        n = d.n
        identical = bool(self.identical[j])
        reference = (
            float(np.mean(b.values)) if b.values is not None and n else b.mean if n else math.nan
        )
        if n == 0:
            return Difference(math.nan, math.nan, math.nan, math.nan, 0, reference, identical)
        proportions = bounds is not None and all(x == Bounds(0.0, 1.0) for x in bounds)
        if proportions and self.indicator[j]:
            # Also when every pair agreed: 0 stockouts in both of 30 runs bounds Δ, it does
            # not prove Δ = 0.
            diff = _newcombe_paired(
                int(self.both_ones[j]),
                int(self.base_only[j]),
                int(self.cand_only[j]),
                n,
                reference,
                confidence,
            )
            return replace(diff, identical=identical)
        if d.values is not None:
            mean = float(np.mean(d.values))
            std = float(np.std(d.values, ddof=1)) if n > 1 else math.nan
        else:
            mean, std = d.mean, math.sqrt(d.variance) if n > 1 else math.nan
        diff = _t_difference(mean, std / math.sqrt(n), n - 1, n, reference, identical, confidence)
        return _clip(diff, bounds)


def paired_difference(
    baseline: Sequence[float],
    candidate: Sequence[float],
    confidence: float = CONFIDENCE,
    bounds: tuple[Bounds, Bounds] | None = None,
) -> Difference:
    """Δ from two samples paired by position, over positions where both are defined (see
    `PairFold`, which this folds them into)."""
    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    if b.shape != c.shape:
        raise ValueError(f"expected paired samples of one length, got {b.size} and {c.size}")
    fold = PairFold(exact_limit=max(1, b.size))
    for x, y in zip(b, c, strict=True):
        fold.add({"k": float(x)}, {"k": float(y)})
    if fold.diffs is None:
        return Difference(math.nan, math.nan, math.nan, math.nan, 0, math.nan, True)
    return fold.difference("k", bounds, confidence)


def welch_difference(
    baseline: Sequence[float], candidate: Sequence[float], confidence: float = CONFIDENCE
) -> Difference:
    """Welch's t-interval on the difference of means of two independent samples."""
    from reesim.results.stats import summarize

    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    identical = (
        bool(np.array_equal(np.sort(b[~np.isnan(b)]), np.sort(c[~np.isnan(c)])))
        and b.size == c.size
    )
    diff = welch_from_summaries(summarize(b), summarize(c), None, confidence)
    if identical:
        return replace(diff, delta=0.0, identical=True)
    return diff


def welch_from_summaries(
    baseline: Summary,
    candidate: Summary,
    bounds: tuple[Bounds, Bounds] | None = None,
    confidence: float = CONFIDENCE,
) -> Difference:
    """The unpaired Δ from two summaries: Newcombe's interval for two proportions (indicators
    with known counts), else Welch's t-interval clipped to the possible range."""
    nb, nc = baseline.n, candidate.n
    reference = baseline.mean if nb else math.nan
    identical = _same_summary(baseline, candidate)
    if nb == 0 or nc == 0:
        return Difference(math.nan, math.nan, math.nan, math.nan, 0, reference, identical)
    mean = 0.0 if identical else candidate.mean - baseline.mean
    if baseline.ones is not None and candidate.ones is not None and not identical:
        return _newcombe_unpaired(baseline.ones, nb, candidate.ones, nc, reference, confidence)
    if nb < 2 or nc < 2:
        diff = _t_difference(mean, math.nan, 0, min(nb, nc), reference, False, confidence)
        return replace(diff, identical=identical)
    vb, vc = baseline.std**2 / nb, candidate.std**2 / nc
    se = math.sqrt(vb + vc)
    df = (vb + vc) ** 2 / (vb**2 / (nb - 1) + vc**2 / (nc - 1)) if se > 0 else nb + nc - 2
    diff = _t_difference(mean, se, df, min(nb, nc), reference, False, confidence)
    return _clip(replace(diff, identical=identical), bounds)


def _same_summary(a: Summary, b: Summary) -> bool:
    fields = ("n", "mean", "std", "p5", "p50", "p95")
    return a.n == b.n and all(
        getattr(a, f) == getattr(b, f) or (_nan(getattr(a, f)) and _nan(getattr(b, f)))
        for f in fields
    )


def _nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _clip(diff: Difference, bounds: tuple[Bounds, Bounds] | None) -> Difference:
    """Δ's interval inside what a difference can be: candidate's range minus baseline's."""
    if bounds is None or math.isnan(diff.ci_low):
        return diff
    b, c = bounds
    low, high = c.low - b.high, c.high - b.low
    return replace(diff, ci_low=max(diff.ci_low, low), ci_high=min(diff.ci_high, high))


def _newcombe_paired(
    both: int, base_only: int, cand_only: int, n: int, reference: float, confidence: float
) -> Difference:
    """Newcombe (1998) method 10 for the difference of paired proportions, candidate minus
    baseline, from the 2x2 table of pairs: both 1, baseline only, candidate only, neither."""
    neither = n - both - base_only - cand_only
    pb, pc = (both + base_only) / n, (both + cand_only) / n
    lb, ub = wilson_interval(both + base_only, n, confidence)
    lc, uc = wilson_interval(both + cand_only, n, confidence)
    margins = (
        (both + base_only) * (cand_only + neither) * (both + cand_only) * (base_only + neither)
    )
    phi = (both * neither - base_only * cand_only) / math.sqrt(margins) if margins > 0 else 0.0
    delta = pc - pb
    low = delta - math.sqrt(
        max(0.0, (pc - lc) ** 2 - 2 * phi * (pc - lc) * (ub - pb) + (ub - pb) ** 2)
    )
    high = delta + math.sqrt(
        max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (uc - pc) + (uc - pc) ** 2)
    )
    p = _mcnemar_exact(base_only, cand_only)
    return Difference(
        delta, max(-1.0, low), min(1.0, high), p, n, reference, False, "newcombe-paired"
    )


def _newcombe_unpaired(
    ones_b: int, nb: int, ones_c: int, nc: int, reference: float, confidence: float
) -> Difference:
    """Newcombe (1998) method 10 for the difference of two independent proportions."""
    pb, pc = ones_b / nb, ones_c / nc
    lb, ub = wilson_interval(ones_b, nb, confidence)
    lc, uc = wilson_interval(ones_c, nc, confidence)
    delta = pc - pb
    low = delta - math.sqrt((pc - lc) ** 2 + (ub - pb) ** 2)
    high = delta + math.sqrt((uc - pc) ** 2 + (pb - lb) ** 2)
    pooled = (ones_b + ones_c) / (nb + nc)
    se = math.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / nc))
    p = 2.0 * (1.0 - NormalDist().cdf(abs(delta) / se)) if se > 0 else (1.0 if delta == 0 else 0.0)
    return Difference(
        delta, max(-1.0, low), min(1.0, high), p, min(nb, nc), reference, False, "newcombe"
    )


def _mcnemar_exact(base_only: int, cand_only: int) -> float:
    """Two-sided exact McNemar p-value: the discordant pairs as a fair binomial."""
    m = base_only + cand_only
    if m == 0:
        return 1.0
    from scipy.stats import binom

    return float(min(1.0, 2.0 * binom.cdf(min(base_only, cand_only), m, 0.5)))


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
    from scipy import stats as sps

    half = t_quantile(df, confidence) * se
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
    paired: PairFold | None = None,
) -> Comparison:
    """Every KPI of either result, candidate against baseline.

    `pairing` None decides from the provenance (`pairing_of`); forcing `Pairing.paired` on
    results whose replications differ is a ValueError. `adjust` is None or ``"holm"``.
    `paired` is the pair fold of a run that ran both (`runner.run_paired`): then the
    comparison is paired without per-replication values.
    """
    if adjust is not None and adjust not in ADJUSTMENTS:
        raise ValueError(f"expected adjust to be one of {', '.join(ADJUSTMENTS)}, got {adjust!r}")
    auto, reason = pairing_of(baseline, candidate)
    if paired is not None:
        a = baseline.provenance
        auto, reason = (
            Pairing.paired,
            (
                f"same root seed {a.root_seed} and replications "
                f"{describe_replications(a.replications)}"
            ),
        )
    elif auto is Pairing.paired:
        paired = _fold_values(baseline, candidate)
    if pairing is None:
        pairing = auto
    elif pairing is Pairing.paired and auto is not Pairing.paired:
        raise ValueError(f"cannot pair these results: {reason}")
    elif pairing is not auto:
        reason = f"{pairing.value} as asked ({reason})"
    names = list(baseline.kpis) + [n for n in candidate.kpis if n not in baseline.kpis]
    first, second = baseline.provenance, candidate.provenance
    # The same scenario (content and overrides) on the same seeds: Δ is 0 by construction,
    # exactly, not a statistical estimate (agreeing runs of two different scenarios are).
    same = (first.scenario_sha256, tuple(first.overrides)) == (
        second.scenario_sha256,
        tuple(second.overrides),
    )
    rows: dict[str, KpiComparison] = {}
    for name in names:
        b, c = baseline.kpis.get(name), candidate.kpis.get(name)
        diff = None
        if b is not None and c is not None:
            bounds = (b.bounds, c.bounds)
            if pairing is Pairing.paired and paired is not None:
                diff = paired.difference(name, bounds, confidence)
                if same and diff.identical and diff.n > 0:
                    diff = Difference(0.0, 0.0, 0.0, 1.0, diff.n, diff.reference, True)
            else:
                diff = welch_from_summaries(b.summary, c.summary, bounds, confidence)
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


def _fold_values(baseline: RunResult, candidate: RunResult) -> PairFold:
    """The pair fold of two results that kept their replications."""
    names = [n for n in baseline.kpis if n in candidate.kpis]
    fold = PairFold(exact_limit=max(1, len(baseline.provenance.replications)))
    columns_b = [baseline.kpis[n].values for n in names]
    columns_c = [candidate.kpis[n].values for n in names]
    for r in range(len(baseline.provenance.replications)):
        fold.add(
            {n: col[r] for n, col in zip(names, columns_b, strict=True)},
            {n: col[r] for n, col in zip(names, columns_c, strict=True)},
        )
    return fold


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
