"""Rich renderables and markdown for results. Nothing here prints: the CLI's Console decides
where output goes, how wide it is and whether it has colour.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reesim.results.result import Kpi, RunResult, Series

SERIES_PER_TABLE = 3


def fmt(x: float) -> str:
    """A number for people: thousands separators, about three significant digits."""
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    a = abs(x)
    if a >= 100 or a == 0:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 0.01:
        return f"{x:.2f}"
    return f"{x:.2g}"


def mean_ci(k: Kpi) -> str:
    s = k.summary
    if s.n == 0:
        return "–"
    if math.isnan(s.half_width):
        return fmt(s.mean)
    return f"{fmt(s.mean)} ± {fmt(s.half_width)}"


def title(result: RunResult) -> str:
    p = result.provenance
    return (
        f"{p.scenario_name}: {len(p.replications)} replications, seed {p.root_seed}, mean ± 95% CI"
    )


def kpi_table(result: RunResult) -> Table:
    """KPIs grouped by firm, material and authority, one row each."""
    table = Table(
        title=title(result),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("KPI", no_wrap=True)
    table.add_column("unit", style="dim")
    table.add_column("mean ± 95% CI", justify="right")
    for name in ("p5", "p50", "p95"):
        table.add_column(name, justify="right")
    table.add_column("n", justify="right", style="dim")
    group = None
    for k in result.kpis.values():
        if k.group != group:
            group = k.group
            table.add_row(Text(group, style="bold"), end_section=False)
        s = k.summary
        table.add_row(
            f"  {k.measure}", k.unit, mean_ci(k), fmt(s.p5), fmt(s.p50), fmt(s.p95), str(s.n)
        )
    return table


def select_series(result: RunResult, patterns: Iterable[str]) -> list[Series]:
    pats = list(patterns)
    return [s for s in result.series.values() if any(fnmatch.fnmatchcase(s.name, p) for p in pats)]


def series_tables(result: RunResult, series: Sequence[Series]) -> RenderableType:
    """Month-by-month tables: each series' mean with its p5–p95 band."""
    tables = []
    for start in range(0, len(series), SERIES_PER_TABLE):
        chunk = series[start : start + SERIES_PER_TABLE]
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column("month", no_wrap=True)
        for s in chunk:
            table.add_column(Text(f"{s.name} ({s.unit})\nmean [p5–p95]"), justify="right")
        for i, month in enumerate(result.months):
            table.add_row(
                month, *(Text(f"{fmt(s.mean[i])} [{fmt(s.p5[i])}–{fmt(s.p95[i])}]") for s in chunk)
            )
        tables.append(table)
    return Group(*tables)


def kpi_markdown(result: RunResult) -> str:
    lines = [
        f"**{title(result)}**",
        "",
        "| KPI | unit | mean ± 95% CI | p5 | p50 | p95 | n |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for k in result.kpis.values():
        s = k.summary
        lines.append(
            f"| `{k.name}` | {k.unit} | {mean_ci(k)} | {fmt(s.p5)} | {fmt(s.p50)} | "
            f"{fmt(s.p95)} | {s.n} |"
        )
    return "\n".join(lines) + "\n"
