"""The engine against queueing theory and simple arithmetic, over seeded replications.

The licensing authority with only background applications (a Poisson stream of rate lambda),
exponential review times (mean 1/mu, calendar days) and c reviewers is an M/M/c queue, so the
mean wait in queue has the Erlang C closed form and the reviewers' utilization is
lambda / (c mu). The one firm the schema requires uses a material that is never controlled and
holds ample stock, so it never files and never disturbs the queue.

Statistical tolerances come from the replications themselves: each replication's mean is an
independent draw, so the standard error (SE) of their average is sd / sqrt(n). A replication
starts with an empty, idle queue, so its mean wait is biased slightly low: the queue needs a few
relaxation times, about 1 / (mu (1 - sqrt(rho))^2) for M/M/1 (19 days at rho = 0.6), to reach
steady state. The wait test therefore drops applications filed in the first 100 days (a warm-up
cut of five relaxation times). Applications still open at the horizon are not decided and so not
counted, a small bias of order 1/T. The tests allow |mean - theory| < 4 SE + 1 % of theory: a
false alarm has odds far below 1 in 10^4 (and the seeds are fixed), and the band is narrow enough
that a queue with 5 % more arrivals than the theory assumes fails it (shown by a test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reesim.engine.recorder import RunRecords
from reesim.engine.run import simulate
from reesim.results.metrics import measure
from reesim.scenario.load import load_text

ROOT_SEED = 20250404
HORIZON = 2000.0

MMC = """\
name: mmc
start: 2025-01-01
horizon: {horizon}d
calendar: {{base: none, weekends: []}}
materials: {{m: {{}}}}
authority:
  controls: {{m: false}}
  review: {{time: {{dist: exponential, mean: {mean}d}}, capacity: {c}}}
  outcomes: [{{approve: 1, deny: 0, return: 0}}]
  background: {{rate_per_day: {lam}}}
firms:
  bystander:
    country: us
    production: {{units_per_day: 1}}
    needs: {{m: {{rate: 1 kg/d}}}}
    stockpile: {{m: 10000 t}}
    ordering: {{review_period: 100000d}}
    suppliers: []
