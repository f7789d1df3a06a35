"""A firm's set-up (`reesim.engine.firm_setup`) is worked out once per parameter state and reused by
every replication, and never served to another state, even one at a reused address."""

from __future__ import annotations

import gc

from reesim.engine.firm_setup import firm_setup
from reesim.engine.run import simulate
from reesim.scenario.load import load_scenario
from reesim.scenario.per_scenario import PerScenario
from reesim.scenario.schema import Scenario

LICENCE_QUEUE = "scenarios/examples/licence-queue.yaml"
IMPORTER = ("importer", ("ndfeb_magnet",))


def test_replications_share_one_setup_per_parameter_state() -> None:
    resolved = load_scenario(LICENCE_QUEUE)
    setup = firm_setup(resolved.scenario, IMPORTER)
    simulate(resolved, 1, 0)
    simulate(resolved, 1, 1)
    assert firm_setup(resolved.scenario, IMPORTER) is setup
    assert setup.materials == ("ndfeb_magnet",)
    assert setup.stockpile == ((90.0, 0.0),)  # 90 days of cover: kg once the rate is known


def test_a_changed_scenario_gets_its_own_setup() -> None:
    base = load_scenario(LICENCE_QUEUE)
    lean = load_scenario(LICENCE_QUEUE, ["firms.importer.stockpile.ndfeb_magnet=5000"])
    assert firm_setup(lean.scenario, IMPORTER).stockpile == ((None, 5000.0),)
    assert firm_setup(base.scenario, IMPORTER).stockpile == ((90.0, 0.0),)
    # and the run follows it: 5 t of stock at 1 t/day
    assert simulate(lean, 1, 0).firms[0].initial_kg[0] == 5000.0
    assert simulate(base, 1, 0).firms[0].initial_kg[0] == 90_000.0


def test_a_state_that_is_gone_is_forgotten_and_the_cache_stays_small() -> None:
    built: list[int] = []

    def build(scenario: Scenario, key: int) -> int:
        built.append(key)
        return key * 10

    cache: PerScenario[int, int] = PerScenario(build, kept=3)
    states = [load_scenario(LICENCE_QUEUE, [f"authority.review.capacity={c}"]) for c in (1, 2)]
    one = states[0].scenario
    assert cache(one, 1) == 10 and cache(one, 1) == 10 and built == [1]
    assert cache(states[1].scenario, 1) == 10 and built == [1, 1]  # another object: built anew
    del one, states
    gc.collect()
    assert len(cache) == 0
    many = [load_scenario(LICENCE_QUEUE).scenario for _ in range(2)]
    for k in range(5):
        cache(many[k % 2], k)
    assert len(cache) == 3


def test_a_setup_indexes_materials_in_the_buyers_order() -> None:
    # A timeline keeps a firm's materials but may list them in another order: the set-up of a
    # later state is indexed as the buyer was at the start.
    resolved = load_scenario("scenarios/controls-2025.yaml")
    spec = resolved.scenario.firms["japan_automaker"]
    listed = tuple(spec.needs)
    assert len(listed) == 2
    forward = firm_setup(resolved.scenario, ("japan_automaker", listed))
    backward = firm_setup(resolved.scenario, ("japan_automaker", listed[::-1]))
    assert backward.index_of == {m: 1 - i for m, i in forward.index_of.items()}
    assert backward.controlled == forward.controlled[::-1]
    assert [u for u, _ in backward.lines[0].uses] == [0, 1]
