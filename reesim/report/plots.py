"""Charts of results, comparisons and sweeps: one function per chart, each returning a matplotlib
`Figure`.

matplotlib is imported inside the functions, so commands that draw nothing never pay for it, and
figures are made with `Figure()` directly rather than through pyplot: no global figure registry,
no interactive backend, nothing to close. Saving picks the renderer from the file type (Agg for
PNG, the SVG backend for SVG). Every artist a test or reader may look for carries a `gid`:
``event:<name>`` for a policy event's vertical line, ``event-label`` for its label, ``stopped``
and ``stopped-some`` for stockout shading, ``mark:45wd`` for the statutory-limit line.

Stock cover is sampled at each month's end and flows (exports, filings, lost units) are summed
per month, so months are the time resolution of every chart.

Comparisons take their differences from `reesim.results.compare`: paired replication by
replication when two results share root seed and replication indices (common random numbers),
Welch's interval otherwise.

Sweeps are read from a sweep output directory (`read_sweep`): ``sweep.json`` (manifest),
``points.csv`` (or ``points.parquet``) with one row per design point, and ``sensitivity.csv``
for Sobol designs. The layout accepted is documented at `read_sweep`.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reesim.results.compare import Comparison, compare_results
from reesim.results.result import Kpi, RunResult, Series, TimelineEntry

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

STATUTORY_WORKING_DAYS = 45
STATUTORY_CALENDAR_DAYS = 63.0
"""45 working days is about 63 calendar days (9 weeks of 5 working days), before holidays."""

BAND_ALPHA = 0.22
EVENT_COLOR = "0.35"
STOP_COLOR = "#d62728"
COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
DEFAULT_FOREST = (
    "firms.*.production_lost_pct",
    "firms.*.stockout_days",
    "firms.*.licence_wait_days",
)
"""KPIs of the forest plot when none are chosen: one panel per measure, one row per firm."""


@dataclass(frozen=True)
class Chart:
    """A named figure: `slug` makes its file name, `title` its caption."""

    slug: str
    title: str
    figure: Figure


Labelled = Sequence[tuple[str, RunResult]]
"""Results with the label each is shown under (the first is the baseline)."""


# --- time axis ---------------------------------------------------------------------------------


def start_date(result: RunResult) -> date:
    start = result.inputs.get("start")
    if start:
        return date.fromisoformat(str(start))
    if result.timeline:
        e = result.timeline[0]
        return date.fromisoformat(e.date) - timedelta(days=e.day)
    return date.fromisoformat(f"{result.months[0]}-01")


def end_date(result: RunResult) -> date:
    """The day after the last simulated day."""
    start = start_date(result)
    end, horizon = result.inputs.get("end"), result.inputs.get("horizon")
    if end:
        return date.fromisoformat(str(end)) + timedelta(days=1)
    if horizon is not None:
        from reesim.scenario.units import parse_duration

        try:
            return start + timedelta(days=math.ceil(parse_duration(horizon).calendar_days()))
        except ValueError:
            pass
    return _next_month(result.months[-1])


def _next_month(label: str) -> date:
    year, month = (int(p) for p in label.split("-"))
    return date(year + month // 12, month % 12 + 1, 1)


def month_bounds(result: RunResult) -> list[tuple[date, date]]:
    """[start, end) of each month of the result, clipped to the simulated period."""
    start, end = start_date(result), end_date(result)
    out = []
    for label in result.months:
        lo = max(start, date.fromisoformat(f"{label}-01"))
        out.append((lo, min(end, _next_month(label))))
    return out


def month_ends(result: RunResult) -> np.ndarray:
    """Where end-of-month levels (stock cover, pending applications) were sampled."""
    return _x([hi for _, hi in month_bounds(result)])


def month_mids(result: RunResult) -> np.ndarray:
    """Where monthly flows are drawn."""
    return _x([lo + (hi - lo) / 2 for lo, hi in month_bounds(result)])


def _x(dates: Sequence[date]) -> np.ndarray:
    """Dates as x coordinates of series."""
    return np.array(dates, dtype="datetime64[D]")


def _xd(day: date) -> float:
    """A date as the x coordinate of a single artist (a line, a span, a label)."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(day))


# --- drawing helpers ---------------------------------------------------------------------------


