"""When and how much an importer orders: order-up-to and reorder-point policies, filing ahead,
and targets raised by precautionary restocking and by announced rules.

An importer's target is its ordering level (or reorder point) plus two raises:
- restocking: after a disruption (a line stopped, an application refused, a named event) the
  target rises by `restock.raise` and falls back linearly over `restock.decay`;
- prestocking: between a rule's announcement and its effective date, importers that see it
  coming raise their target by `prestock.raise` (ending on the effective date).

Levels, points, quantities and raises are buyer-level amounts (kg, or days of the buyer's full
use) split among importers in proportion to their size (`Applicant.refresh`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from reesim.engine import sourcing
from reesim.engine.tolerance import EPS_KG, TICK_DAYS

if TYPE_CHECKING:
    from reesim.engine.applicant import Applicant

_INF = math.inf


def boost_kg(a: Applicant, i: int, now: float) -> float:
    """What restocking and prestocking add to importer `a`'s target for material i now."""
    buyer = a.buyer
    extra = 0.0
    restock = buyer.restock_kg
    if restock is not None:
        age = now - a.boost_from
        decay = buyer.restock_decay_days
        if 0.0 <= age < decay:
            extra += restock[i] * a.scale * (1.0 - age / decay)
    if buyer.prestock_kg is not None and a.aware and buyer.announced(now):
        extra += buyer.prestock_kg[i] * a.scale
    return extra


def order_up_to(a: Applicant, now: float, licensed_only: bool = False) -> None:
    """Order the target less the position of each material; `licensed_only`: only call off
    what valid licences cover (a licence granted between reviews)."""
    boosted = a.buyer.boosts
    stock, on_order, level = a.stock, a.on_order, a.level_kg
    for i in range(len(stock)):
        shortfall = level[i] - stock[i] - on_order[i]
        if boosted:
            shortfall += boost_kg(a, i, now)
        if shortfall > EPS_KG:
            if licensed_only:
                sourcing.call_off(a, i, shortfall)
            else:
                sourcing.order(a, i, shortfall)


def reorder(a: Applicant, now: float) -> None:
    """Order `quantity` of each material at or below its reorder point, at each decision point.
    After an order that could not be covered in full the importer waits `review_period` before
    trying again (unless a licence arrives or the rules change): otherwise every delivery from
    a capacity-limited source would set off another order for the sliver accrued since."""
    boosted = a.buyer.boosts
    for i in range(len(a.stock)):
        due = a.review_now or a.params_changed or now >= a.retry_day[i] - 1e-9
        if not due:
            continue
        point = a.point_kg[i] + (boost_kg(a, i, now) if boosted else 0.0)
        if a.stock[i] + a.on_order[i] <= point + EPS_KG + 1e-12 * point + a.slope[i] * TICK_DAYS:
            wanted = a.quantity_kg[i]
            short = sourcing.order(a, i, wanted) < wanted - EPS_KG
            a.retry_day[i] = now + (a.buyer.review_span(now) if short else 0.0)


def apply_ahead(a: Applicant, now: float) -> float:
    """File for controlled material before an order falls short: when the position drawn down at
    the planned rate for `apply_ahead`, plus what valid licences still cover, would be at or below
    the target. Returns the next instant filing ahead could become due by itself (at the current
    use), or a licence lapses (a lapse can make it due)."""
    buyer = a.buyer
    ahead = -1.0
    nxt = _INF
    for i in range(len(a.stock)):
        for licence in a.licences[i]:
            if now < licence.expires_day < nxt:
                nxt = licence.expires_day
        if not sourcing.contract_free(a, i) or not sourcing.needs_licence(a, i):
            continue
        if ahead < 0.0:
            ahead = buyer.apply_ahead_span(now)
        position = a.stock[i] + a.on_order[i] + sourcing.licensed_kg(a, i)
        target = a.point_kg[i] + (boost_kg(a, i, now) if buyer.boosts else 0.0)
        r = a.slope[i]
        due = now + (position - target) / r - ahead if r > 0 else _INF
        # Due within a tick counts as due now: a wake-up that cannot advance the clock would
        # find it not quite due again, and again.
        if (
            position - a.rate[i] * ahead <= target + EPS_KG + 1e-12 * target
            or due <= now + TICK_DAYS
        ):
            sourcing.apply(a, i, max(0.0, target - (position - a.rate[i] * ahead)))
            continue
        if due < nxt:
            nxt = due
    return nxt


def next_instant(a: Applicant, now: float) -> float:
    """The next instant at which ordering needs the importer awake (infinity for none)."""
    buyer = a.buyer
    nxt = _INF
    if buyer.up_to:
        if not buyer.exports_only or review_useful(a):
            nxt = a.next_review
    else:
        boosted = buyer.boosts
        for i in range(len(a.stock)):
            point = a.point_kg[i] + (boost_kg(a, i, now) if boosted else 0.0)
            gap = a.stock[i] + a.on_order[i] - point
            if gap > EPS_KG + 1e-12 * point + a.slope[i] * TICK_DAYS:
                # The point itself falls while a restocking raise decays.
                closing = a.slope[i] - (_decay_rate(a, i, now) if boosted else 0.0)
                if closing > 0:
                    nxt = min(nxt, now + gap / closing)
            elif a.retry_day[i] > now:
                nxt = min(nxt, a.retry_day[i])  # still at or below the point: retry when due
        if boosted:
            nxt = min(nxt, _boost_ends(a, now))
    return nxt


def _boost_ends(a: Applicant, now: float) -> float:
    """When the restocking raise (which changes with time) is next gone."""
    buyer = a.buyer
    if buyer.restock_kg is None:
        return _INF
    end = a.boost_from + buyer.restock_decay_days
    return end if end > now else _INF


def _decay_rate(a: Applicant, i: int, now: float) -> float:
    buyer = a.buyer
    if buyer.restock_kg is None:
        return 0.0
    age = now - a.boost_from
    if 0.0 <= age < buyer.restock_decay_days:
        return buyer.restock_kg[i] * a.scale / buyer.restock_decay_days
    return 0.0


def review_useful(a: Applicant) -> bool:
    """Whether a periodic review could do anything. An importer whose only supplier is licensed
    exports, with an application pending and no licence left, can only wait for the decision
    (which wakes it): it skips its reviews, so an idle importer costs no events."""
    for i, r in enumerate(a.rate):
        if r <= 0:
            continue
        if sourcing.contract_free(a, i) or not sourcing.needs_licence(a, i):
            return True
        if sourcing.licensed_kg(a, i) > EPS_KG:
            return True
    return False
