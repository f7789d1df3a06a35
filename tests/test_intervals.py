"""Binomial intervals: bounds inside [0, 1] and coverage checked by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reesim.results.intervals import clopper_pearson_interval, upper_bound, wilson_interval


@settings(deadline=None)  # the first call imports scipy
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_bounds_stay_in_the_unit_interval_and_contain_the_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    for low, high in (wilson_interval(k, n), clopper_pearson_interval(k, n)):
        assert 0.0 <= low <= k / n <= high <= 1.0
    assert 0.0 < upper_bound(k, n) <= 1.0


def test_all_or_nothing_counts_keep_a_finite_width() -> None:
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and 0.1 < high < 0.2  # 0 of 20 does not prove the risk is zero
    low, high = clopper_pearson_interval(20, 20)
    assert high == 1.0 and 0.8 < low < 0.9
    # the "rule of three": the 95% one-sided bound on 0 of n is about 3/n
    assert upper_bound(0, 300) == pytest.approx(3 / 300, rel=0.01)


def test_known_values() -> None:
    # Wilson: 7 of 20 at 95% (Newcombe 1998, table I): 0.1812 .. 0.5671
    low, high = wilson_interval(7, 20)
    assert (round(low, 4), round(high, 4)) == (0.1812, 0.5671)
    # Clopper-Pearson: 7 of 20 at 95%: 0.1539 .. 0.5922
    low, high = clopper_pearson_interval(7, 20)
    assert (round(low, 4), round(high, 4)) == (0.1539, 0.5922)


@pytest.mark.parametrize("p", [0.01, 0.05, 0.2, 0.5, 0.93])
@pytest.mark.parametrize("n", [10, 40, 200])
def test_coverage_by_simulation(p: float, n: int) -> None:
    """Clopper-Pearson covers at least its nominal level at every p; Wilson comes close (its
    known dips below nominal are a few points at small n)."""
    rng = np.random.default_rng(2024 + n)
    trials = 4000
    counts = rng.binomial(n, p, size=trials)
    cp = np.mean(
        [lo <= p <= hi for lo, hi in (clopper_pearson_interval(int(k), n) for k in counts)]
    )
    wi = np.mean([lo <= p <= hi for lo, hi in (wilson_interval(int(k), n) for k in counts)])
    one_sided = np.mean([p <= upper_bound(int(k), n) for k in counts])
    # 4000 trials: a standard error of ~0.35 percentage points at 95%.
    assert cp >= 0.95 - 0.011
    assert one_sided >= 0.95 - 0.011
    assert wi >= 0.90


def test_a_t_interval_would_have_failed_where_these_hold() -> None:
    """The motivating case: 199 of 200 stockouts. The t-interval's upper end passes 1."""
    k, n = 199, 200
    x = np.r_[np.ones(k), np.zeros(n - k)]
    t_high = x.mean() + 1.97 * x.std(ddof=1) / np.sqrt(n)
    assert t_high > 1.0
    assert wilson_interval(k, n)[1] <= 1.0


@pytest.mark.parametrize("bad", [(-1, 5), (6, 5)])
def test_impossible_counts_are_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(*bad)
