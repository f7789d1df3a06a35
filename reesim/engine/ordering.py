"""When and how much an importer orders: order-up-to and reorder-point policies, filing ahead,
and targets raised by precautionary restocking and by announced rules.

An importer's target is its ordering level (or reorder point) plus two raises:
- restocking: after a disruption (a line stopped, an application refused, a named event) the
  target rises by `restock.raise` and falls back linearly over `restock.decay`;
- prestocking: between a rule's announcement and its effective date, importers that see it
  coming raise their target by `prestock.raise` (ending on the effective date).

Levels, points, quantities and raises are buyer-level amounts (kg, or days of the buyer's full
use) split among importers in proportion to their size.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from reesim.engine import sourcing
from reesim.engine.tolerance import EPS_KG, tolerance_kg

if TYPE_CHECKING:
    from reesim.engine.applicant import Applicant


def boost_kg(a: Applicant, i: int, now: float) -> float:
    """What restocking and prestocking add to importer `a`'s target for material i now."""
    buyer = a.buyer
    extra = 0.0
    if buyer.restock_kg is not None:
        age = now - a.boost_from
        if 0.0 <= age < buyer.restock_decay_days:
            extra += buyer.restock_kg[i] * a.scale * (1.0 - age / buyer.restock_decay_days)
    if buyer.prestock_kg is not None and a.aware and buyer.announced(now):
        extra += buyer.prestock_kg[i] * a.scale
    return extra


def _boost_ends(a: Applicant, now: float) -> float:
    """When the restocking raise (which changes with time) is next gone."""
    buyer = a.buyer
    if buyer.restock_kg is None:
        return math.inf
    end = a.boost_from + buyer.restock_decay_days
    return end if end > now else math.inf


def order_up_to(a: Applicant) -> None:
    buyer = a.buyer
    now = a.world.now
    for i in range(len(buyer.materials)):
        shortfall = buyer.level_kg[i] * a.scale + boost_kg(a, i, now) - a.position(i)
        if shortfall > EPS_KG:
            sourcing.order(a, i, shortfall)


def reorder(a: Applicant) -> None:
    """Order `quantity` of each material at or below its reorder point, at each decision point.
    After an order that could not be covered in full the importer waits `review_period` before
    trying again (unless a licence arrives or the rules change): otherwise every delivery from
    a capacity-limited source would set off another order for the sliver accrued since."""
    buyer = a.buyer
    now = a.world.now
    for i in range(len(buyer.materials)):
        due = a.review_now or a.params_changed or now >= a.retry_day[i] - 1e-9
        point = buyer.reorder_point_kg[i] * a.scale + boost_kg(a, i, now)
        if due and a.position(i) <= point + tolerance_kg(point):
            wanted = buyer.quantity_kg[i] * a.scale
            short = sourcing.order(a, i, wanted) < wanted - EPS_KG
            a.retry_day[i] = now + (buyer.review_span(now) if short else 0.0)


def apply_ahead(a: Applicant) -> None:
    """File for controlled material before an order falls short: when the position drawn down at
    the planned rate for `apply_ahead`, plus what valid licences still cover, would be at or below
    the target."""
    buyer = a.buyer
    now = a.world.now
    ahead = buyer.apply_ahead_span(now)
    for i in range(len(buyer.materials)):
        if a.pending[i] is not None or not sourcing.needs_licence(a, i):
            continue
        licensed = sourcing.licensed_kg(a, i)
        projected = a.position(i) - a.rate(i) * ahead + licensed
        target = buyer.threshold_kg[i] * a.scale + boost_kg(a, i, now)
        if projected <= target + tolerance_kg(target):
            sourcing.apply(a, i, target - projected)


def next_instant(a: Applicant, now: float) -> float:
    """The next instant at which ordering needs the importer awake (infinity for none)."""
    buyer = a.buyer
    nxt = math.inf
    if buyer.up_to:
        if review_useful(a):
            nxt = a.next_review
    else:
        for i in range(len(buyer.materials)):
            r = a.slope[i]
            point = buyer.reorder_point_kg[i] * a.scale + boost_kg(a, i, now)
            gap = a.position(i) - point
            if gap > tolerance_kg(point):
                # The point itself falls while a restocking raise decays.
                closing = r - _decay_rate(a, i, now)
                if closing > 0:
                    nxt = min(nxt, now + gap / closing)
            elif a.retry_day[i] > now:
                nxt = min(nxt, a.retry_day[i])  # still at or below the point: retry when due
        nxt = min(nxt, _boost_ends(a, now))
    if buyer.ordering.apply_ahead is not None:
        nxt = min(nxt, _apply_ahead_instant(a, now))
    return nxt


def _decay_rate(a: Applicant, i: int, now: float) -> float:
    buyer = a.buyer
    if buyer.restock_kg is None:
        return 0.0
    age = now - a.boost_from
    if 0.0 <= age < buyer.restock_decay_days:
        return buyer.restock_kg[i] * a.scale / buyer.restock_decay_days
    return 0.0


def _apply_ahead_instant(a: Applicant, now: float) -> float:
    """When filing ahead next becomes due, and when a licence lapses (a lapse can make it due)."""
    buyer = a.buyer
    ahead = buyer.apply_ahead_span(now)
    nxt = math.inf
    for i in range(len(buyer.materials)):
        for licence in a.licences[i]:
            if licence.expires_day > now:
                nxt = min(nxt, licence.expires_day)
        r = a.slope[i]
        if r <= 0 or a.pending[i] is not None or not sourcing.needs_licence(a, i):
            continue
        target = buyer.threshold_kg[i] * a.scale + boost_kg(a, i, now)
        lead = (a.position(i) + sourcing.licensed_kg(a, i) - target) / r - ahead
        if lead > 0:
            nxt = min(nxt, now + lead)
    return nxt


def review_useful(a: Applicant) -> bool:
    """Whether a periodic review could do anything. An importer whose only supplier is licensed
    exports, with an application pending and no licence left, can only wait for the decision
    (which wakes it): it skips its reviews, so an idle importer costs no events."""
    buyer = a.buyer
    if not buyer.exports_only:
        return True
    for i in range(len(buyer.materials)):
        if buyer.rate[i] <= 0:
            continue
        if a.pending[i] is None or not sourcing.needs_licence(a, i):
            return True
        if sourcing.licensed_kg(a, i) > EPS_KG:
            return True
    return False
