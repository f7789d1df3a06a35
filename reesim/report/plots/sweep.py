"""The charts of a finished sweep (a `SweepSummary`, as `reesim.experiment.store.read_sweep`
reads it): KPI against each factor, heat maps, Sobol indices, and `sweep_charts`."""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from reesim.experiment.sweepsummary import SweepSummary
from reesim.report.plots.common import (
    COLORS,
    Chart,
    _figure,
    _legend,
    _slug,
    _spread,
    _style,
    kpi_label,
    palette,
    path_label,
    wrapped,
)
from reesim.results.names import kpi_unit

if TYPE_CHECKING:
    from matplotlib.figure import Figure


_NUMBER_WITH_UNIT = re.compile(
    r"^\s*(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>[a-zA-Z/% ]*)$"
)


def _values(sweep: SweepSummary, kpi: str, stat: str = "mean") -> np.ndarray:
    return np.array(sweep.values(kpi, stat), dtype=float)


def factor_axis(values: Sequence[str]) -> tuple[np.ndarray, str, list[str] | None]:
    """Positions for factor values: numbers (a common unit such as 'wd' goes to the label), or
    categories in order of first appearance. Returns (x, unit, category names or None)."""
    nums, units = [], set()
    for v in values:
        m = _NUMBER_WITH_UNIT.match(str(v))
        if not m:
            break
        nums.append(float(m["num"]))
        units.add(m["unit"].strip())
    if len(nums) == len(values) and len(units) <= 1:
        return np.array(nums), next(iter(units), ""), None
    cats = list(dict.fromkeys(str(v) for v in values))
    return np.array([cats.index(str(v)) for v in values], dtype=float), "", cats


def sweep_factor_chart(sweep: SweepSummary, kpi: str) -> Figure:
    """The KPI's mean (with its 95% interval) at each point against each factor, one panel per
    factor, each point coloured by another factor's value (the next one), so what varies
    between points at the same value is visible rather than unexplained spread."""
    n = max(1, len(sweep.factors))
    width = min(3.6 * n, 14) + 0.6
    fig, axes = _figure(width, 3.6, 1, n, sharey=True)
    mean, lo, hi = (_values(sweep, kpi, s) for s in ("mean", "ci_low", "ci_high"))
    err = np.vstack([_spread(mean - lo), _spread(hi - mean)])
    for i, (ax, factor) in enumerate(zip(axes[0], sweep.factors, strict=False)):
        x, unit, cats = factor_axis([p.factors[factor] for p in sweep.points])
        other = sweep.factors[(i + 1) % n] if n > 1 else None
        if other is None:
            ax.errorbar(x, mean, yerr=err, fmt="o", ms=4, capsize=2, color=COLORS[0], alpha=0.8)
        else:
            _by_other_factor(fig, ax, sweep, other, x, mean, err)
        if cats is not None:
            ax.set_xticks(np.arange(len(cats)), cats, rotation=30)
        ax.set_xlabel(wrapped(path_label(factor, unit), width / n, 9))
        _style(ax)
    axes[0, 0].set_ylabel(f"{kpi_label(kpi, kpi_unit(kpi))}\nmean and 95% CI")
    fig.suptitle(
        wrapped(f"{kpi_label(kpi)} against each factor", width - 0.3, 12), x=0.01, ha="left"
    )
    return fig


def _by_other_factor(
    fig: Figure,
    ax: Any,
    sweep: SweepSummary,
    other: str,
    x: np.ndarray,
    mean: np.ndarray,
    err: np.ndarray,
) -> None:
    """Points coloured by `other`'s value: a legend of its levels when few, else a colour bar."""
    values = [p.factors[other] for p in sweep.points]
    ox, unit, cats = factor_axis(values)
    levels = list(dict.fromkeys(values))
    if len(levels) <= 8:
        name = path_label(other)  # the levels carry their unit
        colors = palette(len(levels))
        for level, color in zip(levels, colors, strict=True):
            chosen = np.array([v == level for v in values])
            ax.errorbar(
                x[chosen], mean[chosen], yerr=err[:, chosen], fmt="o", ms=4, capsize=2,
                color=color, alpha=0.85, label=f"{name} = {level}",
            )  # fmt: skip
        _legend(ax, loc="best", title=None)
        return
    ax.errorbar(x, mean, yerr=err, fmt="none", ecolor="0.7", capsize=0, alpha=0.6)
    dots = ax.scatter(x, mean, c=ox, cmap="viridis", s=18, zorder=3)
    fig.colorbar(dots, ax=ax, label=wrapped(path_label(other, unit), 2.5, 9))


