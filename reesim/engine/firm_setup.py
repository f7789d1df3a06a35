"""A firm's set-up: what a buyer reads from one parameter state that no replication changes.

Setting a buyer up (`Buyer.__init__`, and `Buyer._refresh` at each policy change) turns the
firm's parameters into what its importers read: its materials and their indices, its product
lines, the exporter serving each importer, its importers' shares when they are all alike, which
materials need a licence, amounts given as days of cover, durations in calendar days. All of that
follows from the parameter state alone, so `firm_setup` works it out once per state and firm
(cached per `Scenario` object, `reesim.scenario.per_scenario`) and every replication reuses it.
What a replication draws (the production rate when it is uncertain, importers' sizes and review
phases) and what needs the calendar stays with the buyer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reesim.scenario.per_scenario import PerScenario
from reesim.scenario.schema import EXPORTS, Firm, Scenario
from reesim.scenario.units import CALENDAR_DAYS, Duration

Amount = tuple[float | None, float]
"""A buyer-level quantity: (days of cover at the planned rate, or None if given in kg; kg)."""

NO_AMOUNT: Amount = (None, 0.0)


@dataclass(frozen=True, slots=True)
class LineSpec:
    share: float
    uses: tuple[tuple[int, float], ...]  # (material index, share of the buyer's need), > 0
    reserve_days: float


@dataclass(frozen=True)
class FirmSetup:
    """One firm under one parameter state. Shared by every replication: read, never change."""

    spec: Firm
    materials: tuple[str, ...]
    index_of: dict[str, int]
    lines: tuple[LineSpec, ...]
    up_to: bool
    """Order-up-to ordering (else reorder point); `threshold` is the level or the point."""
    stockpile: tuple[Amount, ...]
    level: tuple[Amount, ...]
    reorder_point: tuple[Amount, ...]
    quantity: tuple[Amount, ...]
    apply_for: tuple[Amount, ...]
    restock: tuple[Amount, ...] | None
    prestock: tuple[Amount, ...] | None
    restock_decay_days: float | None
    """None when given in working days (counted on the calendar from the refresh)."""
    restart_lag_days: float | None
    review_days: float | None
    ahead_days: float | None
    controlled: tuple[bool, ...]
    exports_only: bool
    exporters: tuple[str, ...]
    """Importer k's exporter (whose general licences may name it), by k's place in the
    population and the exporters' shares."""
    scales: tuple[float, ...] | None
    """Each importer's share of the buyer when all are alike (None: sizes are drawn)."""


SETUPS_KEPT = 4096
"""Firm set-ups cached at once (one per parameter state and firm)."""


def _build(params: Scenario, firm: tuple[str, tuple[str, ...]]) -> FirmSetup:
    firm_id, materials = firm
    spec = params.firms[firm_id]
    o = spec.ordering

    def amounts(amount: Duration | float | None) -> tuple[Amount, ...]:
        if amount is None:
            return (NO_AMOUNT,) * len(materials)
        value = amount_of(amount)
        return (value,) * len(materials)

    count = spec.applicants.count
    return FirmSetup(
        spec=spec,
        materials=materials,
        index_of={m: i for i, m in enumerate(materials)},
        lines=_lines(spec, materials),
        up_to=o.policy == "order_up_to",
        stockpile=tuple(amount_of(spec.stockpile.get(m, 0.0)) for m in materials),
        level=amounts(o.level),
        reorder_point=amounts(o.reorder_point),
        quantity=amounts(o.quantity),
        apply_for=amounts(o.apply_for),
        restock=amounts(o.restock.raise_) if o.restock else None,
        prestock=amounts(o.prestock.raise_) if o.prestock else None,
        restock_decay_days=fixed_days(o.restock.decay) if o.restock else 0.0,
        restart_lag_days=fixed_days(spec.production.restart_lag),
        review_days=fixed_days(o.review_period),
        ahead_days=fixed_days(o.apply_ahead) if o.apply_ahead is not None else 0.0,
        controlled=tuple(params.authority.is_controlled(m, spec.country) for m in materials),
        exports_only=spec.suppliers == (EXPORTS,),
        exporters=_exporters(spec, count),
        scales=_equal_scales(count) if spec.applicants.size_cv <= 0 else None,
    )


firm_setup: PerScenario[tuple[str, tuple[str, ...]], FirmSetup] = PerScenario(_build, SETUPS_KEPT)
"""``firm_setup(params, (firm_id, materials))``: the set-up of firm `firm_id` under parameter
state `params`, its materials indexed in the order given (the buyer's, fixed at the start: a
timeline keeps a firm's materials but may list them in another order)."""


def amount_of(amount: Duration | float) -> Amount:
    if isinstance(amount, Duration):
        return (amount.calendar_days(), 0.0)
    return (None, float(amount))


def fixed_days(duration: Duration) -> float | None:
    """The calendar days of a duration that lasts the same whenever it starts (None for
    working days, which depend on the calendar)."""
    return None if duration.unit == "wd" else duration.value * CALENDAR_DAYS[duration.unit]


def _lines(spec: Firm, materials: tuple[str, ...]) -> tuple[LineSpec, ...]:
    production = spec.production
    if not production.lines:
        return (LineSpec(1.0, tuple((i, 1.0) for i in range(len(materials))), 0.0),)
    step_days = production.reserve_step.calendar_days()
    lines = []
    for line in sorted(production.lines.values(), key=lambda line: line.priority):
        uses = tuple(
            (i, share)
            for i, m in enumerate(materials)
            if (share := line.needs.get(m, line.share)) > 0
        )
        reserve = (
            line.reserve.calendar_days()
            if line.reserve is not None
            else (line.priority - 1) * step_days
        )
        lines.append(LineSpec(line.share, uses, reserve))
    return tuple(lines)


def _exporters(spec: Firm, count: int) -> tuple[str, ...]:
    edges, names, acc = [], [], 0.0
    for name, share in spec.exporters.items():
        acc += share
        edges.append(acc)
        names.append(name)
    return tuple(
        next((n for n, e in zip(names, edges, strict=True) if (k + 0.5) / count < e), "")
        for k in range(count)
    )


def _equal_scales(count: int) -> tuple[float, ...]:
    total = math.fsum([1.0] * count)
    return tuple(1.0 / total for _ in range(count))
