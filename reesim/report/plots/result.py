"""Charts of one result: stock cover, exports, licence pipeline, lost production, and
`result_charts` for all of them in report order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from reesim.report.plots.common import (
    BAND_ALPHA,
    COLORS,
    STOP_COLOR,
    Chart,
    Thousands,
    _arr,
    _band,
    _date_axis,
    _destinations,
    _events,
    _figure,
    _figure_legend,
    _firms,
    _legend,
    _materials,
    _span_days,
    _spread,
    _style,
    _xd,
    day_ends,
    end_date,
    firm_title,
    month_bounds,
    month_ends,
    month_mids,
    palette,
    start_date,
    statutory_limit_days,
    wrapped,
)
from reesim.results.result import Kpi, RunResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def cover_chart(result: RunResult, firm: str) -> Figure:
    """A firm's stock cover: median with its p5–p95 band at every day's end (at each month's
    end for results without the daily series), stockouts shaded (`stop_shares`) and the
    policy events marked. Daily points show a drawdown that starts and ends inside a month."""
    daily = result.series.get(f"firms.{firm}.cover_days_daily")
    cover = daily or result.series[f"firms.{firm}.cover_days"]
    fig, axes = _figure(9, 3.8)
    ax = axes[0, 0]
    x = day_ends(result, len(daily.mean)) if daily else month_ends(result)
    marker = {} if daily else {"marker": "o", "ms": 3}
    _stop_shading(ax, result, firm)
    ax.fill_between(
        x, _arr(cover.p5), _arr(cover.p95), color=COLORS[0], alpha=BAND_ALPHA, lw=0, label="p5–p95"
    )
    ax.plot(x, _arr(cover.p50), color=COLORS[0], label="median", gid="median", **marker)
    _events([ax], result.timeline, ax, _span_days(result))
    ax.set_xlim(start_date(result), end_date(result))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("stock cover (days of production)")
    ax.set_xlabel("day's end" if daily else "month end")
    ax.set_title(wrapped(f"{firm_title(result, firm)}: stock cover", 8.5), loc="left", fontsize=11)
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
    if units.values and days.values:
        u, d = _arr(units.values), _arr(days.values)
        stopped = d > 0
        if not np.any(stopped):
            return shares
        per_day = float(np.nanmean(u[stopped] / d[stopped]))
    else:
        # Replications not kept: lost units are days stopped times the same daily output in
        # every run, so the ratio of the means is that output.
        if not days.summary.mean > 0:
            return shares
        per_day = units.summary.mean / days.summary.mean
    lengths = np.array([(hi - lo).days for lo, hi in month_bounds(result)], dtype=float)
    if not per_day > 0:
        return shares
    lost_shares: np.ndarray = np.clip(
        np.nan_to_num(_arr(lost.mean)) / (per_day * np.maximum(lengths, 1.0)), 0, 1
    )
    return lost_shares


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
    # One colour per destination across every panel: the figure has one legend.
    destinations = list(dict.fromkeys(d for m in materials for d in _destinations(result, m)))
    color_of = dict(zip(destinations, palette(len(destinations)), strict=True))
    for i, (ax, m) in enumerate(zip(axes[:, 0], materials, strict=False)):
        for dest in _destinations(result, m):
            _band(ax, x, result.series[f"exports.{dest}.{m}"], color_of[dest], dest)
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
    if result.kept_replications:
        waits = {f: v for f, v in licence_waits(result).items() if v.size}
        _wait_histogram(hx, waits, limit=statutory_limit_days(result))
    else:
        _style(hx)
        hx.text(
            0.5,
            0.5,
            "waits per run not kept in this result\n(reesim run --keep-replications)",
            ha="center",
            va="center",
            transform=hx.transAxes,
        )
    return fig


def _wait_histogram(
    ax: Axes,
    waits: dict[str, np.ndarray],
    stacked: bool = True,
    limit: tuple[float, str] | None = None,
) -> None:
    """Filing-to-approval waits per firm, against the scenario's statutory `limit` (calendar
    days on the axis, and the limit as written) when it has one."""
    ax.set_xlabel("filing to approval (d; mean per firm and run)")
    ax.set_ylabel("firm-runs")
    _style(ax)
    limit_days = limit[0] if limit is not None else None
    beyond = f"beyond {limit[1]}" if limit is not None else ""
    pooled = np.concatenate(list(waits.values())) if waits else np.array([])
    if pooled.size == 0:
        ax.text(0.5, 0.5, "no licence approved in any run", ha="center", transform=ax.transAxes)
        ax.set_xlim(0, (limit_days or 30.0) * 1.2)
    else:
        top = max(float(pooled.max()), (limit_days or 0.0) * 1.1, 1.0)
        edges = np.linspace(0.0, top, 25)
        colors = palette(len(waits))
        if stacked:
            ax.hist(
                list(waits.values()),
                bins=edges.tolist(),
                stacked=True,
                label=list(waits),
                color=colors,
            )
            if limit_days is not None:
                over = float(np.mean(pooled > limit_days))
                title = f"Licence waits: {over:.0%} {beyond}"
            else:
                title = "Licence waits (no statutory limit)"
        else:
            for (name, v), c in zip(waits.items(), colors, strict=True):
                label = name
                if limit_days is not None:
                    label = f"{name}: {float(np.mean(v > limit_days)):.0%} {beyond}"
                ax.hist(v, bins=edges.tolist(), histtype="step", lw=1.6, label=label, color=c)
            title = f"Licence waits against {limit[1]}" if limit else "Licence waits"
        ax.set_title(wrapped(title, 4.5), loc="left", fontsize=11)
    if limit is not None and limit_days is not None:
        ax.axvline(limit_days, color=STOP_COLOR, lw=1.4, gid=f"mark:{limit[1]}")
        shown = f"{limit[1]} ≈ {limit_days:.0f} d" if limit[1].endswith("wd") else limit[1]
        ax.annotate(
            f"statutory limit {shown}",
            (limit_days, 1.0),
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
    err = np.vstack([_spread(means - lo), _spread(hi - means)])
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
    axes[0, 0].xaxis.set_major_formatter(Thousands())
    axes[0, 1].xaxis.set_major_formatter(Thousands())
    if all(result.kpis[f"firms.{f}.production_lost_units"].summary.p95 == 0 for f in firms):
        # Nothing lost anywhere: a unit scale with a word, not an axis of zeros.
        for ax in axes[0]:
            ax.set_xlim(0, 1)
            ax.set_xticks([0])
        axes[0, 0].text(
            0.5,
            0.5,
            "no production lost in any run",
            transform=axes[0, 0].transAxes,
            ha="center",
            va="center",
            color="0.35",
        )
    axes[0, 0].set_yticks(np.arange(len(firms)), firms)
    axes[0, 0].invert_yaxis()
    fig.suptitle(
        wrapped("Lost production: mean, 95% interval (black), p5–p95 of runs (grey)", 10.5),
        x=0.01,
        ha="left",
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