def _bins(values: Sequence[str], max_bins: int = 8) -> tuple[np.ndarray, list[str]]:
    """A bin index per value and the bins' labels: the distinct values when few, else ranges."""
    x, unit, cats = factor_axis(values)
    if cats is not None:
        return x.astype(int), cats
    distinct = np.unique(x)
    if distinct.size <= 12:
        return np.searchsorted(distinct, x), [f"{v:g}{unit}" for v in distinct]
    edges = np.linspace(distinct[0], distinct[-1], max_bins + 1)
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max_bins - 1)
    return idx, [f"{a:.3g}–{b:.3g}{unit}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def sweep_heatmap(sweep: SweepSummary, kpi: str, fx: str, fy: str) -> Figure:
    """The KPI's mean over a grid of two factors (averaged over any other factors; sampled
    designs are binned)."""
    ix, xl = _bins([p.factors[fx] for p in sweep.points])
    iy, yl = _bins([p.factors[fy] for p in sweep.points])
    total = np.zeros((len(yl), len(xl)))
    count = np.zeros((len(yl), len(xl)))
    mean = _values(sweep, kpi)
    ok = ~np.isnan(mean)
    np.add.at(total, (iy[ok], ix[ok]), mean[ok])
    np.add.at(count, (iy[ok], ix[ok]), 1)
    grid = np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
    fig, axes = _figure(1.0 * len(xl) + 3.2, 0.5 * len(yl) + 2.4)
    ax = axes[0, 0]
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, label=wrapped(f"{kpi_label(kpi, kpi_unit(kpi))}, mean", 2.5, 9))
    ax.set_xticks(np.arange(len(xl)), xl, rotation=30)
    ax.set_yticks(np.arange(len(yl)), yl)
    ax.set_xlabel(path_label(fx, factor_axis([p.factors[fx] for p in sweep.points])[1]))
    ax.set_ylabel(path_label(fy, factor_axis([p.factors[fy] for p in sweep.points])[1]))
    if grid.size <= 100 and np.isfinite(grid).any():
        mid = float(np.nanmin(grid) + np.nanmax(grid)) / 2
        for (r, c), v in np.ndenumerate(grid):
            if not math.isnan(v):
                color = "white" if v < mid else "black"
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7.5, color=color)
    ax.set_title(
        wrapped(f"{kpi_label(kpi)}: {path_label(fy)} × {path_label(fx)}", 1.0 * len(xl) + 2.4),
        loc="left",
        fontsize=11,
    )
    return fig


def sobol_chart(sweep: SweepSummary, kpi: str) -> Figure:
    """First-order and total Sobol indices of each factor for one KPI, with their confidence
    intervals, ranked by total index."""
    rows = sorted(
        (s for s in sweep.sensitivity if s.kpi == kpi),
        key=lambda s: -s.st if not math.isnan(s.st) else math.inf,
    )
    fig, axes = _figure(7.5, 0.55 * max(len(rows), 2) + 1.6)
    ax = axes[0, 0]
    y = np.arange(len(rows))
    for off, label, vals, conf, color in (
        (-0.2, "first order (S1)", [s.s1 for s in rows], [s.s1_conf for s in rows], COLORS[0]),
        (0.2, "total (ST)", [s.st for s in rows], [s.st_conf for s in rows], COLORS[1]),
    ):
        ax.barh(
            y + off,
            np.nan_to_num(vals),
            height=0.38,
            xerr=_spread(conf),
            capsize=2,
            color=color,
            label=label,
        )
    ax.set_yticks(y, [wrapped(path_label(s.factor), 2.5, 9) for s in rows])
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("Sobol index (share of variance), 95% CI")
    ax.set_title(
        wrapped(f"Which assumption matters most for {kpi_label(kpi)}", 7.0), loc="left", fontsize=11
    )
    _style(ax)
    _legend(ax, loc="lower right")
    return fig


def sweep_kpis(sweep: SweepSummary, patterns: Sequence[str] = ()) -> list[str]:
    """The KPIs to chart: those matching `patterns`; else those with Sobol indices; else the
    sweep's KPIs if few, else lost production and stockout days per firm (at most eight)."""
    if patterns:
        return [k for k in sweep.kpis if any(fnmatch.fnmatchcase(k, p) for p in patterns)]
    sobol = list(dict.fromkeys(s.kpi for s in sweep.sensitivity if s.kpi in sweep.kpis))
    if sobol:
        return sobol[:8]
    if len(sweep.kpis) <= 6:
        return list(sweep.kpis)
    chosen = [
        k
        for k in sweep.kpis
        if fnmatch.fnmatchcase(k, "firms.*.production_lost_pct")
        or fnmatch.fnmatchcase(k, "firms.*.stockout_days")
    ]
    return (chosen or list(sweep.kpis))[:8]


def sweep_charts(sweep: SweepSummary, patterns: Sequence[str] = ()) -> list[Chart]:
    """For each chosen KPI: the KPI against each factor, a heat map of the two factors that
    matter most (by total Sobol index when known, else the first two), and the Sobol bars."""
    charts = []
    for kpi in sweep_kpis(sweep, patterns):
        charts.append(
            Chart(
                f"sweep-{_slug(kpi)}", f"{kpi} against each factor", sweep_factor_chart(sweep, kpi)
            )
        )
        ranked = [
            s.factor
            for s in sorted(
                (s for s in sweep.sensitivity if s.kpi == kpi and s.factor in sweep.factors),
                key=lambda s: -s.st if not math.isnan(s.st) else math.inf,
            )
        ]
        pair = (ranked + [f for f in sweep.factors if f not in ranked])[:2]
        if len(pair) == 2:
            charts.append(
                Chart(
                    f"heatmap-{_slug(kpi)}",
                    f"{kpi}: {pair[1]} × {pair[0]}",
                    sweep_heatmap(sweep, kpi, pair[0], pair[1]),
                )
            )
        if any(s.kpi == kpi for s in sweep.sensitivity):
            charts.append(
                Chart(f"sobol-{_slug(kpi)}", f"Sobol indices: {kpi}", sobol_chart(sweep, kpi))
            )
    return charts
