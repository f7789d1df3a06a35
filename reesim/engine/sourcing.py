"""Where an importer's order goes: suppliers in order of preference, licences, shipments.

- ``exports``: licensed exports of the controlling state. Uncontrolled material, or material a
  general licence covers for this importer, ships at once. Controlled material ships against the
  importer's valid licences (soonest to expire first); for any rest the importer files an
  application (one at a time per material) for `apply_for` or the rest, whichever is larger.
- a producer: ships what its shared capacity allows, after its lead time. An emergency producer
  (spot buying, air freight) is used only while the importer's stock on hand covers less than
  its `emergency_below`.
- a gray channel: only for controlled material; ships what its capacity allows, and each
  shipment may be seized on the way.

Every delay and seizure is drawn from the importer's own streams, indexed by its shipment count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reesim.engine.recorder import Shipment
from reesim.engine.streams import Streams, uniform
from reesim.engine.supply import CapacityPool, GrayChannel, Producer
from reesim.engine.tolerance import EPS_KG
from reesim.scenario.schema import EXPORTS

if TYPE_CHECKING:
    from reesim.engine.applicant import Applicant
    from reesim.scenario.distributions import DurationDistribution


@dataclass(slots=True)
class Licence:
    """An approved licence: what it still covers and when it lapses."""

    remaining_kg: float
    expires_day: float


def order(a: Applicant, i: int, kg: float) -> float:
    """Order `kg` of material i from the suppliers in order of preference; returns what was
    shipped."""
    buyer = a.buyer
    material = buyer.materials[i]
    remaining = kg
    controlled = buyer.controlled[i]
    for supplier, pool in buyer.suppliers:
        if remaining <= EPS_KG:
            break
        if pool is None:
            remaining -= _from_exports(a, i, remaining, controlled)
            continue
        if pool.gray and not controlled:
            continue
        if isinstance(pool, Producer):
            below = pool.emergency_below_days()
            if below is not None and a.stock[i] >= below * a.rate[i]:
                continue
        taken = pool.draw(material, remaining)
        if taken > EPS_KG:
            remaining -= taken
            _ship_from_pool(a, i, taken, supplier, pool)
    return kg - remaining


def call_off(a: Applicant, i: int, kg: float) -> float:
    """Ship up to `kg` of material i against the importer's valid licences; returns what was
    shipped."""
    shipped = 0.0
    licences = valid_licences(a, i)
    if len(licences) > 1:
        licences = sorted(licences, key=_expiry)
    for lic in licences:
        take = min(lic.remaining_kg, kg - shipped)
        lic.remaining_kg -= take
        shipped += take
    if shipped > 0:
        _ship_export(a, i, shipped)
    return shipped


def covered(a: Applicant, i: int) -> bool:
    """Whether a general licence in force covers importer `a` for material i."""
    windows = a.buyer.general_licences[i]
    if not windows:
        return False
    now = a.env._now
    for start, end, exporters, share in windows:
        if start <= now < end:
            if exporters is None:
                return True
            if a.exporter in exporters:
                if a.customer_u < 0.0:
                    a.customer_u = a.buyer.customer_u(a.index)
                if a.customer_u < share:
                    return True
    return False


def needs_licence(a: Applicant, i: int) -> bool:
    return a.buyer.controlled[i] and not covered(a, i)


def valid_licences(a: Applicant, i: int) -> list[Licence]:
    """The importer's licences for material i that are in force and not used up (the others are
    dropped)."""
    licences = a.licences[i]
    if not licences:
        return licences
    now = a.env._now
    for lic in licences:
        if lic.expires_day <= now or lic.remaining_kg <= EPS_KG:
            licences = a.licences[i] = [
                lic for lic in licences if lic.expires_day > now and lic.remaining_kg > EPS_KG
            ]
            break
    return licences


def licensed_kg(a: Applicant, i: int) -> float:
    """What the importer's valid licences still cover."""
    total = 0.0
    for lic in valid_licences(a, i):
        total += lic.remaining_kg
    return total


def _from_exports(a: Applicant, i: int, kg: float, controlled: bool) -> float:
    if not controlled or covered(a, i):
        _ship_export(a, i, kg)
        return kg
    shipped = call_off(a, i, kg)
    rest = kg - shipped
    if rest > EPS_KG and contract_free(a, i):
        apply(a, i, rest)
    return shipped


def _expiry(licence: Licence) -> float:
    return licence.expires_day


