"""What `reesim sweep` prints when it finishes: the run's counts, the points at both ends of a
KPI (chosen by `SweepSummary.ranked`), and for a Sobol design the factors ranked by their
indices. Renderables only; the command prints them."""

from __future__ import annotations

import math
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from reesim.experiment.sweepsummary import SobolRow, SweepOutcome, SweepSummary
from reesim.report.fit import Col, FittedTable
from reesim.report.words import counted
from reesim.results.names import kpi_unit
from reesim.scenario.yamlsource import flow_text

FACTOR_COLUMNS = 4
"""Factors shown beside the points; the others are in points.csv."""


def outcome_line(name: str, design: str, replications: int, outcome: SweepOutcome) -> Text:
    failed = f", {outcome.failed} failed" if outcome.failed else ""
    return Text(
        f"{name}: {design} design, {outcome.points} points x "
        f"{counted(replications, 'replication')}; {outcome.done}/{outcome.replications} done{failed}; "
        f"{outcome.ran} run now in {outcome.wall_s:.1f} s ({outcome.status})"
    )


def sweep_renderables(
    summary: SweepSummary, outcome: SweepOutcome, kpi: str, top: int, sobol: bool
) -> list[RenderableType]:
    """The `top` points at each end of `kpi`, then (`sobol`) the Sobol indices, and where the
    results are."""
    out: list[RenderableType] = []
    best, worst = summary.ranked(kpi, top)
    factors = list(summary.factors)
    shown = factors[:FACTOR_COLUMNS]
    headers = _short_names(shown)
    unit = kpi_unit(kpi)
    for title, points in ((f"highest {kpi} ({unit})", best), (f"lowest {kpi} ({unit})", worst)):
        if not points:
            continue
        stats = [p.stats[kpi] for p in points]
        cis = [(s["ci_low"], s["ci_high"]) for s in stats]
        out.append(
            FittedTable(
                [
                    Col("point", [str(p.index) for p in points], number=True, justify="right"),
                    *(
                        # Later factors are left out first when the table does not fit.
                        Col(
                            header,
                            [_value(p.values[n]) for p in points],
                            number=True,
                            drop=len(shown) - i,
                            justify="right",
                        )
                        for i, (header, n) in enumerate(zip(headers, shown, strict=True))
                    ),  # fmt: skip
                    Col(
                        f"mean ({unit})",
                        [_num(s["mean"]) for s in stats],
                        number=True,
                        justify="right",
                    ),
                    Col(
                        "95% CI",
                        [
                            "-" if any(_nan(c) for c in ci) else f"{_num(ci[0])} .. {_num(ci[1])}"
                            for ci in cis
                        ],
                        number=True,
                        justify="right",
                    ),
                ],  # fmt: skip
                title=title,
            )
        )
    if len(factors) > len(shown):
        out.append(Text(f"{len(factors) - len(shown)} more factors in points.csv", style="dim"))
    if sobol:
        out += _sobol(outcome, kpi, top)
    out.append(Text(f"results in {outcome.out_dir}", style="dim"))
    return out


def _sobol(outcome: SweepOutcome, kpi: str, top: int) -> list[RenderableType]:
    out: list[RenderableType] = []
    rows = [r for r in outcome.sensitivity if r.kpi == kpi]
    if rows:
        table = Table(title=Text(f"Sobol indices of {kpi} (95% CI), ranked"), title_justify="left")
        for name in ("rank", "factor", "total ST", "first-order S1"):
            table.add_column(name, justify="right" if name != "factor" else "left")
        for r in rows:
            cells = (str(r.rank), r.factor, _pm(r.st, r.st_conf), _pm(r.s1, r.s1_conf))
            table.add_row(*map(Text, cells))
        out.append(table)
    elif kpi in outcome.sensitivity_skipped:
        out.append(Text(f"no Sobol indices for {kpi}: {outcome.sensitivity_skipped[kpi]}"))
    ranked: dict[str, list[SobolRow]] = {}
    for r in outcome.sensitivity:
        ranked.setdefault(r.kpi, []).append(r)
    if len(ranked) > 1:
        k = min(3, top, max(len(v) for v in ranked.values()))
        table = Table(
            title="which factor matters most: total Sobol index per KPI", title_justify="left"
        )
        table.add_column("KPI")
        for i in range(1, k + 1):
            table.add_column(f"#{i}")
        for name, found in ranked.items():
            ranks = [
                f"{r.factor} {_pm(r.st, r.st_conf)}"
                for r in sorted(found, key=lambda r: r.rank)[:k]
            ]
            table.add_row(*map(Text, (name, *ranks)))
        out.append(table)
    if outcome.sensitivity_skipped:
        out.append(
            Text(
                f"no indices for {len(outcome.sensitivity_skipped)} KPIs "
                "(undefined at some points, or constant); see sensitivity.csv",
                style="dim",
            )
        )
    return out


def _short_names(names: list[str]) -> list[str]:
    """Column headers: the last two parts of each dotted path, when that is unambiguous."""
    short = [".".join(n.split(".")[-2:]) for n in names]
    return short if len(set(short)) == len(short) else names


def _pm(value: float, half: float) -> str:
    return f"{value:.2f} ± {half:.2f}"


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v: Any) -> str:
    return "-" if _nan(v) else f"{v:,.4g}"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return v if isinstance(v, str) else flow_text(v)
