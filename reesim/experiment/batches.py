"""One task of replications, as it runs in a worker process.

This module is what a worker imports to run reesim's tasks (spawned workers import nothing
else of reesim's beyond the engine, the metrics and the scenario model they need): no
statistics, no scipy, no reports. Seeds depend only on (root seed, replication index), so a
replication's numbers are the same whichever worker runs it and in which batch.

A batch carries its resolved scenario, which takes milliseconds to pickle and to unpickle
(every timeline event holds a whole parameter state), far more than the rest of a task. So a
process pickles each scenario object once (`SCENARIOS_KEPT`), and a worker unpickles each
scenario once and hands the same object to every later batch of it, which also keeps the
caches the engine and the metrics hold per scenario object warm.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from reesim.engine.run import simulate
from reesim.results.metrics import ReplicationMetrics, measure
from reesim.scenario.load import ResolvedScenario

ReplicationModel = Callable[[ResolvedScenario, int, int], ReplicationMetrics]
"""(resolved scenario, root seed, replication) -> that replication's metrics."""


def simulate_and_measure(
    resolved: ResolvedScenario,
    root_seed: int,
    replication: int,
    series: bool = True,
    daily: bool = True,
) -> ReplicationMetrics:
    """The model every command runs: one replication of the engine, reduced to its metrics
    (without series, or without daily series, where the caller keeps none: see `measure`)."""
    return measure(simulate(resolved, root_seed, replication), resolved.scenario, series, daily)


@dataclass(frozen=True)
class Batch:
    resolved: ResolvedScenario
    root_seed: int
    replications: tuple[int, ...]
    point: int = 0
    """Design point of a sweep (0 for a plain run); carried through to the outcome."""
    model: ReplicationModel | None = None
    """What to run per replication; None is `simulate_and_measure`. Tests plug in doubles (a
    toy function with known Sobol indices, one that raises) through the same code path."""
    series: bool = True
    """Keep monthly series; sweeps keep only KPIs, so less travels back from the workers."""
    daily: bool = True
    """Keep daily series; a run summarises them over its first `DAILY_LIMIT` replications."""

    def __reduce__(self) -> tuple[Any, ...]:
        key, pickled = _pickled(self.resolved)
        fields = (
            self.root_seed,
            self.replications,
            self.point,
            self.model,
            self.series,
            self.daily,
        )
        return _unpickle_batch, (key, pickled, *fields)


SCENARIOS_KEPT = 8
"""Scenarios a process keeps pickled (to send) and unpickled (received): a run's batches all
carry one, a comparison's a few, a sweep's move from design point to design point."""

_sent: OrderedDict[int, tuple[ResolvedScenario, bytes, bytes]] = OrderedDict()
"""id(scenario) -> (the scenario, kept so that its id stays its own; key; pickled bytes)."""
_received: OrderedDict[bytes, ResolvedScenario] = OrderedDict()
"""key -> the scenario unpickled from those bytes."""


def _pickled(resolved: ResolvedScenario) -> tuple[bytes, bytes]:
    """(key, pickled bytes) of a scenario, pickled once per object; the key is a digest of
    the bytes, so equal keys mean the same scenario wherever it was pickled."""
    found = _sent.get(id(resolved))
    if found is None or found[0] is not resolved:
        pickled = pickle.dumps(resolved, protocol=pickle.HIGHEST_PROTOCOL)
        found = (resolved, hashlib.blake2b(pickled, digest_size=16).digest(), pickled)
        _keep(_sent, id(resolved), found)
    else:
        _sent.move_to_end(id(resolved))
    return found[1], found[2]


def _unpickle_batch(key: bytes, pickled: bytes, *fields: Any) -> Batch:
    resolved = _received.get(key)
    if resolved is None:
        resolved = pickle.loads(pickled)  # bytes a reesim process pickled (`_pickled`)
        _keep(_received, key, resolved)
    else:
        _received.move_to_end(key)
    return Batch(resolved, *fields)


def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    while len(cache) > SCENARIOS_KEPT:
        cache.popitem(last=False)


@dataclass(frozen=True)
class Failure:
    """A replication that raised, as data: enough to replay it."""

    point: int
    replication: int
    seed: int
    error: str


@dataclass(frozen=True)
class BatchOutcome:
    metrics: tuple[ReplicationMetrics, ...]
    failures: tuple[Failure, ...] = ()
    point: int = 0
    seed: int = 0

    @property
    def failed_replication(self) -> int | None:
        return self.failures[0].replication if self.failures else None

    @property
    def error(self) -> str:
        return self.failures[0].error if self.failures else ""


def run_batch(batch: Batch) -> BatchOutcome:
    """Run and measure each replication of a batch; one that raises is recorded as a `Failure`
    and the others still run."""
    model = batch.model or partial(
        simulate_and_measure, series=batch.series, daily=batch.series and batch.daily
    )
    done, failed = [], []
    for r in batch.replications:
        try:
            metrics = model(batch.resolved, batch.root_seed, r)
        except Exception as exc:  # noqa: BLE001 - a failed run becomes data for the caller
            failed.append(Failure(batch.point, r, batch.root_seed, f"{type(exc).__name__}: {exc}"))
            continue
        if not batch.series:
            metrics = replace(metrics, series={})
        done.append(metrics)
    return BatchOutcome(tuple(done), tuple(failed), batch.point, batch.root_seed)


def run_batches(batches: tuple[Batch, ...]) -> tuple[BatchOutcome, ...]:
    """Several batches as one task (a sweep's task may span design points)."""
    return tuple(run_batch(b) for b in batches)


def probe(resolved: ResolvedScenario, root_seed: int) -> ReplicationMetrics | None:
    """Replication 0's metrics, to check KPI and series names before the real work; None when
    it fails (the run itself then reports the failure, with how to replay it)."""
    outcome = run_batch(Batch(resolved, root_seed, (0,)))
    return outcome.metrics[0] if outcome.metrics else None
