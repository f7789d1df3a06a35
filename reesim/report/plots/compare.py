"""Charts comparing several results against the first (baseline): the forest plot of KPI
deltas, overlaid cover, exports, pipeline and lost production, and `comparison_charts`."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from reesim.report.plots.common import (
    COLORS,
    DEFAULT_FOREST,
    Chart,
    Labelled,
    _arr,
    _band,
    _date_axis,
    _events,
    _figure,
    _figure_legend,
    _firms,
    _legend,
    _materials,
    _span_days,
    _spread,
    _style,
    end_date,
    firm_title,
    month_ends,
    month_mids,
    palette,
    start_date,
    statutory_limit_days,
    wrapped,
)
from reesim.report.plots.result import _wait_histogram, licence_waits
from reesim.results.compare import Comparison, compare_results
from reesim.results.names import kpi_unit
from reesim.results.result import TimelineEntry

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def deltas(runs: Labelled) -> dict[str, Comparison]:
    """Each non-baseline result compared with the first, KPI by KPI (`results.compare`)."""
    (base_label, base), *others = runs
    return {
        label: compare_results(base, other, baseline_label=base_label, candidate_label=label)
        for label, other in others
    }


def forest_chart(runs: Labelled, patterns: Sequence[str] = DEFAULT_FOREST) -> Figure:
    """KPI deltas against the first (baseline) result with 95% intervals: one panel per measure
    (same unit), one row per KPI, one marker per other result."""
    table = deltas(runs)
    measures: dict[str, list[str]] = {}
    for comparison in table.values():
        for name, kc in comparison.kpis.items():
            if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                continue
            head, _, rest = name.partition(".")
            group = f"{head}.{rest.split('.')[0]}" if head in ("firms", "materials") else head
            measure = name[len(group) + 1 :]
            defined = kc.diff is not None and not math.isnan(kc.diff.delta)
            if defined and group not in measures.setdefault(measure, []):
                measures[measure].append(group)
    panels = [m for m in measures if measures[m]] or ["(no KPI)"]
    rows_max = max((len(measures.get(m, [])) for m in panels), default=1)
    fig, axes = _figure(3.6 * len(panels) + 1.2, 0.42 * max(rows_max, 2) + 1.7, 1, len(panels))
    labels = list(table)
    base_label = runs[0][0]
    for ax, measure in zip(axes[0], panels, strict=True):
        groups = measures.get(measure, [])
        for j, label in enumerate(labels):
            comparison = table[label]
            ys, xs, lo, hi = [], [], [], []
            for i, g in enumerate(groups):
                row = comparison.kpis.get(f"{g}.{measure}")
                d = row.diff if row is not None else None
                if d is None or math.isnan(d.delta):
                    continue
                ys.append(i + (j - (len(labels) - 1) / 2) * 0.22)
                xs.append(d.delta)
                lo.append(d.delta - d.ci_low if not math.isnan(d.ci_low) else 0.0)
                hi.append(d.ci_high - d.delta if not math.isnan(d.ci_high) else 0.0)
            ax.errorbar(
                xs,
                ys,
                xerr=[_spread(lo), _spread(hi)],
                fmt="o",
                ms=4,
                capsize=3,
                color=COLORS[(j + 1) % len(COLORS)],
                label=f"{label} ({comparison.pairing.value})",
            )
        ax.axvline(0, color="0.3", lw=0.9, gid="zero")
        ax.set_yticks(np.arange(len(groups)), [g.split(".", 1)[-1] for g in groups])
        ax.set_ylim(max(len(groups), 1) - 0.5, -0.5)
        if not groups:
            ax.text(0.5, 0.5, "no KPI in common", ha="center", transform=ax.transAxes)
        ax.set_xlabel(f"Δ {measure.replace('_', ' ')} ({kpi_unit(measure)})")
        _style(ax)
        ax.grid(True, axis="x", color="0.88", lw=0.8)
    _legend(axes[0, -1], loc="best")
    fig.suptitle(
        wrapped(f"Change against {base_label}, with 95% intervals", 3.6 * len(panels)),
        x=0.01,
        ha="left",
    )
    return fig


def _color(j: int) -> str:
    return palette(j + 1)[j]


def compare_cover_chart(runs: Labelled, firm: str) -> Figure:
    """One firm's median stock cover (with p5–p95 band) per result, overlaid."""
    fig, axes = _figure(9, 3.8)
    ax = axes[0, 0]
    base = runs[0][1]
    for j, (label, r) in enumerate(runs):
        s = r.series.get(f"firms.{firm}.cover_days")
        if s is None:
            continue
        x = month_ends(r)
        ax.fill_between(x, _arr(s.p5), _arr(s.p95), color=_color(j), alpha=0.15, lw=0)
        ax.plot(x, _arr(s.p50), color=_color(j), marker="o", ms=3, label=label)
    _events([ax], _union_timeline(runs), ax, _span_days(base))
    ax.set_xlim(start_date(base), end_date(base))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("stock cover (days of production)")
    ax.set_xlabel("month end")
    ax.set_title(
        wrapped(f"{firm_title(base, firm)}: median stock cover (bands p5–p95)", 8.5),
        loc="left",
        fontsize=11,
    )
    _date_axis(ax)
    _style(ax)
    _figure_legend(fig, [ax])
    return fig