"""


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival must wait in M/M/c with offered load a = lambda / mu < c."""
    rho = a / c
    top = a**c / math.factorial(c) / (1.0 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_wq(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: Wq = C(c, a) / (c mu - lambda)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def test_erlang_c_formula_matches_known_values() -> None:
    # The formula in the test, checked on textbook cases: M/M/1 Wq = rho / (mu - lambda);
    # C(2, 1) = 1/3; M/M/3 with a = 2.4 (Kleinrock-style hand computation).
    assert mmc_wq(1, 0.6, 1.0) == pytest.approx(0.6 / 0.4)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # a = 2.4, c = 3: a^3/3! / (1 - 0.8) = 11.52; 1 + 2.4 + 2.88 = 6.28; C = 11.52 / 17.8.
    assert erlang_c(3, 2.4) == pytest.approx(11.52 / 17.8)


@dataclass(frozen=True)
class Replications:
    c: int
    lam: float
    mu: float
    records: tuple[RunRecords, ...]
    kpis: tuple[dict[str, float], ...]

    def kpi(self, name: str) -> np.ndarray:
        return np.array([k[name] for k in self.kpis])


def replicate(c: int, lam: float, mean: float, n: int) -> Replications:
    resolved = load_text(MMC.format(horizon=HORIZON, c=c, lam=lam, mean=mean), "<mmc>")
    records = tuple(simulate(resolved, ROOT_SEED, r) for r in range(n))
    kpis = tuple(measure(rec, resolved.scenario).kpis for rec in records)
    return Replications(c, lam, 1.0 / mean, records, kpis)


# M/M/1 at rho = 0.6 (Wq = 1.5 d) and M/M/3 at rho = 0.8 (Wq = 1.079 d).
CASES = {"M/M/1": (1, 0.6, 1.0, 200), "M/M/3": (3, 2.4, 1.0, 80)}
WARM_UP_DAYS = 100.0


@pytest.fixture(scope="module", params=sorted(CASES))
def mmc(request: pytest.FixtureRequest) -> Replications:
    return replicate(*CASES[request.param])


def within(values: np.ndarray, theory: float, rel_bias: float) -> tuple[float, float]:
    """(|mean - theory|, allowed = 4 SE + rel_bias * theory)."""
    se = float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return abs(float(np.mean(values)) - theory), 4.0 * se + rel_bias * theory


def steady_waits(reps: Replications) -> np.ndarray:
    """Each replication's mean wait for a reviewer, over applications filed after the warm-up."""
    return np.array(
        [
            np.mean(
                [
                    d.review_start_day - d.filed_day
                    for d in rec.decisions
                    if d.filed_day >= WARM_UP_DAYS
                ]
            )
            for rec in reps.records
        ]
    )


def test_mean_wait_in_queue_matches_erlang_c(mmc: Replications) -> None:
    waits = steady_waits(mmc)
    theory = mmc_wq(mmc.c, mmc.lam, mmc.mu)
    error, allowed = within(waits, theory, 0.01)
    assert error < allowed, (float(np.mean(waits)), theory)
    # The KPI over all applications (no warm-up cut) agrees too, a little lower.
    error, allowed_all = within(mmc.kpi("authority.queue_wait_days"), theory, 0.03)
    assert error < allowed_all


def test_the_erlang_c_band_rejects_five_percent_more_arrivals() -> None:
    """The band of the test above would catch a model that got the arrival rate 5 % wrong: the
    same M/M/1 replications with lambda x 1.05 are outside it."""
    c, lam, mean, n = CASES["M/M/1"]
    wrong = replicate(c, 1.05 * lam, mean, n)
    waits = steady_waits(wrong)
    theory = mmc_wq(c, lam, 1.0 / mean)
    error, allowed = within(waits, theory, 0.01)
    assert error > allowed, (float(np.mean(waits)), theory, allowed)


def test_utilization_is_offered_load_per_reviewer(mmc: Replications) -> None:
    util = mmc.kpi("authority.utilization")
    rho = mmc.lam / (mmc.c * mmc.mu)
    # Busy time is lambda T / mu on average, less the unfinished part of reviews open at the
    # horizon and the idle start: both O(1/T), so a 1 % allowance.
    error, allowed = within(util, rho, 0.01)
    assert error < allowed, (float(np.mean(util)), rho)
    for rec in mmc.records:
        assert rec.reviewer_capacity_days == mmc.c * HORIZON
        assert 0.0 <= rec.reviewer_busy_days <= mmc.c * HORIZON


def time_average_backlog(rec: RunRecords) -> float:
    """(1/T) times the integral over [0, T] of the step function of pending applications."""
    times = np.append(rec.backlog_times, rec.horizon_days)
    return float(np.sum(rec.backlog_counts * np.diff(times))) / rec.horizon_days


def test_backlog_integral_equals_time_in_system_exactly(mmc: Replications) -> None:
    # Sample-path Little: the area under the backlog curve is the sum over submissions of the
    # time each spent pending within [0, T]: decision - filing if decided, T - filing if not.
    for rec in mmc.records[:5]:
        T = rec.horizon_days
        decided = {d.application_id: d for d in rec.decisions}
        assert len(decided) == len(rec.decisions)  # approve 1: no resubmissions
        area = sum(
            (decided[f.application_id].decision_day if f.application_id in decided else T) - f.day
            for f in rec.filings
        )
        assert time_average_backlog(rec) * T == pytest.approx(area, rel=1e-9)
        assert np.all(np.diff(rec.backlog_times) >= 0.0)
        assert np.all(rec.backlog_counts >= 0)


def test_littles_law_on_the_authority(mmc: Replications) -> None:
    # L = lambda W: time-average number pending (queued or in review) against the arrival rate
    # times the mean time from filing to decision. Per replication both sides estimate the same
    # steady-state number, so their difference averages to ~0 (bias only from the O(1/T) edge
    # effects: censoring at the horizon and the random number of arrivals).
    lam = mmc.lam
    L = np.array([time_average_backlog(rec) for rec in mmc.records])
    W = np.array(
        [np.mean([d.decision_day - d.filed_day for d in rec.decisions]) for rec in mmc.records]
    )
    error, allowed = within(L - lam * W, 0.0, 0.0)
    assert error < allowed + 0.01 * float(np.mean(L)), (float(np.mean(L)), lam * float(np.mean(W)))
    # And both agree with M/M/c theory: L = lambda (Wq + 1 / mu).
    theory = lam * (mmc_wq(mmc.c, lam, mmc.mu) + 1.0 / mmc.mu)
    error, allowed = within(L, theory, 0.03)
    assert error < allowed, (float(np.mean(L)), theory)
    # The arrival stream itself: Poisson with rate lambda, so filings / T has SE sqrt(lam / T).
    arrivals = np.array([len(rec.filings) / rec.horizon_days for rec in mmc.records])
    error, allowed = within(arrivals, lam, 0.0)
    assert error < allowed


# --- deterministic drawdown ---------------------------------------------------------------------
DRAWDOWN = """\
name: drawdown
start: 2025-01-01
horizon: {horizon}d
calendar: {{base: none, weekends: []}}
materials: {{m: {{}}}}
authority:
  review: {{time: 10d}}
  outcomes: [{{approve: 1, deny: 0, return: 0}}]
firms:
  f:
    country: us
    production: {{units_per_day: {units}}}
    needs: {{m: {{rate: {rate!r}}}}}
    stockpile: {{m: {stock!r}}}
    ordering: {{review_period: {review}d}}
    suppliers: []
"""


@settings(max_examples=60, deadline=None)
@given(
    stock=st.floats(1.0, 1e7, allow_nan=False, allow_infinity=False),
    rate=st.floats(0.5, 1e5, allow_nan=False, allow_infinity=False),
    units=st.integers(1, 10_000),
    review=st.sampled_from([1, 3.5, 7, 30, 1000]),
)
def test_drawdown_runs_out_at_stock_over_rate(
    stock: float, rate: float, units: int, review: float
) -> None:
    # With no supplier, stock S kg used at r kg/day runs out at S / r whatever the firm's
    # review rhythm (each review is an extra event splitting the linear drawdown).
    out = stock / rate
    assume(0.01 <= out <= 5000.0)
    horizon = math.ceil(out) + 3
    resolved = load_text(
        DRAWDOWN.format(horizon=horizon, units=units, rate=rate, stock=stock, review=review),
        "<drawdown>",
    )
    records = simulate(resolved, 1, 0)
    kpis = measure(records, resolved.scenario).kpis
    trace = records.firms[0]
    assert len(trace.halts) == 1
    start, end = trace.halts[0]
    assert start == pytest.approx(out, rel=1e-9, abs=1e-9)
    assert end == horizon
    assert kpis["firms.f.stockout_days"] == pytest.approx(horizon - out, rel=1e-9, abs=1e-9)
    assert kpis["firms.f.production_lost_units"] == pytest.approx(
        units * (horizon - out), rel=1e-9, abs=1e-6
    )
    assert kpis["firms.f.min_cover_days"] == 0.0
    assert trace.consumed_kg[0] == pytest.approx(stock, rel=1e-12)
    assert trace.final_kg[0] == 0.0
