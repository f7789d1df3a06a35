"""Fitting a scenario's declared uncertainties to observed data: ABC-SMC.

Approximate Bayesian computation needs no likelihood, only the simulator: parameter values are
drawn, the scenario runs at each, and values whose simulated observations come close to the
data are kept. Sequential Monte Carlo (ABC-SMC; Toni et al. 2009, Beaumont et al. 2009) does
this in generations with a shrinking tolerance:

0. draw `population` values from the prior (each uncertainty uniform over its declared range,
   log-uniform when ``log: true``) and run them all; the spread of each simulated observation
   over this generation is its scale (so observations in tonnes and in days weigh alike);
1. each later generation's tolerance is the median distance of the previous one; new values
   are drawn from the previous population (by weight) and moved by a Gaussian kernel with twice
   its weighted covariance (on the unit cube of the ranges), until `population` of them land
   within the tolerance. Weights correct for the proposal: prior / sum_j w_j K(theta | theta_j).

The final population is the posterior: each uncertainty's weighted median and 90% interval is
the fit and its uncertainty. The distance is the sum over fitted observations of
((simulated - observed) / scale)^2 (``squared``, the default) or of its absolute value
(``absolute``). Each value tried runs `replications` replications, and the simulated observation
is their mean. Unlike `solve`, every value tried gets a root seed of its own (derived from the
root seed and a counter): with common random numbers all values would share one draw of the
model's noise, and the posterior would fit that draw rather than the parameter.

Why hand-written rather than a library: pyabc, the well-kept ABC-SMC library, requires pandas,
scikit-learn, SQLAlchemy, redis, gitpython and ipykernel, and brings its own samplers; optuna
or scikit-optimize give a best fit without a posterior. The algorithm itself is short, and here
it runs every batch of simulations on reesim's own executors (local processes or Dask).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reesim.experiment.executors import Executor, SerialExecutor
from reesim.questions.observations import Observation
from reesim.questions.parameter import Axis, parse_range
from reesim.scenario.load import ResolvedScenario
from reesim.scenario.schema import Uncertainty

Distance = Literal["squared", "absolute"]


@dataclass(frozen=True)
class Prior:
    """One uncertainty: its id, its axis (path and range in its unit) and log flag."""

    name: str
    axis: Axis
    log: bool

    def value(self, u: float) -> float:
        lo, hi = self.axis.low, self.axis.high
        if self.log:
            return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        return lo + u * (hi - lo)


def priors(uncertainties: dict[str, Uncertainty], only: Sequence[str] = ()) -> list[Prior]:
    chosen = [n for n in uncertainties if not only or n in only]
    return [
        Prior(
            n,
            parse_range(uncertainties[n].path, f"{uncertainties[n].low}:{uncertainties[n].high}"),
            uncertainties[n].log,
        )
        for n in chosen
    ]


@dataclass(frozen=True)
class Job:
    """One parameter value to simulate (picklable: it travels to a worker)."""

    resolved: ResolvedScenario
    root_seed: int
    replications: int
    observations: tuple[Observation, ...]


def simulate_job(job: Job) -> np.ndarray:
    """(replications x observations) simulated values at one parameter value."""
    from reesim.experiment.batches import simulate_and_measure
    from reesim.results.months import Months

    scenario = job.resolved.scenario
    months = Months.covering(scenario.start, scenario.horizon_days).labels
    out = np.empty((job.replications, len(job.observations)))
    for r in range(job.replications):
        m = simulate_and_measure(job.resolved, job.root_seed, r)
        for j, o in enumerate(job.observations):
            if o.name in m.series:
                out[r, j] = float(m.series[o.name][months.index(o.month)])
            else:
                out[r, j] = m.kpis[o.name]
    return out


Resolve = Callable[[Sequence[str]], ResolvedScenario]


@dataclass(frozen=True)
class Generation:
    tolerance: float
    thetas: np.ndarray  # (population, parameters) in unit coordinates
    weights: np.ndarray
    distances: np.ndarray
    simulations: int


@dataclass(frozen=True)
class Calibration:
    priors: tuple[Prior, ...]
    observations: tuple[Observation, ...]
    fitted: tuple[bool, ...]
    """Per observation: used in the fit (True) or held out."""
    scales: np.ndarray
    generations: tuple[Generation, ...]
    distance: Distance
    replications: int

    @property
    def posterior(self) -> Generation:
        return self.generations[-1]

    @property
    def simulations(self) -> int:
        return sum(g.simulations for g in self.generations)

    def values(self, i: int) -> np.ndarray:
        """Posterior draws of parameter i in its unit."""
        return np.array([self.priors[i].value(u) for u in self.posterior.thetas[:, i]])

    def summary(self, i: int) -> tuple[float, float, float, float, float]:
        """Weighted mean, sd, 5%, 50%, 95% of parameter i's posterior, in its unit."""
        x, w = self.values(i), self.posterior.weights
        mean = float(np.sum(w * x))
        sd = float(math.sqrt(max(0.0, np.sum(w * (x - mean) ** 2))))
        q5, q50, q95 = weighted_quantiles(x, w, (0.05, 0.5, 0.95))
        return mean, sd, q5, q50, q95

    def overrides_at(self, theta: np.ndarray) -> list[str]:
        return [p.axis.override(p.value(float(u))) for p, u in zip(self.priors, theta, strict=True)]


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> list[float]:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    cum = cum / cum[-1]
    return [float(x[order][min(int(np.searchsorted(cum, q)), len(x) - 1)]) for q in qs]