def _union_timeline(runs: Labelled) -> list[TimelineEntry]:
    seen: dict[tuple[str, str], TimelineEntry] = {}
    for _, r in runs:
        for e in r.timeline:
            seen.setdefault((e.date, e.name), e)
    return sorted(seen.values(), key=lambda e: e.day)


def compare_exports_chart(runs: Labelled) -> Figure:
    """Total licensed exports per material (solid, with band) and smuggled (dashed) per result."""
    base = runs[0][1]
    materials = _materials(base)
    n = max(1, len(materials))
    fig, axes = _figure(9, 2.7 * n + 0.4, n, 1)
    for i, (ax, m) in enumerate(zip(axes[:, 0], materials, strict=False)):
        for j, (label, r) in enumerate(runs):
            s = r.series.get(f"exports.total.{m}")
            if s is not None:
                _band(ax, month_mids(r), s, _color(j), f"{label} exports")
            g = r.series.get(f"smuggled.{m}")
            if g is not None and np.nanmax(_arr(g.mean), initial=0.0) > 0:
                ax.plot(
                    month_mids(r), _arr(g.mean), color=_color(j), ls="--", label=f"{label} smuggled"
                )
        _events([ax], _union_timeline(runs), ax if i == 0 else None, _span_days(base))
        ax.set_xlim(start_date(base), end_date(base))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"{m} (t/month)")
        _date_axis(ax)
        _style(ax)
    axes[-1, 0].set_xlabel("month")
    _figure_legend(fig, axes[:, 0])
    fig.suptitle(
        "Licensed exports (all destinations) and smuggled, per scenario", x=0.01, ha="left"
    )
    return fig