def contract_free(a: Applicant, i: int) -> bool:
    """Whether one of the importer's supply contracts for material i has no application pending
    (with one contract: whether nothing is pending)."""
    return a.pending[i] < a.buyer.contracts


def apply(a: Applicant, i: int, shortfall_kg: float) -> None:
    """Apply for the larger of the shortfall and `apply_for`: each supply contract without a
    pending application files for its share (with one contract, one application for all of
    it). Each application's random draws come from the importer's n-th application stream for
    the material, n counting its applications in the order filed."""
    buyer = a.buyer
    contracts = buyer.contracts
    ask = max(shortfall_kg, a.apply_for_kg[i]) / contracts
    material = buyer.materials[i]
    key = a.stream("application " + material)
    while a.pending[i] < contracts:
        sequence = a.sequence[i]
        a.sequence[i] += 1
        a.pending[i] += 1
        buyer.authority.new_application(
            buyer.id,
            a.index,
            buyer.country,
            buyer.end_use,
            a.exporter,
            material,
            ask,
            sequence,
            Streams.child(key, sequence),
            a,
        )


# --- shipping ---------------------------------------------------------------------------------
def _ship_export(a: Applicant, i: int, kg: float) -> None:
    world = a.world
    now = a.env._now
    n = a.shipments
    # The exporting state's customs hold the goods first; they count as exported when cleared.
    customs = world.params.authority.customs_delay.get(a.buyer.materials[i])
    hold = 0.0
    if customs is not None:
        hold = world.draw_days(customs, uniform(a.stream("customs"), n), now)
    delay = hold + world.draw_days(a.buyer.transit, uniform(a.stream("transit"), n), now + hold)
    ship(a, i, kg, delay, EXPORTS, EXPORTS, seized=False, cleared_after=hold)


def _ship_from_pool(a: Applicant, i: int, kg: float, name: str, pool: CapacityPool) -> None:
    world = a.world
    now = world.env._now
    n = a.shipments
    stream = a.stream(name)
    if isinstance(pool, GrayChannel):
        spec = world.params.smuggling.channels[name]
        delay = world.draw_days(spec.delay, world.uniform(stream, 2 * n), now)
        seized = world.uniform(stream, 2 * n + 1) < pool.seizure_probability()
        ship(a, i, kg, delay, "gray", name, seized)
    else:
        producer = world.params.producers[name]
        delay = world.draw_days(producer.lead_time, world.uniform(stream, n), now)
        route = "emergency" if producer.emergency_below is not None else "producer"
        ship(a, i, kg, delay, route, name, seized=False)


def ship_before_start(
    a: Applicant,
    i: int,
    kg: float,
    ordered_day: float,
    j: int,
    customs: DurationDistribution | None,
) -> None:
    """Put the j-th most recent pre-start order of a warm start in transit, if it arrives after
    the start; its delays come from the importer's own pipeline stream."""
    world = a.world
    stream = a.stream("pipeline")
    hold = 0.0
    if customs is not None:
        hold = world.draw_days(customs, world.uniform(stream, 2 * j + 1), ordered_day)
    transit = world.draw_days(a.buyer.transit, world.uniform(stream, 2 * j), ordered_day + hold)
    arrival = ordered_day + hold + transit
    if arrival <= 0.0:
        return
    buyer = a.buyer
    world.recorder.shipments.append(
        Shipment(
            ordered_day,
            arrival,
            buyer.id,
            buyer.country,
            buyer.materials[i],
            kg,
            "pipeline",
            buyer.spec.suppliers[0],  # bought as usual, before the start
            False,
            a.index,
            ordered_day + hold,
        )
    )
    a.pipeline[i] += kg
    a.on_order[i] += kg
    world.at(arrival, a.deliver, (i, kg, False))


def ship(
    a: Applicant,
    i: int,
    kg: float,
    delay: float,
    route: str,
    supplier: str,
    seized: bool,
    cleared_after: float = 0.0,
) -> None:
    world = a.world
    buyer = a.buyer
    now = world.env._now
    world.recorder.shipments.append(
        Shipment(
            now,
            now + delay,
            buyer.id,
            buyer.country,
            buyer.materials[i],
            kg,
            route,
            supplier,
            seized,
            a.index,
            now + cleared_after,
        )
    )
    a.shipments += 1
    a.on_order[i] += kg
    world.at(delay, a.deliver, (i, kg, seized))
