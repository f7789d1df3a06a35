"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), for scenario discovery.

Given input points (the factors of a sweep) and a yes/no outcome per point (a condition on its
outputs), PRIM finds a *box*, a range on some inputs, where the outcome is much more frequent
than overall. It starts from the box holding every point and *peels*: at each step it tries
removing the lowest or the highest `alpha` share of the points still in the box along one input
(or one category of a categorical input), and keeps the peel that raises the share of yes most
per point removed (EMA Workbench's default, "lenient1": patient, since a category holding a
third of the points is not peeled just because it raises the share a little more than a 5%
slice). The boxes it passes through form the *peeling trajectory*, a trade-off between

- coverage: the share of all yes points that lie in the box (how much of the trouble it explains),
- density: the share of points in the box that are yes (how reliably the box means trouble),

with the box's mass (share of all points inside) and the number of inputs it restricts. A box
early on the trajectory covers much and is impure; a late one is pure and covers little. The
analyst picks one; `default_choice` picks the box with the largest coverage x density.

For each input a box restricts, the *quasi-p-value* (as in EMA Workbench) is a one-sided
binomial test of whether the restriction matters: the chance of seeing at least the box's yes
count among its points if yes had the density of the box with that restriction lifted. A large
value says the restriction could be dropped.

Covering: after one box is chosen, its points are set aside and PRIM runs again on the rest for
the next box (`boxes`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Limit = tuple[float, float] | frozenset[str]
"""A numeric input's [low, high] or a categorical input's allowed values."""


@dataclass(frozen=True)
class Inputs:
    """The points' inputs: one column per factor, numeric (floats) or categorical (strings)."""

    names: tuple[str, ...]
    columns: tuple[np.ndarray, ...]
    categorical: tuple[bool, ...]

    @property
    def n(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def full_limits(self) -> tuple[Limit, ...]:
        return tuple(
            frozenset(map(str, col)) if cat else (float(np.min(col)), float(np.max(col)))
            for col, cat in zip(self.columns, self.categorical, strict=True)
        )

    def inside(self, limits: Sequence[Limit]) -> np.ndarray:
        mask = np.ones(self.n, dtype=bool)
        for col, limit in zip(self.columns, limits, strict=True):
            if isinstance(limit, frozenset):
                mask &= np.isin(col, list(limit))
            else:
                mask &= (col >= limit[0]) & (col <= limit[1])
        return mask


@dataclass(frozen=True)
class Box:
    """A box and how well it captures the outcome."""

    limits: tuple[Limit, ...]
    coverage: float
    density: float
    mass: float
    points: int
    hits: int
    restricted: tuple[int, ...]
    """Indices of the inputs it restricts (tighter than the points it was found among)."""
    qp_values: tuple[float, ...]
    """Quasi-p-value of each restricted input, in the order of `restricted`."""


@dataclass(frozen=True)
class Trajectory:
    boxes: tuple[Box, ...]
    """From the box holding every point to the last peel."""
    chosen: int
    base_density: float
    """Share of yes among the points PRIM ran on."""


def describe(
    inputs: Inputs, y: np.ndarray, limits: tuple[Limit, ...], among: np.ndarray, total_hits: int
) -> Box:
    """`limits` measured on the points in `among` (coverage against `total_hits`)."""
    from scipy.stats import binom

    inside = among & inputs.inside(limits)
    points, hits = int(inside.sum()), int(y[inside].sum())
    full = tuple(
        frozenset(map(str, col[among]))
        if cat
        else (float(np.min(col[among])), float(np.max(col[among])))
        for col, cat in zip(inputs.columns, inputs.categorical, strict=True)
    )
    restricted = tuple(
        i for i, (a, b) in enumerate(zip(limits, full, strict=True)) if _tighter(a, b)
    )
    qps = []
    for i in restricted:
        lifted = list(limits)
        lifted[i] = full[i]
        wider = among & inputs.inside(lifted)
        p0 = float(y[wider].mean()) if wider.any() else 0.0
        qps.append(float(binom.sf(hits - 1, points, p0)) if points else math.nan)
    return Box(
        limits,
        hits / total_hits if total_hits else math.nan,
        hits / points if points else math.nan,
        points / inputs.n,
        points,
        hits,
        restricted,
        tuple(qps),
    )


def _tighter(limit: Limit, full: Limit) -> bool:
    if isinstance(limit, frozenset):
        return isinstance(full, frozenset) and limit < full
    assert not isinstance(full, frozenset)
    return limit[0] > full[0] or limit[1] < full[1]


def peel(
    inputs: Inputs,
    y: np.ndarray,
    among: np.ndarray | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
) -> Trajectory:
    """The peeling trajectory on the points in `among` (default: all)."""
    among = np.ones(inputs.n, dtype=bool) if among is None else among
    y = np.asarray(y, dtype=bool)
    total_hits = int(y[among].sum())
    limits: list[Limit] = [
        frozenset(map(str, col[among]))
        if cat
        else (float(np.min(col[among])), float(np.max(col[among])))
        for col, cat in zip(inputs.columns, inputs.categorical, strict=True)
    ]
    in_box = among.copy()
    boxes = [describe(inputs, y, tuple(limits), among, total_hits)]
    floor = max(1, math.ceil(min_mass * int(among.sum())))
    while True:
        # (gain in density per point removed, density, dim, limit)
        best: tuple[float, float, int, Limit] | None = None
        size, density = int(in_box.sum()), float(y[in_box].mean())
        for j, (col, cat) in enumerate(zip(inputs.columns, inputs.categorical, strict=True)):
            for limit in _candidates(col[in_box], limits[j], cat, alpha):
                keep = in_box & _within(col, limit)
                kept = int(keep.sum())
                if kept < floor or kept == size:
                    continue
                new = float(y[keep].mean())
                key = ((new - density) / (size - kept), new, j, limit)
                if best is None or key[:2] > best[:2]:
                    best = key
        if best is None or best[1] <= density:
            break
        _, _, j, limit = best
        limits[j] = limit
        in_box &= _within(inputs.columns[j], limit)
        boxes.append(describe(inputs, y, tuple(limits), among, total_hits))
    chosen = default_choice(boxes)
    return Trajectory(tuple(boxes), chosen, total_hits / max(1, int(among.sum())))


def _candidates(values: np.ndarray, limit: Limit, categorical: bool, alpha: float) -> list[Limit]:
    if categorical:
        assert isinstance(limit, frozenset)
        present = set(map(str, values))
        return [limit - {c} for c in sorted(present)] if len(present) > 1 else []
    assert not isinstance(limit, frozenset)
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    out: list[Limit] = []
    if low > limit[0]:
        out.append((float(low), limit[1]))
    if high < limit[1]:
        out.append((limit[0], float(high)))
    return out


def _within(col: np.ndarray, limit: Limit) -> np.ndarray:
    if isinstance(limit, frozenset):
        return np.isin(col, list(limit))
    return (col >= limit[0]) & (col <= limit[1])


def default_choice(boxes: Sequence[Box]) -> int:
    """The box with the largest coverage x density (the first on ties)."""
    scores = [b.coverage * b.density if not math.isnan(b.density) else -1.0 for b in boxes]
    return int(np.argmax(scores))


def covering(
    inputs: Inputs, y: np.ndarray, boxes: int = 1, alpha: float = 0.05, min_mass: float = 0.05
) -> list[Trajectory]:
    """Up to `boxes` trajectories: each on the points the boxes chosen before leave out; stops
    when no yes point is left or a box is no denser than the points it was found among."""
    among = np.ones(inputs.n, dtype=bool)
    out: list[Trajectory] = []
    for _ in range(boxes):
        if not np.asarray(y, dtype=bool)[among].any():
            break
        t = peel(inputs, y, among, alpha, min_mass)
        chosen = t.boxes[t.chosen]
        if out and chosen.density <= t.base_density:
            break
        out.append(t)
        among &= ~inputs.inside(chosen.limits)
    return out


def limit_text(limit: Limit, fmt: Any = "{:.4g}".format) -> str:
    if isinstance(limit, frozenset):
        return "{" + ", ".join(sorted(limit)) + "}"
    return f"{fmt(limit[0])} .. {fmt(limit[1])}"
