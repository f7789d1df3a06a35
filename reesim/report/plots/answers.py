"""Charts of answers: the curve `reesim solve` walked (each target's estimate with its bounds
against the value tried, the threshold and the answer), the cost curve, and scenario discovery's peeling trajectory and
boxes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from reesim.questions.cost import CostSolution
from reesim.questions.prim import Box, Inputs, Trajectory
from reesim.questions.solve import Solution
from reesim.report.plots.common import COLORS, STOP_COLOR, _figure, _style

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def solve_chart(solution: Solution) -> Figure:
    """One panel per target: estimate (dot) and its one-sided bounds (bar) at each value tried,
    the threshold (dashed), the answer (vertical line) and the final bracket (shaded)."""
    targets = solution.targets
    fig, axes = _figure(7.0, 2.6 * len(targets) + 0.6, nrows=len(targets))
    curve = solution.curve
    x = np.array([c.x for c in curve])
    unit = solution.axis.unit
    for i, (t, ax) in enumerate(zip(targets, axes[:, 0], strict=True)):
        est = np.array([c.estimates[i].value for c in curve])
        lo = np.array([c.estimates[i].lower for c in curve])
        hi = np.array([c.estimates[i].upper for c in curve])
        lo = np.where(np.isfinite(lo), lo, est)
        hi = np.where(np.isfinite(hi), hi, est)
        met = np.array([c.verdicts[i] == "met" for c in curve])
        for mask, color, label in (
            (met, COLORS[2], "meets"),
            (~met, STOP_COLOR, "not met (or still open)"),
        ):
            if mask.any():
                ax.errorbar(
                    x[mask],
                    est[mask],
                    yerr=[est[mask] - lo[mask], hi[mask] - est[mask]],
                    fmt="o",
                    color=color,
                    ms=4,
                    capsize=2,
                    label=label,
                    gid=f"curve:{label}",
                )
        ax.axhline(t.threshold, color="0.3", ls="--", lw=1, gid="threshold")
        if solution.bracket is not None:
            ax.axvspan(*solution.bracket, color=COLORS[0], alpha=0.15, lw=0, gid="bracket")
        if solution.answer is not None:
            ax.axvline(solution.answer.x, color=COLORS[0], lw=1.2, gid="answer")
        ax.set_ylabel(f"{t.kpi.rsplit('.', 1)[-1]}.{t.stat}")
        ax.set_title(t.text, fontsize=9, loc="left")
        _style(ax)
        ax.legend(fontsize=8, frameon=False)
    axes[-1, 0].set_xlabel(f"{solution.axis.path}" + (f" ({unit})" if unit else ""))
    return fig


def cost_chart(cost: CostSolution) -> Figure:
    """Mean total cost with its interval at each value, the holding part, and the best value."""
    fig, axes = _figure(7.0, 3.2)
    ax = axes[0, 0]
    x = np.array([p.x for p in cost.points])
    mean = np.array([p.mean for p in cost.points])
    lo = np.array([p.low if math.isfinite(p.low) else p.mean for p in cost.points])
    hi = np.array([p.high if math.isfinite(p.high) else p.mean for p in cost.points])
    holding = np.array(
        [cost.holding_per_kg_day * p.held_kg * cost.horizon_days for p in cost.points]
    )
    ax.fill_between(x, lo, hi, color=COLORS[0], alpha=0.2, lw=0)
    ax.plot(x, mean, "o-", color=COLORS[0], ms=4, label="expected total cost", gid="cost")
    ax.plot(x, holding, "--", color="0.4", lw=1, label="holding", gid="holding")
    ax.axvspan(*cost.near_best, color=COLORS[2], alpha=0.12, lw=0, gid="near-best")
    ax.axvline(cost.best.x, color=COLORS[2], lw=1.2, gid="answer")
    unit = cost.axis.unit
    ax.set_xlabel(cost.axis.path + (f" ({unit})" if unit else ""))
    ax.set_ylabel("cost")
    _style(ax)
    ax.legend(fontsize=8, frameon=False)
    return fig


def trajectory_chart(t: Trajectory) -> Figure:
    """Coverage against density for every box of the peeling trajectory, coloured by the number
    of inputs restricted; the box shown is circled."""
    fig, axes = _figure(5.6, 4.0)
    ax = axes[0, 0]
    cov = np.array([b.coverage for b in t.boxes])
    den = np.array([b.density for b in t.boxes])
    dims = np.array([len(b.restricted) for b in t.boxes])
    points = ax.scatter(cov, den, c=dims, cmap="viridis", s=18, gid="trajectory")
    chosen = t.boxes[t.chosen]
    ax.scatter(
        [chosen.coverage],
        [chosen.density],
        s=120,
        facecolors="none",
        edgecolors=STOP_COLOR,
        gid="chosen",
    )
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    fig.colorbar(points, ax=ax, label="inputs restricted")
    _style(ax)
    return fig


def box_chart(inputs: Inputs, box: Box) -> Figure:
    """Each restricted input as a bar: its box limits inside the sweep's range (scaled to 0..1),
    labelled with the limits and the quasi-p-value."""
    rows = box.restricted
    fig, axes = _figure(7.0, 0.5 * max(1, len(rows)) + 1.0)
    ax = axes[0, 0]
    full = inputs.full_limits()
    for k, i in enumerate(rows):
        limit, whole = box.limits[i], full[i]
        if isinstance(limit, frozenset):
            assert isinstance(whole, frozenset)
            label = ", ".join(sorted(limit))
            lo, hi = 0.0, len(limit) / max(1, len(whole))
        else:
            assert not isinstance(whole, frozenset)
            span = (whole[1] - whole[0]) or 1.0
            lo, hi = (limit[0] - whole[0]) / span, (limit[1] - whole[0]) / span
            label = f"{limit[0]:.4g} .. {limit[1]:.4g}"
        ax.barh(k, 1.0, color="0.9", height=0.6)
        ax.barh(k, hi - lo, left=lo, color=COLORS[0], height=0.6, gid=f"box:{inputs.names[i]}")
        qp = box.qp_values[k]
        ax.text(1.02, k, f"{label}  (qp {qp:.2g})", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [inputs.names[i] for i in rows], fontsize=8)
    ax.set_xlim(0, 1.6)
    ax.set_xticks([0, 0.5, 1], ["min", "", "max"])
    ax.invert_yaxis()
    ax.set_title(f"coverage {box.coverage:.0%}, density {box.density:.0%}", fontsize=9, loc="left")
    _style(ax)
    return fig
