"""Rich renderables and markdown for results. Nothing here prints: the CLI's Console decides
where output goes, how wide it is and whether it has colour.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Sequence

from rich.console import RenderableType
from rich.text import Text

from reesim.report.fit import Col, FittedChunks, FittedTable
from reesim.report.words import counted
from reesim.results.names import is_daily
from reesim.results.result import Kpi, RunResult, Series
from reesim.results.stats import Summary

SERIES_PER_TABLE = 3
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 18
"""Wide enough for a year and a half of months, narrow enough for the 100-column table."""


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


def interval_text(s: Summary | None) -> str:
    """A mean with its 95% interval: ``21.7 ± 0.92`` when symmetric, ``0.12 [0.05, 0.26]``
    when not (Wilson intervals, or a t-interval cut at a bound)."""
    if s is None or s.n == 0:
        return "–"
    if math.isnan(s.ci_low) or math.isnan(s.ci_high):
        return fmt(s.mean)
    if s.symmetric:
        return f"{fmt(s.mean)} ± {fmt(s.half_width)}"
    lo, hi = fmt(s.ci_low), fmt(s.ci_high)
    return f"{fmt(s.mean)} [{lo}; {hi}]" if "," in lo + hi else f"{fmt(s.mean)} [{lo}, {hi}]"


def mean_ci(k: Kpi) -> str:
    return interval_text(k.summary)


INTERVAL_NOTE = "95% CI: Wilson for 0/1 KPIs; Student-t within each KPI's possible range otherwise"


def title(result: RunResult) -> str:
    p = result.provenance
    return (
        f"{p.scenario_name}: {counted(len(p.replications), 'replication')}, seed {p.root_seed}, "
        "mean, 95% CI"
    )


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """Values as block characters, from zero (▁) to the largest (█); a blank where a value is
    not finite. Longer series are averaged down to `width` characters."""
    v = [float(x) if math.isfinite(x) else math.nan for x in values]
    if len(v) > width:
        step = len(v) / width
        chunks = [v[int(i * step) : int((i + 1) * step)] for i in range(width)]
        v = [_nanmean(c) for c in chunks]
    finite = [x for x in v if not math.isnan(x)]
    top = max(finite, default=0.0)
    low = min(0.0, min(finite, default=0.0))
    span = top - low
    out = []
    for x in v:
        if math.isnan(x):
            out.append(" ")
        elif span <= 0:
            out.append(SPARK_BLOCKS[0])
        else:
            out.append(SPARK_BLOCKS[min(7, int((x - low) / span * 7 + 0.5))])
    return "".join(out)


def _nanmean(values: Sequence[float]) -> float:
    finite = [x for x in values if not math.isnan(x)]
    return sum(finite) / len(finite) if finite else math.nan


def kpi_table(result: RunResult) -> FittedTable:
    """KPIs grouped by firm, material and authority, one row each; fitted to the width it is
    printed at (percentiles and n are left out first, numbers never cut)."""
    names: list[str | Text | None] = []
    units: list[str | Text | None] = []
    means: list[str | Text | None] = []
    stats: dict[str, list[str | Text | None]] = {"p5": [], "p50": [], "p95": [], "n": []}

    def row(name: str | Text, unit: str = "", mean: str | Text = "", **cells: str) -> None:
        names.append(name)
        units.append(unit)
        means.append(mean)
        for key, values in stats.items():
            values.append(cells.get(key, ""))

    group = None
    for k in result.kpis.values():
        if k.group != group:
            group = k.group
            row(Text(group, style="bold"))
            cover = result.series.get(f"{group}.cover_days")
            top = math.nan
            if cover is not None and group.startswith("firms."):
                top = max((x for x in cover.p50 if math.isfinite(x)), default=math.nan)
            if cover is not None and not math.isnan(top):  # no line for a cover never defined
                # On a row of its own: the group header stays the bare name scripts look for.
                row(
                    f"  median cover ▁=0 █={fmt(top)}",
                    cover.unit,
                    Text(sparkline(cover.p50), style="cyan"),
                )
        s = k.summary
        row(
            f"  {k.measure}",
            k.unit,
            mean_ci(k),
            p5=fmt(s.p5),
            p50=fmt(s.p50),
            p95=fmt(s.p95),
            n=str(s.n),
        )
    drop = {"n": 1, "p5": 2, "p95": 3, "p50": 4}
    return FittedTable(
        [
            Col("KPI", names),
            Col("unit", units, style="dim"),
            Col("mean, 95% CI", means, number=True, justify="right"),
            *(
                Col(
                    name,
                    values,
                    number=True,
                    drop=drop[name],
                    justify="right",
                    style="dim" if name == "n" else "",
                )
                for name, values in stats.items()
            ),
        ],
        title=title(result),
    )


def select_series(result: RunResult, patterns: Iterable[str]) -> list[Series]:
    pats = list(patterns)
    return [
        s
        for s in result.series.values()
        if not is_daily(s.name) and any(fnmatch.fnmatchcase(s.name, p) for p in pats)
    ]


def series_tables(result: RunResult, series: Sequence[Series]) -> RenderableType:
    """Month-by-month tables: each series' mean with its p5–p95 band, as many series side by
    side as fit the width (at most `SERIES_PER_TABLE`)."""
    months = Col("month", list(result.months))
    cols = [
        Col(
            Text(f"{s.name} ({s.unit})\nmean [p5–p95]"),
            [
                f"{fmt(s.mean[i])} [{fmt(s.p5[i])}–{fmt(s.p95[i])}]"
                for i in range(len(result.months))
            ],
            number=True,
            justify="right",
        )
        for s in series
    ]
    return FittedChunks(months, cols, SERIES_PER_TABLE)


def kpi_markdown(result: RunResult) -> str:
    lines = [
        f"**{title(result)}**",
        "",
        "| KPI | unit | mean, 95% CI | p5 | p50 | p95 | n |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for k in result.kpis.values():
        s = k.summary
        lines.append(
            f"| `{k.name}` | {k.unit} | {mean_ci(k)} | {fmt(s.p5)} | {fmt(s.p50)} | "
            f"{fmt(s.p95)} | {s.n} |"
        )
    return "\n".join(lines) + "\n"


def series_markdown(result: RunResult, series: Sequence[Series]) -> str:
    head = "| month | " + " | ".join(f"`{s.name}` ({s.unit}) mean [p5–p95]" for s in series) + " |"
    lines = [head, "|---|" + "---:|" * len(series)]
    for i, month in enumerate(result.months):
        cells = (f"{fmt(s.mean[i])} [{fmt(s.p5[i])}–{fmt(s.p95[i])}]" for s in series)
        lines.append(f"| {month} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
