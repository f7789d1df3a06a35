"""Posterior-predictive bands of each observed series against the data it was fitted to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reesim.questions.calibrate import Calibration, Predictive
from reesim.report.plots.common import COLORS, STOP_COLOR, _figure, _style

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def predictive_chart(cal: Calibration, pred: Predictive) -> Figure:
    """One panel per observed name: 90% posterior-predictive band and median at each observed
    date (or for the KPI), the data as dots (filled: fitted; open: held out)."""
    names = list(dict.fromkeys(o.name for o in cal.observations))
    fig, axes = _figure(7.0, 2.4 * len(names) + 0.4, nrows=len(names))
    lo, mid, hi = pred.band()
    for name, ax in zip(names, axes[:, 0], strict=True):
        idx = [i for i, o in enumerate(cal.observations) if o.name == name]
        idx.sort(key=lambda i: cal.observations[i].month)
        x = np.arange(len(idx))
        labels = [cal.observations[i].month or "end" for i in idx]
        ax.fill_between(
            x, lo[idx], hi[idx], color=COLORS[0], alpha=0.22, lw=0, label="90% predictive"
        )
        ax.plot(x, mid[idx], color=COLORS[0], lw=1.2, label="predictive median", gid="median")
        observed = np.array([cal.observations[i].value for i in idx])
        fitted = np.array([cal.fitted[i] for i in idx])
        if fitted.any():
            ax.plot(
                x[fitted],
                observed[fitted],
                "o",
                color="k",
                ms=4,
                label="data (fitted)",
                gid="fitted",
            )
        if (~fitted).any():
            ax.plot(
                x[~fitted],
                observed[~fitted],
                "o",
                mfc="none",
                color=STOP_COLOR,
                ms=5,
                label="data (held out)",
                gid="held-out",
            )
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_title(name, fontsize=9, loc="left")
        _style(ax)
        ax.legend(fontsize=7, frameon=False)
    return fig
