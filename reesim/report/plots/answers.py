"""Charts of answers: the curve `reesim solve` walked (each target's estimate with its bounds
against the value tried, the threshold and the answer) and the cost curve."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from reesim.questions.cost import CostSolution
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
