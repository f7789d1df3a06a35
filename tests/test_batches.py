"""How a run's replications are cut into tasks and how a task travels to a worker: every
replication exactly once and in order, tasks that shrink towards the end so the workers finish
together, and a scenario pickled once per process and unpickled once per worker."""

from __future__ import annotations

import pickle

import pytest

from reesim.experiment import batches as batches_module
from reesim.experiment.batches import SCENARIOS_KEPT, Batch
from reesim.experiment.runner import MAX_BATCH, batches
from reesim.scenario.load import load_text
from tests.conftest import MINIMAL


@pytest.mark.parametrize("replications", [1, 2, 7, 64, 65, 400, 1000, 12_345])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_batches_hold_every_replication_once_in_order(replications: int, workers: int) -> None:
    indices = range(100, 100 + replications)  # not starting at 0: indices, not positions
    cut = [b.replications for b in batches(None, 7, indices, workers)]  # type: ignore[arg-type]
    assert [r for task in cut for r in task] == list(indices)
    sizes = [len(task) for task in cut]
    assert all(1 <= s <= MAX_BATCH for s in sizes)
    assert sizes == sorted(sizes, reverse=True)  # big tasks first, small ones last


def test_the_last_tasks_are_single_replications() -> None:
    # One worker can then be left running at most about one replication while the other
    # waits, not a whole batch (a 400-replication run once ended on a 50-replication batch).
    sizes = [len(b.replications) for b in batches(None, 1, range(400), 2)]  # type: ignore[arg-type]
    assert sizes[0] == MAX_BATCH
    assert sizes[-2:] == [1, 1]
    assert len(sizes) < 40  # and few tasks in all: the overhead per task stays negligible


def test_a_batch_carries_its_scenario_pickled_once_and_unpickled_once() -> None:
    first = load_text(MINIMAL, "a.yaml")
    second = load_text(MINIMAL.replace("capacity: 2", "capacity: 3"), "b.yaml")
    wires = [pickle.dumps(Batch(s, 1, (r,))) for r in range(3) for s in (first, second)]
    received = [pickle.loads(w) for w in wires]
    # The same scenario arrives as one object, equal to what was sent, for every batch of it.
    assert [b.replications for b in received] == [(r,) for r in range(3) for _ in range(2)]
    assert received[0].resolved == first and received[1].resolved == second
    assert all(b.resolved is received[0].resolved for b in received[0::2])
    assert all(b.resolved is received[1].resolved for b in received[1::2])
    assert received[0].resolved is not received[1].resolved


def test_the_scenario_caches_are_bounded() -> None:
    scenarios = [
        load_text(MINIMAL.replace("capacity: 2", f"capacity: {c}"), f"{c}.yaml")
        for c in range(1, SCENARIOS_KEPT + 4)
    ]
    for s in scenarios:
        again = pickle.loads(pickle.dumps(Batch(s, 1, (0,))))
        assert again.resolved == s and again.series and again.model is None
    assert len(batches_module._sent) == SCENARIOS_KEPT
    assert len(batches_module._received) == SCENARIOS_KEPT