def compare_pipeline_chart(runs: Labelled) -> Figure:
    """Approvals per month (solid, left axis) and pending applications at month end (dashed,
    right axis) per result; licence-wait distributions overlaid as step histograms."""
    base = runs[0][1]
    fig, axes = _figure(12, 4.2, 1, 2, width_ratios=(1.6, 1))
    ax, hx = axes[0]
    px = ax.twinx()
    for j, (label, r) in enumerate(runs):
        s = r.series.get("authority.approved")
        if s is not None:
            ax.plot(month_mids(r), _arr(s.mean), color=_color(j), marker="o", ms=3, label=label)
        p = r.series.get("authority.pending_applications")
        if p is not None:
            px.plot(month_ends(r), _arr(p.mean), color=_color(j), ls="--")
    ax.plot([], [], color="0.4", label="approved (left axis)")
    ax.plot([], [], color="0.4", ls="--", label="pending (right axis)")
    _events([ax], _union_timeline(runs), ax, _span_days(base))
    ax.set_xlim(start_date(base), end_date(base))
    ax.set_ylim(bottom=0)
    px.set_ylim(bottom=0)
    ax.set_ylabel("modelled firms' approvals per month")
    px.set_ylabel("pending at month end (all applicants)", color="0.35")
    px.spines["top"].set_visible(False)
    ax.set_xlabel("month")
    ax.set_title("Approvals per month and pending at month end (means)", loc="left", fontsize=11)
    ax.set_zorder(2)
    ax.patch.set_visible(False)
    _date_axis(ax)
    _style(ax)
    ax.spines["right"].set_visible(True)
    _figure_legend(fig, [ax])
    pooled = {}
    for label, r in runs:
        v = [w for w in licence_waits(r).values() if w.size]
        pooled[label] = np.concatenate(v) if v else np.array([])
    limits = {statutory_limit_days(r) for _, r in runs}
    # One limit line when every scenario has the same one; none when they differ.
    limit = limits.pop() if len(limits) == 1 else None
    _wait_histogram(hx, {k: v for k, v in pooled.items() if v.size}, stacked=False, limit=limit)
    return fig


def compare_lost_production_chart(runs: Labelled) -> Figure:
    """Production lost per firm (% of the period) per result, grouped: mean, 95% interval and
    p5–p95."""
    base = runs[0][1]
    firms = _firms(base)
    fig, axes = _figure(9, 0.65 * len(firms) * max(1, len(runs)) / 2 + 1.8)
    ax = axes[0, 0]
    height = 0.8 / len(runs)
    for j, (label, r) in enumerate(runs):
        rows = [
            (f, r.kpis[f"firms.{f}.production_lost_pct"])
            for f in firms
            if f"firms.{f}.production_lost_pct" in r.kpis
        ]
        y = np.array([firms.index(f) for f, _ in rows]) + (j - (len(runs) - 1) / 2) * height
        means = np.array([k.summary.mean for _, k in rows])
        err = np.vstack(
            [
                _spread(means - np.array([k.summary.ci_low for _, k in rows])),
                _spread(np.array([k.summary.ci_high for _, k in rows]) - means),
            ]
        )
        ax.barh(y, np.nan_to_num(means), height=height, color=_color(j), alpha=0.8, label=label)
        ax.errorbar(np.nan_to_num(means), y, xerr=err, fmt="none", ecolor="black", capsize=2)
        ax.hlines(
            y,
            [k.summary.p5 for _, k in rows],
            [k.summary.p95 for _, k in rows],
            color="0.55",
            lw=1,
            gid="p5-p95",
        )
    ax.set_yticks(np.arange(len(firms)), firms)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("production lost (% of the period)")
    ax.set_title("Lost production per scenario", loc="left", fontsize=11)
    _style(ax)
    ax.grid(True, axis="x", color="0.88", lw=0.8)
    _legend(ax, loc="lower right")
    return fig


def comparison_charts(runs: Labelled, patterns: Sequence[str] = DEFAULT_FOREST) -> list[Chart]:
    """Every comparison chart of several results, the first being the baseline."""
    base = runs[0][1]
    charts = [Chart("forest", "KPI changes against the baseline", forest_chart(runs, patterns))]
    charts += [
        Chart(
            f"compare-cover-{f}",
            f"Stock cover: {firm_title(base, f)}",
            compare_cover_chart(runs, f),
        )
        for f in _firms(base)
    ]
    if _materials(base):
        charts.append(Chart("compare-exports", "Exports", compare_exports_chart(runs)))
    if "authority.approved" in base.series:
        charts.append(Chart("compare-pipeline", "Licence pipeline", compare_pipeline_chart(runs)))
    if _firms(base):
        charts.append(
            Chart("compare-lost-production", "Lost production", compare_lost_production_chart(runs))
        )
    return charts
