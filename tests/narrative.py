"""Helpers for narrative tests: a tiny scenario from YAML fragments, one replication, its KPIs."""

from __future__ import annotations

import textwrap

from reesim.engine.recorder import RunRecords
from reesim.engine.run import simulate
from reesim.results.metrics import measure
from reesim.scenario.load import ResolvedScenario, load_text

HEADER = """\
name: narrative
start: {start}
horizon: {horizon}
calendar: {calendar}
materials: {materials}
"""


def build(
    *parts: str,
    horizon: str = "100d",
    start: str = "2025-01-01",
    calendar: str = "{base: none, weekends: []}",
    materials: str = "{m: {}}",
) -> ResolvedScenario:
    head = HEADER.format(start=start, horizon=horizon, calendar=calendar, materials=materials)
    return load_text(head + "".join(textwrap.dedent(p) for p in parts), "<narrative>")


def run(resolved: ResolvedScenario, seed: int = 7) -> tuple[RunRecords, dict[str, float]]:
    records = simulate(resolved, seed, 0)
    return records, measure(records, resolved.scenario).kpis


def ships(records: RunRecords) -> list[tuple[float, float, float, str, str, bool]]:
    """Shipments as (shipped, arrival, kg, route, supplier, seized)."""
    return [
        (s.shipped_day, s.arrival_day, s.kg, s.route, s.supplier, s.seized)
        for s in records.shipments
    ]