def _figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kw: Any) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=14)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _style(ax: Axes) -> None:
    ax.grid(True, axis="y", color="0.88", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _arr(values: Sequence[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def _events(
    axes: Iterable[Axes],
    timeline: Sequence[TimelineEntry],
    label_on: Axes | None,
    span_days: float,
) -> None:
    """Policy events as dashed vertical lines; names written along the lines on `label_on`.

    A label goes to the right of its line, or to the left when the next event is too close, so
    two events a few days apart stay readable."""
    from matplotlib.transforms import blended_transform_factory

    events = sorted(timeline, key=lambda e: e.day)
    xs = [date.fromisoformat(e.date) for e in events]
    for ax in axes:
        for e, x in zip(events, xs, strict=True):
            ax.axvline(
                _xd(x), color=EVENT_COLOR, lw=0.9, ls=(0, (4, 2)), zorder=1, gid=f"event:{e.name}"
            )
    if label_on is None:
        return
    gap = max(1.0, 0.03 * span_days)
    trans = blended_transform_factory(label_on.transData, label_on.transAxes)
    for i, (e, x) in enumerate(zip(events, xs, strict=True)):
        close_next = i + 1 < len(xs) and (xs[i + 1] - x).days < gap
        label_on.text(
            _xd(x),
            0.98,
            f" {e.name} " if not close_next else f"{e.name}  ",
            transform=trans,
            rotation=90,
            va="top",
            ha="right" if close_next else "left",
            fontsize=7,
            color="0.2",
            gid="event-label",
            zorder=1.5,
            bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.75},
        )


def _span_days(result: RunResult) -> float:
    return float((end_date(result) - start_date(result)).days)


def _firms(result: RunResult) -> list[str]:
    return [s.name.split(".")[1] for s in result.series.values() if s.name.endswith(".cover_days")]


def firm_title(result: RunResult, firm: str) -> str:
    info = (result.inputs.get("firms") or {}).get(firm) or {}
    name = info.get("name") if isinstance(info, dict) else None
    return f"{name} — {firm}" if name else firm


def _materials(result: RunResult) -> list[str]:
    return [s.name.split(".", 2)[2] for s in result.series.values() if _is_total(s)]


def _is_total(s: Series) -> bool:
    return s.name.startswith("exports.total.")


def _destinations(result: RunResult, material: str) -> list[str]:
    return [
        s.name.split(".")[1]
        for s in result.series.values()
        if s.name.startswith("exports.")
        and s.name.endswith(f".{material}")
        and not _is_total(s)
        and s.name.count(".") == 2
    ]


def _band(ax: Axes, x: np.ndarray, s: Series, color: str, label: str, **kw: Any) -> None:
    ax.fill_between(x, _arr(s.p5), _arr(s.p95), color=color, alpha=BAND_ALPHA, lw=0)
    ax.plot(x, _arr(s.mean), color=color, label=label, marker="o", ms=3, **kw)


def _legend(ax: Axes, **kw: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7.5, frameon=False, **kw)


def _figure_legend(fig: Figure, axes: Iterable[Axes]) -> None:
    """One legend below the plots, clear of data and event labels; entries with the same label
    in several panels appear once."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(
            list(entries.values()),
            list(entries),
            loc="outside lower center",
            ncols=min(len(entries), 5),
            fontsize=8,
            frameon=False,
        )


# --- one result --------------------------------------------------------------------------------


def cover_chart(result: RunResult, firm: str) -> Figure:
    """A firm's stock cover at each month's end: median with its p5–p95 band, stockouts shaded
    (`stop_shares`) and the policy events marked."""
    cover = result.series[f"firms.{firm}.cover_days"]
    fig, axes = _figure(9, 3.8)
    ax = axes[0, 0]
    x = month_ends(result)
    _stop_shading(ax, result, firm)
    ax.fill_between(
        x, _arr(cover.p5), _arr(cover.p95), color=COLORS[0], alpha=BAND_ALPHA, lw=0, label="p5–p95"
    )
    ax.plot(x, _arr(cover.p50), color=COLORS[0], marker="o", ms=3, label="median")
    _events([ax], result.timeline, ax, _span_days(result))
    ax.set_xlim(start_date(result), end_date(result))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("stock cover (days of production)")
    ax.set_xlabel("month end")
    ax.set_title(f"{firm_title(result, firm)}: stock cover", loc="left", fontsize=11)
    _date_axis(ax)
    _style(ax)
    _figure_legend(fig, [ax])
    return fig


def stop_shares(result: RunResult, firm: str) -> np.ndarray:
    """Per month, the share of it the firm was stopped, averaged over replications.

    It comes from the monthly lost production, not from the cover line, so stops inside a
    month count too. Lost units are days stopped times the firm's daily output, and that output
    is recovered from the KPIs (production lost / days stopped) of the replications that
    stopped; where none stopped the shares are all zero."""
    lost = result.series.get(f"firms.{firm}.lost_units")
    units = result.kpis.get(f"firms.{firm}.production_lost_units")
    days = result.kpis.get(f"firms.{firm}.stockout_days")
    shares = np.zeros(len(result.months))
    if lost is None or units is None or days is None:
        return shares
    u, d = _arr(units.values), _arr(days.values)
    stopped = d > 0
    if not np.any(stopped):
        return shares
    per_day = float(np.nanmean(u[stopped] / d[stopped]))
    lengths = np.array([(hi - lo).days for lo, hi in month_bounds(result)], dtype=float)
    if not per_day > 0:
        return shares
    return np.clip(np.nan_to_num(_arr(lost.mean)) / (per_day * np.maximum(lengths, 1.0)), 0, 1)


def _stop_shading(ax: Axes, result: RunResult, firm: str, color: str = STOP_COLOR) -> None:
    """Each month shaded by how much of it the firm was stopped on average (darker: more)."""
    first = True
    for (lo, hi), share in zip(month_bounds(result), stop_shares(result, firm), strict=True):
        if share < 0.005:
            continue
        ax.axvspan(
            _xd(lo),
            _xd(hi),
            color=color,
            alpha=0.08 + 0.5 * float(share),
            lw=0,
            gid="stopped",
            label="stopped (darker: more of the month, on average)" if first else None,
        )
        first = False


def exports_chart(result: RunResult) -> Figure:
    """Monthly licensed exports by destination (mean with p5–p95 band), one panel per material,
    with smuggled (arrived) and seized quantities."""
    materials = _materials(result)
    fig, axes = _figure(9, 2.7 * max(1, len(materials)) + 0.4, max(1, len(materials)), 1)
    x = month_mids(result)
    span = _span_days(result)
    for i, (ax, m) in enumerate(zip(axes[:, 0], materials, strict=False)):
        for j, dest in enumerate(_destinations(result, m)):
            _band(ax, x, result.series[f"exports.{dest}.{m}"], COLORS[j % len(COLORS)], dest)
        for name, color, ls in (("smuggled", "0.3", "--"), ("seized", STOP_COLOR, ":")):
            s = result.series.get(f"{name}.{m}")
            if s is not None and np.nanmax(_arr(s.p95), initial=0.0) > 0:
                _band(ax, x, s, color, name, ls=ls)
        _events([ax], result.timeline, ax if i == 0 else None, span)
        ax.set_xlim(start_date(result), end_date(result))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"{m} (t/month)")
        _date_axis(ax)
        _style(ax)
    axes[-1, 0].set_xlabel("month")
    _figure_legend(fig, axes[:, 0])
    fig.suptitle("Licensed exports by destination, smuggled and seized", x=0.01, ha="left")
    return fig


PIPELINE = (
    ("filed", "authority.filed", COLORS[0], "-"),
    ("approved", "authority.approved", COLORS[2], "-"),
    ("denied", "authority.denied", STOP_COLOR, "-"),
    ("returned", "authority.returned", COLORS[1], "-"),
)


def licence_waits(result: RunResult) -> dict[str, np.ndarray]:
    """Per firm, the replications' mean filing-to-approval waits (days), NaNs left out."""
    out = {}
    for k in result.kpis.values():
        if k.name.startswith("firms.") and k.measure == "licence_wait_days":
            v = _arr(k.values)
            out[k.group.split(".", 1)[1]] = v[~np.isnan(v)]
    return out


def pipeline_chart(result: RunResult) -> Figure:
    """Left: the modelled firms' applications filed, approved, denied and returned per month
    (means), and on the right-hand axis the applications pending at each month's end (every
    applicant, with p5–p95 band). Right: the distribution of filing-to-approval waits against
    the 45-working-day limit."""
    fig, axes = _figure(12, 4.0, 1, 2, width_ratios=(1.6, 1))
    ax, hx = axes[0]
    x = month_mids(result)
    pending = result.series.get("authority.pending_applications")
    if pending is not None:
        px = ax.twinx()
        px.fill_between(
            month_ends(result), _arr(pending.p5), _arr(pending.p95), color="0.5", alpha=0.15, lw=0
        )
        px.plot(month_ends(result), _arr(pending.mean), color="0.45", ls="--", label="pending")
        px.set_ylim(bottom=0)
        px.set_ylabel("pending at month end (all applicants)", color="0.35")
        px.spines["top"].set_visible(False)
        ax.plot([], [], color="0.45", ls="--", label="pending (right axis)")
    for label, name, color, ls in PIPELINE:
        s = result.series.get(name)
        if s is not None:
            ax.plot(x, _arr(s.mean), color=color, ls=ls, marker="o", ms=3, label=label)
    _events([ax], result.timeline, ax, _span_days(result))
    ax.set_xlim(start_date(result), end_date(result))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("modelled firms' applications per month")
    ax.set_xlabel("month")
    ax.set_title("Licence pipeline (means)", loc="left", fontsize=11)
    ax.set_zorder(2)
    ax.patch.set_visible(False)
    _date_axis(ax)
    _style(ax)
    ax.spines["right"].set_visible(pending is not None)
    _legend(ax, loc="upper left")
    _wait_histogram(hx, {f: v for f, v in licence_waits(result).items() if v.size})
    return fig


def _wait_histogram(ax: Axes, waits: dict[str, np.ndarray], stacked: bool = True) -> None:
    ax.set_xlabel("filing to approval (days; mean per firm and run)")
    ax.set_ylabel("firm-runs")
    _style(ax)
    pooled = np.concatenate(list(waits.values())) if waits else np.array([])
    if pooled.size == 0:
        ax.text(0.5, 0.5, "no licence approved in any run", ha="center", transform=ax.transAxes)
    else:
        top = max(float(pooled.max()), STATUTORY_CALENDAR_DAYS * 1.1)
        edges = np.linspace(0.0, top, 25)
        colors = [COLORS[i % len(COLORS)] for i in range(len(waits))]
        if stacked:
            ax.hist(
                list(waits.values()),
                bins=edges.tolist(),
                stacked=True,
                label=list(waits),
                color=colors,
            )
            over = float(np.mean(pooled > STATUTORY_CALENDAR_DAYS))
            title = f"Licence waits: {over:.0%} beyond {STATUTORY_WORKING_DAYS} working days"
        else:
            for (name, v), c in zip(waits.items(), colors, strict=True):
                share = float(np.mean(v > STATUTORY_CALENDAR_DAYS))
                label = f"{name}: {share:.0%} beyond"
                ax.hist(v, bins=edges.tolist(), histtype="step", lw=1.6, label=label, color=c)
            title = f"Licence waits against {STATUTORY_WORKING_DAYS} working days"
        ax.set_title(title, loc="left", fontsize=11)
    ax.axvline(STATUTORY_CALENDAR_DAYS, color=STOP_COLOR, lw=1.4, gid="mark:45wd")
    ax.annotate(
        f"{STATUTORY_WORKING_DAYS} working days ≈ {STATUTORY_CALENDAR_DAYS:.0f} d",
        (STATUTORY_CALENDAR_DAYS, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        va="top",
        fontsize=7.5,
        color=STOP_COLOR,
    )
    _legend(ax, loc="center right")


def _lost_panels(ax: Axes, rows: Sequence[tuple[str, Kpi]], color: str, offset: float = 0) -> None:
    """Mean as a bar, its 95% interval as a black error bar, p5–p95 as a thin grey line."""
    y = np.arange(len(rows)) + offset
    means = np.array([k.summary.mean for _, k in rows])
    lo = np.array([k.summary.ci_low for _, k in rows])
    hi = np.array([k.summary.ci_high for _, k in rows])
    p5 = np.array([k.summary.p5 for _, k in rows])
    p95 = np.array([k.summary.p95 for _, k in rows])
    h = 0.7 if offset == 0 else 0.35
    ax.barh(y, np.nan_to_num(means), height=h, color=color, alpha=0.8)
    ax.hlines(y, p5, p95, color="0.55", lw=1, gid="p5-p95")
    err = np.vstack([np.nan_to_num(means - lo), np.nan_to_num(hi - means)])
    ax.errorbar(np.nan_to_num(means), y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1.2)


def lost_production_chart(result: RunResult) -> Figure:
    """Production lost per firm in units and in % of the horizon: mean, 95% interval of the
    mean (black), p5–p95 over replications (grey)."""
    firms = _firms(result)
    fig, axes = _figure(11, 0.5 * len(firms) + 1.6, 1, 2, sharey=True)
    for ax, measure, xlabel in (
        (axes[0, 0], "production_lost_units", "production lost (units)"),
        (axes[0, 1], "production_lost_pct", "production lost (% of the period)"),
    ):
        rows = [(f, result.kpis[f"firms.{f}.{measure}"]) for f in firms]
        _lost_panels(ax, rows, COLORS[3])
        ax.set_xlabel(xlabel)
        ax.set_xlim(left=0)
        _style(ax)
        ax.grid(True, axis="x", color="0.88", lw=0.8)
    from matplotlib.ticker import StrMethodFormatter

    axes[0, 0].xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes[0, 0].set_yticks(np.arange(len(firms)), firms)
    axes[0, 0].invert_yaxis()
    fig.suptitle(
        "Lost production: mean, 95% interval (black), p5–p95 of runs (grey)", x=0.01, ha="left"
    )
    return fig


def result_charts(result: RunResult) -> list[Chart]:
    """Every chart of one result, in report order."""
    charts = [
        Chart(f"cover-{f}", f"Stock cover: {firm_title(result, f)}", cover_chart(result, f))
        for f in _firms(result)
    ]
    if _materials(result):
        charts.append(Chart("exports", "Monthly exports", exports_chart(result)))
    if "authority.filed" in result.series:
        charts.append(Chart("pipeline", "Licence pipeline", pipeline_chart(result)))
    if _firms(result):
        charts.append(Chart("lost-production", "Lost production", lost_production_chart(result)))
    return charts


# --- comparisons -------------------------------------------------------------------------------


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
                xerr=[lo, hi],
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
        ax.set_xlabel(f"Δ {measure}")
        _style(ax)
        ax.grid(True, axis="x", color="0.88", lw=0.8)
    _legend(axes[0, -1], loc="best")
    fig.suptitle(f"Change against {base_label}, with 95% intervals", x=0.01, ha="left")
    return fig


def _color(j: int) -> str:
    return COLORS[j % len(COLORS)]


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
        f"{firm_title(base, firm)}: median stock cover (bands p5–p95)", loc="left", fontsize=11
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
    _wait_histogram(hx, {k: v for k, v in pooled.items() if v.size}, stacked=False)
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
                np.nan_to_num(means - np.array([k.summary.ci_low for _, k in rows])),
                np.nan_to_num(np.array([k.summary.ci_high for _, k in rows]) - means),
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


# --- sweeps ------------------------------------------------------------------------------------

STATS = ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "n")
META_COLUMNS = {
    "point",
    "point_id",
    "point_index",
    "index",
    "id",
    "n",
    "replications",
    "failed",
    "failures",
    "errors",
    "ok",
    "seed",
}
_STAT_COLUMN = re.compile(r"^(?P<kpi>.+?)(?:\.|:|/|__|_)(?P<stat>" + "|".join(STATS) + r")$")
_NUMBER_WITH_UNIT = re.compile(
    r"^\s*(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>[a-zA-Z/% ]*)$"
)


@dataclass(frozen=True)
class SweepPoint:
    factors: dict[str, str]
    """Factor values as written in points.csv (numbers or values with units, e.g. '30wd')."""
    stats: dict[str, dict[str, float]]
    """KPI name -> statistic (mean, ci_low, ci_high, p5, p50, p95, …) -> value."""


@dataclass(frozen=True)
class SobolIndex:
    kpi: str
    factor: str
    s1: float
    s1_conf: float
    st: float
    st_conf: float


@dataclass(frozen=True)
class Sweep:
    path: str
    manifest: dict[str, Any]
    factors: tuple[str, ...]
    kpis: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    sensitivity: tuple[SobolIndex, ...] = field(default=())

    def values(self, kpi: str, stat: str = "mean") -> np.ndarray:
        return np.array([p.stats.get(kpi, {}).get(stat, math.nan) for p in self.points])


def read_sweep(directory: str | Path) -> Sweep:
    """Read a sweep output directory.

    ``points.csv`` (or ``points.parquet``) has one row per design point: the factor columns
    (named by dotted path, values as numbers or with units such as ``30wd``) and KPI statistics
    either wide (``<kpi>.mean``, ``<kpi>.ci_low``, ``<kpi>.ci_high``, ``<kpi>.p5``… — the
    separator may also be ``:``, ``/``, ``_`` or ``__``) or long (a ``kpi`` column beside ``mean``,
    ``ci_low``…). Factors are taken from ``sweep.json`` (``factors`` at the top or under
    ``design`` or ``sweep``: a list of paths, of objects with ``path`` or ``name``, or a mapping by
    path) or else are the columns that are neither statistics nor bookkeeping (``point``,
    ``replications``, ``failed``…). ``sensitivity.csv`` has columns ``kpi, factor, S1, S1_conf,
    ST, ST_conf``. Raises ValueError with a message naming what is missing."""
    root = Path(directory)
    manifest: dict[str, Any] = {}
    if (root / "sweep.json").is_file():
        manifest = json.loads((root / "sweep.json").read_text(encoding="utf-8"))
    rows = _read_rows(root)
    if not rows:
        raise ValueError(f"{root}: expected a sweep directory with points.csv, got no points")
    columns = list(rows[0])
    declared = [f for f in _manifest_factors(manifest) if f in columns]
    long_format = "kpi" in columns
    stat_cols: dict[str, tuple[str, str]] = {}
    if not long_format:
        prefixes: dict[str, set[str]] = {}
        for c in columns:
            m = _STAT_COLUMN.match(c)
            if m and c not in declared:
                prefixes.setdefault(m["kpi"], set()).add(m["stat"])
        for c in columns:
            m = _STAT_COLUMN.match(c)
            if m and c not in declared and len(prefixes[m["kpi"]]) >= 2:
                stat_cols[c] = (m["kpi"], m["stat"])
    skip = set(STATS) | {"kpi", "unit"} if long_format else set()
    factors = declared or [
        c for c in columns if c not in stat_cols and c.lower() not in META_COLUMNS | skip
    ]
    points: dict[tuple[str, ...], SweepPoint] = {}
    for row in rows:
        key = tuple(str(row.get(f, "")) for f in factors)
        point = points.setdefault(key, SweepPoint(dict(zip(factors, key, strict=True)), {}))
        if long_format:
            point.stats[str(row["kpi"])] = {s: _float(row.get(s)) for s in STATS if s in row}
        else:
            for c, (kpi, stat) in stat_cols.items():
                point.stats.setdefault(kpi, {})[stat] = _float(row.get(c))
    kpis = list(dict.fromkeys(k for p in points.values() for k in p.stats))
    return Sweep(
        str(root),
        manifest,
        tuple(factors),
        tuple(kpis),
        tuple(points.values()),
        _read_sensitivity(root / "sensitivity.csv"),
    )


def _read_rows(root: Path) -> list[dict[str, Any]]:
    if (root / "points.csv").is_file():
        with (root / "points.csv").open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    if (root / "points.parquet").is_file():
        try:
            import pyarrow.parquet as pq  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            raise ValueError(
                f"{root}: expected points.csv (reading points.parquet needs pyarrow)"
            ) from None
        return list(pq.read_table(root / "points.parquet").to_pylist())
    raise ValueError(f"{root}: expected a sweep directory holding points.csv, got none")


def _manifest_factors(manifest: dict[str, Any]) -> list[str]:
    for holder in (manifest, manifest.get("design") or {}, manifest.get("sweep") or {}):
        found = holder.get("factors") if isinstance(holder, dict) else None
        if isinstance(found, dict):
            return [str(k) for k in found]
        if isinstance(found, list):
            out = []
            for f in found:
                if isinstance(f, str):
                    out.append(f)
                elif isinstance(f, dict) and (f.get("path") or f.get("name")):
                    out.append(str(f.get("path") or f.get("name")))
            return out
    return []


def _read_sensitivity(path: Path) -> tuple[SobolIndex, ...]:
    if not path.is_file():
        return ()
    with path.open(newline="", encoding="utf-8") as f:
        rows = [{k.strip().lower(): v for k, v in r.items() if k} for r in csv.DictReader(f)]

    def get(r: dict[str, str], *names: str) -> str | None:
        return next((r[n] for n in names if n in r), None)

    return tuple(
        SobolIndex(
            str(get(r, "kpi", "output") or ""),
            str(get(r, "factor", "parameter", "name") or ""),
            _float(get(r, "s1")),
            _float(get(r, "s1_conf", "s1_ci")),
            _float(get(r, "st")),
            _float(get(r, "st_conf", "st_ci")),
        )
        for r in rows
    )


def _float(x: object) -> float:
    if x is None or x == "":
        return math.nan
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


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


def sweep_factor_chart(sweep: Sweep, kpi: str) -> Figure:
    """The KPI's mean (with its 95% interval) at each point against each factor, one panel per
    factor; other factors vary between points at the same value, which shows as spread."""
    n = max(1, len(sweep.factors))
    fig, axes = _figure(min(3.6 * n, 14) + 0.6, 3.4, 1, n, sharey=True)
    mean, lo, hi = (sweep.values(kpi, s) for s in ("mean", "ci_low", "ci_high"))
    err = np.vstack([np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)])
    for ax, factor in zip(axes[0], sweep.factors, strict=False):
        x, unit, cats = factor_axis([p.factors[factor] for p in sweep.points])
        ax.errorbar(x, mean, yerr=err, fmt="o", ms=4, capsize=2, color=COLORS[0], alpha=0.8)
        if cats is not None:
            ax.set_xticks(np.arange(len(cats)), cats, rotation=30)
        ax.set_xlabel(f"{factor} ({unit})" if unit else factor)
        _style(ax)
    axes[0, 0].set_ylabel("mean with 95% CI")
    fig.suptitle(f"{kpi} against each factor", x=0.01, ha="left")
    return fig


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


def sweep_heatmap(sweep: Sweep, kpi: str, fx: str, fy: str) -> Figure:
    """The KPI's mean over a grid of two factors (averaged over any other factors; sampled
    designs are binned)."""
    ix, xl = _bins([p.factors[fx] for p in sweep.points])
    iy, yl = _bins([p.factors[fy] for p in sweep.points])
    total = np.zeros((len(yl), len(xl)))
    count = np.zeros((len(yl), len(xl)))
    mean = sweep.values(kpi)
    ok = ~np.isnan(mean)
    np.add.at(total, (iy[ok], ix[ok]), mean[ok])
    np.add.at(count, (iy[ok], ix[ok]), 1)
    grid = np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
    fig, axes = _figure(1.0 * len(xl) + 3.2, 0.5 * len(yl) + 2.4)
    ax = axes[0, 0]
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, label=f"{kpi} (mean)")
    ax.set_xticks(np.arange(len(xl)), xl, rotation=30)
    ax.set_yticks(np.arange(len(yl)), yl)
    ax.set_xlabel(fx)
    ax.set_ylabel(fy)
    if grid.size <= 100 and np.isfinite(grid).any():
        mid = float(np.nanmin(grid) + np.nanmax(grid)) / 2
        for (r, c), v in np.ndenumerate(grid):
            if not math.isnan(v):
                color = "white" if v < mid else "black"
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7.5, color=color)
    ax.set_title(f"{kpi}: {fy} × {fx}", loc="left", fontsize=11)
    return fig


def sobol_chart(sweep: Sweep, kpi: str) -> Figure:
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
            xerr=np.nan_to_num(conf),
            capsize=2,
            color=color,
            label=label,
        )
    ax.set_yticks(y, [s.factor for s in rows])
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("Sobol index (share of variance), 95% CI")
    ax.set_title(f"Which assumption matters most for {kpi}", loc="left", fontsize=11)
    _style(ax)
    _legend(ax, loc="lower right")
    return fig


def sweep_kpis(sweep: Sweep, patterns: Sequence[str] = ()) -> list[str]:
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


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def sweep_charts(sweep: Sweep, patterns: Sequence[str] = ()) -> list[Chart]:
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


# --- output ------------------------------------------------------------------------------------


def save(chart: Chart, directory: str | Path, fmt: str = "png") -> Path:
    """Write a chart as ``<slug>.<fmt>`` into `directory`; returns the path."""
    out = Path(directory) / f"{_slug(chart.slug)}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.figure.savefig(out, format=fmt, dpi=110 if fmt == "png" else 72)
    return out


def to_svg(figure: Figure) -> str:
    """The figure as SVG text: real text (searchable, small), fixed ids, no metadata."""
    import io

    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "reesim"}):
        figure.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()
