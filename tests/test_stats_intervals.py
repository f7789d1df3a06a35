"""Intervals that fit the statistic, and streaming folds: coverage by simulation, no bound
outside what a KPI can be, and folds past their exact limit that agree with the exact answer."""

from __future__ import annotations

import math
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reesim.results.compare import paired_difference, welch_from_summaries
from reesim.results.fold import SKETCH_RELATIVE_ACCURACY, ColumnFold, nan_percentiles
from reesim.results.metrics import ReplicationMetrics
from reesim.results.result import Provenance, ResultFold
from reesim.results.stats import (
    Bounds,
    kpi_bounds,
    order_statistic_ranks,
    summarize,
    t_quantile,
)

RUNS = 2000  # simulated experiments per coverage check


def covers(lo: float, hi: float, truth: float) -> bool:
    return lo <= truth <= hi


# --- which interval --------------------------------------------------------------------------
def test_bounds_follow_the_kpi_name() -> None:
    assert kpi_bounds("firms.a.stockout_probability") == Bounds(0.0, 1.0)
    assert kpi_bounds("authority.utilization") == Bounds(0.0, 1.0)
    assert kpi_bounds("firms.a.production_lost_pct") == Bounds(0.0, 100.0)
    assert kpi_bounds("firms.a.stockout_days", 365.0) == Bounds(0.0, 365.0)
    assert kpi_bounds("firms.a.first_stop_day", 200.0) == Bounds(0.0, 200.0)
    assert kpi_bounds("firms.a.min_cover_days", 365.0) == Bounds(0.0, math.inf)
    assert kpi_bounds("materials.m.exports_kg") == Bounds(0.0, math.inf)


def test_an_indicator_gets_wilson_and_never_leaves_the_unit_interval() -> None:
    s = summarize(np.array([1.0] * 199 + [0.0]), Bounds(0.0, 1.0))
    assert s.interval == "wilson" and s.ones == 199
    assert 0.97 < s.ci_low < s.mean < s.ci_high <= 1.0  # the t-interval gave 0.985 .. 1.005
    none = summarize(np.zeros(20), Bounds(0.0, 1.0))
    assert none.ci_low == 0.0 and 0.1 < none.ci_high < 0.2  # 0 of 20 is not proof of 0


def test_a_fractional_share_gets_a_t_interval_not_wilson() -> None:
    rng = np.random.default_rng(1)
    s = summarize(rng.uniform(0.85, 0.91, size=50), Bounds(0.0, 1.0))
    assert s.interval == "t" and s.ci_high - s.ci_low < 0.02


def test_a_count_that_was_0_or_1_is_not_a_proportion() -> None:
    s = summarize(np.array([0.0, 1.0, 1.0, 0.0, 1.0]), kpi_bounds("firms.a.approved"))
    assert s.interval == "t" and s.ones is None


def test_no_spread_at_a_bound_is_not_certainty() -> None:
    s = summarize(np.zeros(50), Bounds(0.0, 365.0))
    assert s.interval == "bound" and s.ci_low == 0.0
    # the 0-of-50 Clopper-Pearson bound (1 - 0.025^(1/50) = 7.1%) of the range
    assert s.ci_high == pytest.approx(365.0 * (1 - 0.025 ** (1 / 50)))
    unbounded = summarize(np.zeros(50), Bounds(0.0, math.inf))
    assert (unbounded.ci_low, unbounded.ci_high) == (0.0, 0.0)


def test_data_outside_the_declared_range_drops_that_bound() -> None:
    s = summarize(np.array([-3.0, -1.0, 2.0, 5.0]), Bounds(0.0, math.inf))
    assert s.ci_low < -1.0  # the data say the rule does not fit: no bound at 0


@settings(deadline=None, max_examples=60)
@given(
    st.sampled_from([(0.0, 1.0), (0.0, 100.0), (0.0, 90.0), (0.0, math.inf)]),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    st.integers(0, 3),
)
def test_no_interval_leaves_the_possible_range(
    bounds: tuple[float, float], raw: list[float], spikes: int
) -> None:
    low, high = bounds
    scale = 1e6 if math.isinf(high) else high
    values = np.array(raw) * scale
    values[:spikes] = low  # some at the bound, as day counts often are
    s = summarize(values, Bounds(low, high))
    for lo, hi in [(s.ci_low, s.ci_high), *s.percentile_ci.values()]:
        for v in (lo, hi):
            assert math.isnan(v) or low <= v <= high, (s, bounds)


# --- coverage by simulation ------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.03, 0.2, 0.5])
def test_wilson_kpi_intervals_cover_the_true_probability(p: float) -> None:
    rng = np.random.default_rng(11)
    n = 40
    hits = 0
    for _ in range(RUNS):
        s = summarize((rng.random(n) < p).astype(float), Bounds(0.0, 1.0))
        hits += covers(s.ci_low, s.ci_high, p)
    assert hits / RUNS >= 0.92  # Wilson is close to 95% on average, a little under at times


