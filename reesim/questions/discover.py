"""Scenario discovery on a finished sweep: which regions of input space lead to trouble.

The *condition* is written in the gate language (`reesim.results.gates`) on each design point's
KPI statistics, e.g. ``firms.tesla.stockout_days.mean > 30`` or
``firms.ford.stockout_probability.mean >= 50% and authority.backlog_max.p95 > 20``. It is
evaluated at every point (a point where a KPI it needs is undefined does not meet it), giving
the yes/no outcome that PRIM (`prim`) or a classification tree (`tree`) explains with boxes on
the sweep's factors. Factors written with units (``41.3wd``, ``2.5 t/mo``) are read as numbers
in their unit; any other text (or true/false) is a category.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reesim.errors import ScenarioError
from reesim.questions.prim import Inputs
from reesim.results.gates import (
    Arith,
    Bool,
    Cmp,
    Func,
    GateError,
    Logic,
    Neg,
    Node,
    Not,
    Num,
    Ref,
    Scale,
    bind,
    parse,
)
from reesim.results.gates.checks import Origin, problem
from reesim.results.names import kpi_unit
from reesim.scenario.units import parse_magnitude


@dataclass(frozen=True)
class Outcome:
    condition: str
    met: np.ndarray
    """One bool per point."""


def inputs_from(factors: Sequence[tuple[str, str]], columns: Mapping[str, Sequence[Any]]) -> Inputs:
    """Numeric columns where every value is a number (or a number with one unit), else
    categorical."""
    names, cols, cats = [], [], []
    for name, path in factors:
        values = list(columns[name])
        numeric = _numeric(values)
        names.append(path)
        if numeric is None:
            cols.append(np.asarray([str(v) for v in values], dtype=object))
            cats.append(True)
        else:
            cols.append(numeric)
            cats.append(False)
    return Inputs(tuple(names), tuple(cols), tuple(cats))


def _numeric(values: Sequence[Any]) -> np.ndarray | None:
    out, units = [], set()
    for v in values:
        if isinstance(v, bool) or v is None:
            return None
        try:
            number, unit = parse_magnitude(v)
        except ValueError:
            return None
        out.append(number)
        units.add(unit)
    return np.asarray(out, dtype=float) if len(units) <= 1 else None


def evaluate_condition(
    text: str, kpis: Sequence[str], columns: Mapping[str, Sequence[Any]]
) -> Outcome:
    """The condition at every point; ScenarioError (with a caret) if it is malformed or names a
    KPI or statistic the sweep does not have."""
    origin = Origin("condition", inline=True)
    try:
        node = bind(parse(text), {k: kpi_unit(k) for k in kpis}, text)
        values = _eval(node, columns, text)
    except GateError as err:
        raise ScenarioError([problem(text, origin, err)]) from None
    met = np.asarray(values, dtype=bool)
    return Outcome(text.strip(), met)


_CMP: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _eval(node: Node, columns: Mapping[str, Sequence[Any]], text: str) -> np.ndarray:
    n = len(next(iter(columns.values())))
    if isinstance(node, Num):
        return np.full(n, node.value)
    if isinstance(node, Bool):
        return np.full(n, node.value)
    if isinstance(node, Scale):
        return _eval(node.operand, columns, text) * node.factor
    if isinstance(node, Ref):
        if node.fn != "value":
            raise GateError(
                f"expected KPI statistics in a discovery condition, got {node.fn}(), which "
                "compares scenarios",
                node.start,
            )
        column = f"{node.kpi}.{node.stat}"
        if column not in columns:
            raise GateError(f"expected a statistic the sweep kept, got '{column}'", node.start)
        return np.asarray([math.nan if v is None else float(v) for v in columns[column]])
    if isinstance(node, Neg):
        return -_eval(node.operand, columns, text)
    if isinstance(node, Not):
        return ~_eval(node.operand, columns, text).astype(bool)
    if isinstance(node, Logic):
        left = _eval(node.left, columns, text).astype(bool)
        right = _eval(node.right, columns, text).astype(bool)
        both: np.ndarray = left & right if node.op == "and" else left | right
        return both
    if isinstance(node, Cmp):
        with np.errstate(invalid="ignore"):
            return _CMP[node.op](_eval(node.left, columns, text), _eval(node.right, columns, text))
    if isinstance(node, Arith):
        a, b = _eval(node.left, columns, text), _eval(node.right, columns, text)
        with np.errstate(divide="ignore", invalid="ignore"):
            value: np.ndarray = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[node.op]
            return value
    if isinstance(node, Func):
        args = [_eval(a, columns, text) for a in node.args]
        if node.fn == "abs":
            absolute: np.ndarray = np.abs(args[0])
            return absolute
        stacked = np.vstack(args)
        extreme: np.ndarray = stacked.min(axis=0) if node.fn == "min" else stacked.max(axis=0)
        return extreme
    raise GateError(f"expected a condition, got {text[node.start : node.end]!r}", node.start)