def distances(
    sim: np.ndarray, observed: np.ndarray, scales: np.ndarray, fitted: np.ndarray, kind: Distance
) -> np.ndarray:
    """Distance of each simulated row (mean over replications per observation) to the data."""
    z = (sim - observed) / scales
    z = z[:, fitted]
    distance: np.ndarray = np.sum(z * z, axis=1) if kind == "squared" else np.sum(np.abs(z), axis=1)
    return distance


def abc_smc(
    priors_: Sequence[Prior],
    observations: Sequence[Observation],
    fitted: Sequence[bool],
    resolve: Resolve,
    root_seed: int = 1,
    population: int = 40,
    generations: int = 4,
    replications: int = 4,
    distance: Distance = "squared",
    executor: Executor | None = None,
    max_simulations: int | None = None,
    rng_seed: int = 0,
) -> Calibration:
    executor = executor or SerialExecutor()
    rng = np.random.default_rng([rng_seed, 0xCA1B])
    observed = np.array([o.value for o in observations])
    fit_mask = np.asarray(fitted, dtype=bool)
    d = len(priors_)
    budget = max_simulations or population * generations * 20

    counter = iter(range(1 << 62))

    def simulate(thetas: np.ndarray) -> np.ndarray:
        jobs = []
        for theta in thetas:
            sets = [p.axis.override(p.value(float(u))) for p, u in zip(priors_, theta, strict=True)]
            seed = own_seed(root_seed, next(counter))
            jobs.append(Job(resolve(sets), seed, replications, tuple(observations)))
        means = list(executor.map(_indexed, list(enumerate(jobs))))
        means.sort(key=lambda t: t[0])
        return np.vstack([m for _, m in means])

    thetas = rng.random((population, d))
    sims = simulate(thetas)
    spread = sims.std(axis=0, ddof=1) if population > 1 else np.ones(len(observed))
    floor = 1e-6 * np.maximum(1.0, np.abs(observed))
    scales = np.where(spread > floor, spread, np.maximum(floor, 0.05 * np.abs(observed) + 1e-9))
    dist = distances(sims, observed, scales, fit_mask, distance)
    weights = np.full(population, 1.0 / population)
    gens = [Generation(math.inf, thetas, weights, dist, population)]
    spent = population
    for _ in range(1, generations):
        prev = gens[-1]
        tolerance = float(np.median(prev.distances))
        cov = 2.0 * np.atleast_2d(np.cov(prev.thetas.T, aweights=prev.weights)) + 1e-10 * np.eye(d)
        chol = np.linalg.cholesky(cov)
        inv = np.linalg.inv(cov)
        kept_t: list[np.ndarray] = []
        kept_d: list[float] = []
        simulated = 0
        while len(kept_t) < population and spent < budget:
            batch = max(population - len(kept_t), 4)
            picks = rng.choice(population, size=batch, p=prev.weights)
            proposals = prev.thetas[picks] + rng.standard_normal((batch, d)) @ chol.T
            proposals = proposals[np.all((proposals >= 0) & (proposals <= 1), axis=1)]
            if not len(proposals):
                continue
            found = distances(simulate(proposals), observed, scales, fit_mask, distance)
            simulated += len(proposals)
            spent += len(proposals)
            for theta, dd in zip(proposals, found, strict=True):
                if dd <= tolerance and len(kept_t) < population:
                    kept_t.append(theta)
                    kept_d.append(float(dd))
        if len(kept_t) < max(2, population // 4):
            break  # budget spent: keep the last complete generation as the posterior
        new = np.vstack(kept_t)
        diff = new[:, None, :] - prev.thetas[None, :, :]
        kernel = np.exp(-0.5 * np.einsum("ijk,kl,ijl->ij", diff, inv, diff))
        w = 1.0 / (kernel @ prev.weights)  # the prior is uniform on the unit cube
        gens.append(Generation(tolerance, new, w / w.sum(), np.asarray(kept_d), simulated))
    return Calibration(
        tuple(priors_),
        tuple(observations),
        tuple(bool(f) for f in fitted),
        scales,
        tuple(gens),
        distance,
        replications,
    )


def own_seed(root_seed: int, k: int) -> int:
    """The root seed of the k-th value simulated: independent streams for every value."""
    return int(np.random.SeedSequence([root_seed, k]).generate_state(1)[0])


def _indexed(item: tuple[int, Job]) -> tuple[int, np.ndarray]:
    i, job = item
    return i, simulate_job(job).mean(axis=0)


@dataclass(frozen=True)
class Predictive:
    """Posterior-predictive draws of each observation: (draws x observations)."""

    draws: np.ndarray

    def band(self, lo: float = 0.05, hi: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.quantile(self.draws, lo, axis=0),
            np.quantile(self.draws, 0.5, axis=0),
            np.quantile(self.draws, hi, axis=0),
        )


def predictive(
    cal: Calibration,
    resolve: Resolve,
    root_seed: int,
    draws: int = 20,
    executor: Executor | None = None,
    rng_seed: int = 0,
) -> Predictive:
    """Run `draws` posterior values (resampled by weight), each with seeds of its own, keeping
    every replication: the bands show the posterior's uncertainty and the model's noise."""
    executor = executor or SerialExecutor()
    rng = np.random.default_rng([rng_seed, 0x9E0])
    post = cal.posterior
    picks = rng.choice(len(post.thetas), size=draws, p=post.weights)
    jobs = [
        (
            i,
            Job(
                resolve(cal.overrides_at(post.thetas[k])),
                own_seed(root_seed, (1 << 40) + i),
                cal.replications,
                cal.observations,
            ),
        )
        for i, k in enumerate(picks)
    ]
    rows = sorted(executor.map(_all_reps, jobs), key=lambda t: t[0])
    return Predictive(np.vstack([m for _, m in rows]))


def _all_reps(item: tuple[int, Job]) -> tuple[int, np.ndarray]:
    i, job = item
    return i, simulate_job(job)


@dataclass(frozen=True)
class Fit:
    """How well the posterior predicts a set of observations."""

    observations: int
    rmse_standardised: float
    """Root mean square of (predictive median - observed) / scale."""
    coverage_90: float
    """Share of observations inside their 90% posterior-predictive band."""


def fit_of(cal: Calibration, pred: Predictive, which: Sequence[bool]) -> Fit | None:
    mask = np.asarray(which, dtype=bool)
    if not mask.any():
        return None
    lo, mid, hi = pred.band()
    observed = np.array([o.value for o in cal.observations])
    z = ((mid - observed) / cal.scales)[mask]
    inside = ((observed >= lo) & (observed <= hi))[mask]
    return Fit(int(mask.sum()), float(np.sqrt(np.mean(z * z))), float(inside.mean()))