def test_bounded_t_intervals_cover_a_skewed_mean() -> None:
    rng = np.random.default_rng(12)
    truth = 30.0 * 0.3  # days stopped: 0 in 70% of runs, else exponential with mean 30
    hits = 0
    for _ in range(RUNS):
        x = np.where(rng.random(100) < 0.3, np.minimum(rng.exponential(30.0, 100), 365.0), 0.0)
        s = summarize(x, Bounds(0.0, 365.0))
        hits += covers(s.ci_low, s.ci_high, truth)
    assert hits / RUNS >= 0.92


@pytest.mark.parametrize("q", ["p5", "p50", "p95"])
def test_order_statistic_intervals_cover_the_true_percentile(q: str) -> None:
    rng = np.random.default_rng(13)
    p = {"p5": 0.05, "p50": 0.5, "p95": 0.95}[q]
    truth = -math.log(1 - p)  # exponential(1) quantile
    hits = 0
    for _ in range(RUNS):
        s = summarize(rng.exponential(1.0, 120))
        lo, hi = s.percentile_ci[q]
        hits += covers(lo, hi, truth)
    assert hits / RUNS >= 0.94  # distribution-free: at least nominal, up to simulation noise


@pytest.mark.parametrize("p", [0.05, 0.5, 0.95])
def test_order_statistic_ranks_are_scipy_stats_binomial_quantiles(p: float) -> None:
    # The ranks come from scipy.special (light to import); scipy.stats is the reference.
    from scipy.stats import binom

    for n in [*range(1, 400), 999, 1000, 4321, 10_000, 10_001, 123_457, 10**6, 10**8]:
        for confidence in (0.9, 0.95, 0.99):
            alpha = 1.0 - confidence
            lower = int(binom.ppf(alpha / 2.0, n, p))
            upper = int(binom.ppf(1.0 - alpha / 2.0, n, p)) + 1
            assert order_statistic_ranks(n, p, confidence) == (lower, upper), (n, confidence)
            assert binom.cdf(lower - 1, n, p) < alpha / 2.0 <= binom.cdf(lower, n, p)


def test_t_quantiles_are_scipy_stats_students_t() -> None:
    from scipy.stats import t

    for df in (1, 2, 3.5, 9, 49, 399, 9999):
        assert t_quantile(df) == float(t.ppf(0.975, df))
        assert t_quantile(df, 0.9) == float(t.ppf(0.95, df))


