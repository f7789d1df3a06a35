"""One replication of one scenario: `simulate` is the engine's only entry point."""

from __future__ import annotations

from operator import attrgetter

from reesim.engine.authority import LicensingAuthority
from reesim.engine.background import BackgroundStream
from reesim.engine.buyer import Buyer
from reesim.engine.collector import collector_paused
from reesim.engine.policy import Timeline
from reesim.engine.recorder import PolicyFired, RunRecords
from reesim.engine.schedule import events_processed
from reesim.engine.supply import CapacityPool, GrayChannel, Producer
from reesim.engine.world import EVENT_BUDGET, World
from reesim.scenario.load import ResolvedScenario

DECISION_DAY = attrgetter("decision_day")


def simulate(
    resolved: ResolvedScenario, root_seed: int, replication: int, budget: int = EVENT_BUDGET
) -> RunRecords:
    """Run replication `replication` of `resolved` under `root_seed` to the horizon, with the
    cyclic garbage collector paused (`reesim.engine.collector`)."""
    with collector_paused():
        return _simulate(resolved, root_seed, replication, budget)


def _simulate(
    resolved: ResolvedScenario, root_seed: int, replication: int, budget: int
) -> RunRecords:
    at_start = [c for c in resolved.changes if c.day <= 0.0]
    params = at_start[-1].params if at_start else resolved.scenario
    changes = [(c.day, c.params) for c in resolved.changes if c.day > 0.0]
    world = World(params, root_seed, replication, budget, changes)
    world.recorder.policy.extend(PolicyFired(0.0, c.name, c.source) for c in at_start)

    authority = LicensingAuthority(world)
    BackgroundStream(world, authority)  # the authority's source of other applications
    pools: dict[str, CapacityPool] = {name: Producer(world, name) for name in params.producers}
    pools.update({name: GrayChannel(world, name) for name in params.smuggling.channels})
    buyers = [Buyer(world, firm_id, authority, pools) for firm_id in params.firms]
    Timeline(world, resolved.changes, buyers)
    for buyer in buyers:
        buyer.start()

    world.env.run(until=world.horizon_days)
    authority.close()

    traces = tuple(buyer.finish() for buyer in buyers)
    backlog_times, backlog_counts = world.recorder.backlog_arrays
    records = RunRecords(
        replication=replication,
        root_seed=root_seed,
        horizon_days=world.horizon_days,
        events_processed=events_processed(world.env),
        firms=traces,
        shipments=tuple(world.recorder.shipments),
        decisions=tuple(sorted(world.recorder.decisions, key=DECISION_DAY)),
        policy=tuple(world.recorder.policy),
        filings=tuple(world.recorder.filings),
        backlog_times=backlog_times,
        backlog_counts=backlog_counts,
        reviewer_busy_days=authority.busy_days(),
        reviewer_capacity_days=authority.capacity_days(),
    )
    _dismantle(world, authority, buyers)
    return records


def _dismantle(world: World, authority: LicensingAuthority, buyers: list[Buyer]) -> None:
    """Break the replication's reference cycles (importers and their pending wake-ups and
    applications, buyers and their importers, the world and its listeners, the environment and
    its own bound helpers), so that reference counting frees it the moment `simulate` returns
    instead of leaving it to the cyclic collector, whose next pass would then land in whatever
    runs next (the KPI computation) and scan everything alive."""
    # The environment's queue holds pending events with bound methods, and SimPy binds
    # env.process, env.timeout, ... to the environment itself: dropping its state frees both.
    vars(world.env).clear()
    world.listeners.clear()
    authority.arrivals = None
    for buyer in buyers:
        for a in buyer.applicants:
            a.drop_references()
        buyer.applicants = []
