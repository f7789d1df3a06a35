"""A small classification tree (CART: binary splits chosen by Gini impurity), the alternative to
PRIM for scenario discovery.

A tree splits the input space on one input at a time (a threshold for a number, one category
against the rest for a categorical input) so that each side is as pure as possible, down to
`max_depth` levels or leaves of `min_leaf` points. Each leaf is a box, the conjunction of the
splits above it; the leaves where most points meet the condition are the boxes reported, with
the same coverage and density as PRIM's. Trees split the whole space into disjoint boxes and
tend to need more of them; PRIM finds one box at a time and lets the analyst trade coverage for
density. A tree this small (depth 4 by default) needs no library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reesim.questions.prim import Box, Inputs, Limit, describe


@dataclass(frozen=True)
class Split:
    dim: int
    threshold: float | None  # numeric: left is <= threshold
    category: str | None  # categorical: left is == category


def _gini(hits: float, n: float) -> float:
    if n == 0:
        return 0.0
    p = hits / n
    return 2.0 * p * (1.0 - p)


def _best_split(inputs: Inputs, y: np.ndarray, rows: np.ndarray, min_leaf: int) -> Split | None:
    n, hits = int(rows.sum()), float(y[rows].sum())
    best, best_score = None, _gini(hits, n) * n - 1e-12
    for j, (col, cat) in enumerate(zip(inputs.columns, inputs.categorical, strict=True)):
        x, t = col[rows], y[rows].astype(float)
        if cat:
            for c in sorted(set(map(str, x))):
                left = x == c
                nl = int(left.sum())
                if min(nl, n - nl) < min_leaf:
                    continue
                hl = float(t[left].sum())
                score = _gini(hl, nl) * nl + _gini(hits - hl, n - nl) * (n - nl)
                if score < best_score:
                    best, best_score = Split(j, None, c), score
            continue
        order = np.argsort(x, kind="stable")
        xs, ts = x[order].astype(float), np.cumsum(t[order])
        for i in range(min_leaf - 1, n - min_leaf):
            if xs[i] == xs[i + 1]:
                continue
            nl, hl = i + 1, float(ts[i])
            score = _gini(hl, nl) * nl + _gini(hits - hl, n - nl) * (n - nl)
            if score < best_score:
                best, best_score = Split(j, float((xs[i] + xs[i + 1]) / 2.0), None), score
    return best


def tree_boxes(
    inputs: Inputs, y: np.ndarray, max_depth: int = 4, min_leaf: int | None = None
) -> list[Box]:
    """The leaves of the tree where most points meet the condition, as boxes (densest first)."""
    y = np.asarray(y, dtype=bool)
    leaf = min_leaf or max(5, math.ceil(0.05 * inputs.n))
    total = int(y.sum())
    found: list[Box] = []

    def grow(rows: np.ndarray, limits: list[Limit], depth: int) -> None:
        split = None if depth >= max_depth else _best_split(inputs, y, rows, leaf)
        if split is None:
            if rows.any() and y[rows].mean() > 0.5:
                found.append(describe(inputs, y, tuple(limits), np.ones(inputs.n, bool), total))
            return
        col = inputs.columns[split.dim]
        if split.category is not None:
            go_left = col == split.category
            current = limits[split.dim]
            assert isinstance(current, frozenset)
            sides: tuple[tuple[np.ndarray, Limit], ...] = (
                (go_left, frozenset({split.category})),
                (~go_left, current - {split.category}),
            )
        else:
            assert split.threshold is not None
            go_left = col <= split.threshold
            bounds = limits[split.dim]
            assert not isinstance(bounds, frozenset)
            sides = (
                (go_left, (bounds[0], split.threshold)),
                (~go_left, (split.threshold, bounds[1])),
            )
        for mask, limit in sides:
            child = list(limits)
            child[split.dim] = limit
            grow(rows & mask, child, depth + 1)

    grow(np.ones(inputs.n, dtype=bool), list(inputs.full_limits()), 0)
    return sorted(found, key=lambda b: (-b.density, -b.coverage))