def test_a_run_summary_does_not_import_scipy_stats() -> None:
    code = (
        "import sys, numpy as np\n"
        "from reesim.results.stats import summarize, Bounds\n"
        "summarize(np.arange(50.0), Bounds(0.0, 100.0))\n"
        "summarize((np.arange(50) % 2).astype(float), Bounds(0.0, 1.0))\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"  # scipy.stats alone took ~0.5 s of every run


def test_too_few_replications_leave_a_percentile_end_at_the_bound() -> None:
    s = summarize(np.arange(1.0, 11.0), Bounds(0.0, 50.0))
    assert s.percentile_ci["p5"][0] == 0.0  # n = 10 cannot bound p5 from below
    assert s.percentile_ci["p95"][1] == 50.0


# --- differences of proportions --------------------------------------------------------------
def test_newcombe_paired_covers_the_true_difference() -> None:
    rng = np.random.default_rng(14)
    n, hits = 60, 0
    # correlated pairs: the candidate stops in every run the baseline stops, and in 15% more
    pb, extra = 0.2, 0.15
    truth = (1 - pb) * extra
    for _ in range(RUNS):
        b = rng.random(n) < pb
        c = b | (rng.random(n) < extra)
        d = paired_difference(b.astype(float), c.astype(float), bounds=(Bounds(0, 1),) * 2)
        assert d.method == "newcombe-paired"
        assert -1.0 <= d.ci_low <= d.delta <= d.ci_high <= 1.0
        hits += covers(d.ci_low, d.ci_high, truth)
    assert hits / RUNS >= 0.93


def test_newcombe_unpaired_covers_and_keeps_width_when_all_agree() -> None:
    rng = np.random.default_rng(15)
    hits = 0
    for _ in range(RUNS):
        b = summarize((rng.random(50) < 0.1).astype(float), Bounds(0.0, 1.0))
        c = summarize((rng.random(50) < 0.25).astype(float), Bounds(0.0, 1.0))
        d = welch_from_summaries(b, c, (Bounds(0, 1),) * 2)
        hits += covers(d.ci_low, d.ci_high, 0.15)
    assert hits / RUNS >= 0.93
    zero = summarize(np.zeros(30), Bounds(0.0, 1.0))
    one = summarize(np.ones(30), Bounds(0.0, 1.0))
    d = welch_from_summaries(zero, one, (Bounds(0, 1),) * 2)
    assert d.method == "newcombe" and 0.8 < d.ci_low < 1.0 == d.ci_high


def test_a_continuous_paired_difference_is_unchanged() -> None:
    """What compare reported before for continuous KPIs (a t-interval on the differences)."""
    b = np.array([1.0, 2.0, 3.0, 4.0])
    c = np.array([2.0, 4.0, 3.5, 5.5])
    d = paired_difference(b, c)
    diffs = c - b
    half = 3.182446305284263 * np.std(diffs, ddof=1) / 2.0
    assert d.delta == pytest.approx(diffs.mean())
    assert (d.ci_low, d.ci_high) == pytest.approx((diffs.mean() - half, diffs.mean() + half))


# --- folds past the exact limit --------------------------------------------------------------
def test_a_fold_past_its_exact_limit_agrees_with_the_exact_answer() -> None:
    rng = np.random.default_rng(16)
    data = np.column_stack([rng.lognormal(2.0, 0.7, 5000), rng.random(5000) < 0.1])
    data[::7, 0] = np.nan
    fold = ColumnFold(2, exact_limit=300)
    for row in data:
        fold.add(row)
    assert not fold.exact and fold._exact.size == 0  # the rows were dropped
    x = data[:, 0][~np.isnan(data[:, 0])]
    s = summarize_fold(fold, 0)
    assert s.n == x.size and not s.exact
    assert s.mean == pytest.approx(x.mean(), rel=1e-12)
    assert s.std == pytest.approx(x.std(ddof=1), rel=1e-9)
    for q, value in (("p5", s.p5), ("p50", s.p50), ("p95", s.p95)):
        exact = float(np.percentile(x, float(q[1:])))
        assert value == pytest.approx(exact, rel=3 * SKETCH_RELATIVE_ACCURACY)
        lo, hi = s.percentile_ci[q]
        assert lo <= exact <= hi
    indicator = summarize_fold(fold, 1, Bounds(0.0, 1.0))
    assert indicator.interval == "wilson" and indicator.ones == int(data[:, 1].sum())


CELLS = st.sampled_from([math.nan, 0.0, -0.0, 1.0, 2.5, -3.0, 1e300, math.inf, -math.inf, 7.0])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda rows: st.lists(
            st.lists(st.one_of(CELLS, st.floats(-1e6, 1e6)), min_size=rows, max_size=rows),
            min_size=1,
            max_size=9,
        )
    )
)
def test_column_percentiles_are_numpys_nanpercentile_exactly(columns: list[list[float]]) -> None:
    x = np.array(columns, dtype=float).T  # rows x columns: NaN, ties, infinities, -0.0
    q = (5.0, 50.0, 95.0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanpercentile(x, q, axis=0)
    found = nan_percentiles(x, q)
    assert found.shape == expected.shape
    assert np.array_equal(found, expected, equal_nan=True)  # NaN exactly where numpy's is
    assert not np.any((found == 0.0) & np.signbit(found))  # a zero is never -0.0


def test_a_fold_gives_the_percentiles_of_its_rows() -> None:
    rng = np.random.default_rng(3)
    data = rng.lognormal(1.0, 1.0, (500, 40))
    data[rng.random(data.shape) < 0.3] = np.nan  # a different number of values per column
    data[:, 7] = np.nan  # a column that never applies
    fold = ColumnFold(40, exact_limit=1000)
    for row in data:
        fold.add(row)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanpercentile(data, (5.0, 50.0, 95.0), axis=0)
    assert np.array_equal(fold.percentiles((5.0, 50.0, 95.0)), expected, equal_nan=True)


def summarize_fold(fold: ColumnFold, j: int, bounds: Bounds | None = None):  # type: ignore[no-untyped-def]
    from reesim.results.stats import summarize_column

    return summarize_column(fold, j, bounds or Bounds())


def metrics(r: int, rng: np.random.Generator) -> ReplicationMetrics:
    # Values like a model's: whole days (many 0), tonnes to a tenth.
    kpis = {f"firms.f{i}.stockout_days": float(rng.integers(0, 120)) for i in range(10)}
    series = {f"s{i}": rng.integers(0, 5000, 12) / 10.0 for i in range(4)}
    return ReplicationMetrics(r, kpis, series, 100)


def peak_bytes(n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    import reesim.results.result as result_module

    monkeypatch.setattr(result_module, "KPI_EXACT_LIMIT", 200)
    monkeypatch.setattr(result_module, "SERIES_EXACT_LIMIT", 100)
    rng = np.random.default_rng(0)
    tracemalloc.start()
    fold = ResultFold(365.0)
    for r in range(n):
        fold.add(metrics(r, rng))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    provenance = Provenance("0", "toy", "toy.yaml", "0" * 64, (), 1, fold.replications, 0.0, "")
    result = fold.result([f"m{i}" for i in range(12)], provenance)
    assert (
        len(result.provenance.replications) == n
        and not result.kpis["firms.f0.stockout_days"].values
    )
    return peak


def test_memory_is_flat_in_the_number_of_replications(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the exact limits a fold's memory stops growing: 10x the replications, about the
    same peak (a list of values would grow 10x)."""
    small = peak_bytes(1_000, monkeypatch)
    large = peak_bytes(8_000, monkeypatch)
    assert large < 1.3 * small, (small, large)
