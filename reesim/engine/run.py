"""One replication of one scenario: `simulate` is the engine's only entry point."""

from __future__ import annotations

from reesim.engine.authority import LicensingAuthority
from reesim.engine.firm import FirmAgent
from reesim.engine.policy import follow_timeline
from reesim.engine.recorder import PolicyFired, RunRecords
from reesim.engine.supply import CapacityPool, GrayChannel, Producer
from reesim.engine.world import World
from reesim.scenario.load import ResolvedScenario


def simulate(resolved: ResolvedScenario, root_seed: int, replication: int) -> RunRecords:
    """Run replication `replication` of `resolved` under `root_seed` to the horizon."""
    at_start = [c for c in resolved.changes if c.day <= 0.0]
    later = [c for c in resolved.changes if c.day > 0.0]
    params = at_start[-1].params if at_start else resolved.scenario
    world = World(params, root_seed, replication)
    world.recorder.policy.extend(PolicyFired(0.0, c.name, c.source) for c in at_start)

    authority = LicensingAuthority(world)
    pools: dict[str, CapacityPool] = {name: Producer(world, name) for name in params.producers}
    pools.update({name: GrayChannel(world, name) for name in params.smuggling.channels})
    firms = [FirmAgent(world, firm_id, authority, pools) for firm_id in params.firms]
    world.env.process(follow_timeline(world, later))

    world.env.run(until=world.horizon_days)

    traces = tuple(firm.finish() for firm in firms)
    backlog_times, backlog_counts = world.recorder.backlog_arrays
    return RunRecords(
        replication=replication,
        root_seed=root_seed,
        horizon_days=world.horizon_days,
        events_processed=world.env.events_processed,
        firms=traces,
        shipments=tuple(world.recorder.shipments),
        decisions=tuple(world.recorder.decisions),
        policy=tuple(world.recorder.policy),
        filings=tuple(world.recorder.filings),
        backlog_times=backlog_times,
        backlog_counts=backlog_counts,
        reviewer_busy_days=authority.busy_days(),
        reviewer_capacity_days=authority.capacity_days(),
    )
