"""Binding a gate's KPI names to the results' units (and percentages to a scale), and
evaluating a bound gate against a comparison."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from reesim.results.compare import Comparison, relative
from reesim.results.gates.parser import (
    Arith,
    Bool,
    Cmp,
    Func,
    Logic,
    Neg,
    Node,
    Not,
    Num,
    Ref,
    Scale,
    is_condition,
    walk,
)
from reesim.results.gates.tokens import GateError
from reesim.results.stats import Summary

STATS = ("mean", "p5", "p50", "p95", "std", "ci_low", "ci_high", "n")
DELTA_STATS = ("mean", "p5", "p50", "p95", "std")

PERCENT = "%lit"
"""The unit of a percentage literal until the side it is compared with decides its scale."""
SHARE = "share"


# --- binding names to the KPIs of the results --------------------------------------------------


def bind(node: Node, units: Mapping[str, str], text: str) -> Node:
    """Resolve KPI names against `units` (KPI name -> unit) and scale percentages; GateError
    for an unknown name, a statistic that does not apply or a percentage against a unit."""
    bound, _ = _bind(node, units, text)
    return bound


def _bind(node: Node, units: Mapping[str, str], text: str) -> tuple[Node, str | None]:
    if isinstance(node, Num):
        return node, PERCENT if node.percent else None
    if isinstance(node, Bool):
        return node, None
    if isinstance(node, Ref):
        ref = _resolve(node, units)
        if ref.fn == "rel":
            return ref, SHARE
        if ref.fn == "significant" or ref.stat == "n":
            return ref, None
        return ref, ref.unit
    if isinstance(node, Neg):
        operand, unit = _bind(node.operand, units, text)
        return replace(node, operand=operand), unit
    if isinstance(node, Not):
        operand, _ = _bind(node.operand, units, text)
        return replace(node, operand=operand), None
    if isinstance(node, Logic):
        left, _ = _bind(node.left, units, text)
        right, _ = _bind(node.right, units, text)
        return replace(node, left=left, right=right), None
    if isinstance(node, Func):
        bound = [_bind(a, units, text) for a in node.args]
        if node.fn == "abs":
            return replace(node, args=(bound[0][0],)), bound[0][1]
        args, unit = _combine(bound, text)
        return replace(node, args=tuple(args)), unit
    if isinstance(node, Arith | Cmp):
        pair = [_bind(node.left, units, text), _bind(node.right, units, text)]
        if isinstance(node, Arith) and node.op in ("*", "/"):
            sides = [_settle(n, u, None, text, n) for n, u in pair]
            return replace(node, left=sides[0][0], right=sides[1][0]), None
        (lnode, rnode), unit = _combine(pair, text)
        return replace(node, left=lnode, right=rnode), (None if isinstance(node, Cmp) else unit)
    raise AssertionError(f"unknown node {node!r}")


def _combine(sides: Sequence[tuple[Node, str | None]], text: str) -> tuple[list[Node], str | None]:
    """Operands that add or compare: percentages take the unit of the others."""
    known = [u for _, u in sides if u not in (None, PERCENT)]
    other = known[0] if known else None
    anchor = next((n for n, u in sides if u not in (None, PERCENT)), sides[0][0])
    nodes = [_settle(n, u, other, text, anchor)[0] for n, u in sides]
    units = {u for u in known}
    return nodes, (units.pop() if len(units) == 1 else None)


def _settle(
    node: Node, unit: str | None, other: str | None, text: str, anchor: Node
) -> tuple[Node, str | None]:
    if unit != PERCENT:
        return node, unit
    if other == "%":
        return Scale(node.start, node.end, node, 1.0), "%"
    if other in (None, SHARE):
        return Scale(node.start, node.end, node, 0.01), SHARE
    quoted = text[anchor.start : anchor.end]
    raise GateError(
        f"expected a plain number to go with {quoted!r} (in {other}), got a percentage: "
        "% goes with rel(...), shares and % KPIs",
        node.start,
    )


def _resolve(ref: Ref, units: Mapping[str, str]) -> Ref:
    name = ref.name
    stat = "mean"
    if name not in units:
        head, _, last = name.rpartition(".")
        if head in units:
            if last not in STATS:
                raise GateError(
                    f"expected a statistic ({', '.join(STATS)}) after '{head}', got '{last}'",
                    ref.name_end - len(last),
                )
            name, stat = head, last
        else:
            wanted = head if last in STATS and head else name
            raise GateError(_unknown(wanted, units), ref.name_start)
    allowed = {"significant": ("mean",), "delta": DELTA_STATS, "rel": DELTA_STATS}.get(
        ref.fn, STATS
    )
    if stat not in allowed:
        if ref.fn == "significant":
            what = "a KPI in significant(), which tests a difference of means"
        else:
            what = f"a KPI or a KPI's {', '.join(DELTA_STATS)} in {ref.fn}()"
        raise GateError(f"expected {what}, got '{ref.name}'", ref.name_end - len(stat))
    return replace(ref, kpi=name, stat=stat, unit=units[name])


def _unknown(name: str, units: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(name, list(units), n=1, cutoff=0.6)
    if not close:
        # A misspelt measure or group: compare the last parts, or the first.
        tail = {k.rsplit(".", 1)[-1]: k for k in units}
        match = difflib.get_close_matches(name.rsplit(".", 1)[-1], list(tail), n=1)
        close = [tail[match[0]]] if match else []
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"expected a KPI name, got '{name}'{hint}"


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """A number a gate looked at, for the report: its text as written and its value."""

    text: str
    fn: str
    """value, baseline, delta, rel or significant."""
    value: float | bool
    unit: str
    """The KPI's unit; ``share`` for rel(), ``""`` for counts of replications."""
    interval: tuple[float, float] | None = None
    """Δ's 95% interval, for delta() and significant() of a mean."""


class _Undefined(Exception):
    pass


def _stat(summary: Summary | None, stat: str) -> float:
    if summary is None:
        return math.nan
    return float(summary.n) if stat == "n" else float(getattr(summary, stat))


def _ref_value(ref: Ref, comparison: Comparison) -> float | bool:
    row = comparison.kpis.get(ref.kpi)
    if row is None:
        return math.nan
    if ref.fn == "value":
        return _stat(row.candidate, ref.stat)
    if ref.fn == "baseline":
        return _stat(row.baseline, ref.stat)
    if ref.fn == "significant":
        if row.diff is None or math.isnan(row.diff.ci_low):
            raise _Undefined(f"significant({ref.name}) has no interval (fewer than 2 pairs?)")
        return row.significant
    if ref.stat == "mean":
        delta = row.diff.delta if row.diff is not None else math.nan
        reference = row.diff.reference if row.diff is not None else math.nan
    else:
        base = _stat(row.baseline, ref.stat)
        delta = _stat(row.candidate, ref.stat) - base
        reference = base
    return delta if ref.fn == "delta" else relative(delta, reference)


def observe(node: Node, comparison: Comparison, text: str) -> tuple[Observation, ...]:
    """Every value the expression refers to, in the order written (each once)."""
    seen: dict[str, Observation] = {}
    deltas = {
        n.kpi for n in walk(node) if isinstance(n, Ref) and n.fn == "delta" and n.stat == "mean"
    }
    for sub in walk(node):
        if not isinstance(sub, Ref):
            continue
        written = text[sub.start : sub.end]
        if written in seen:
            continue
        try:
            value = _ref_value(sub, comparison)
        except _Undefined:
            value = math.nan
        row = comparison.kpis.get(sub.kpi)
        interval = None
        # Δ's interval, shown once: on delta(x), or on significant(x) without delta(x).
        shows_interval = sub.fn == "delta" or (sub.fn == "significant" and sub.kpi not in deltas)
        if shows_interval and sub.stat == "mean" and row is not None and row.diff is not None:
            interval = (row.diff.ci_low, row.diff.ci_high)
        unit = SHARE if sub.fn == "rel" else "" if sub.stat == "n" else sub.unit
        seen[written] = Observation(written, sub.fn, value, unit, interval)
    return tuple(seen.values())


def evaluate(node: Node, comparison: Comparison, text: str) -> bool:
    """The value of a bound condition; raises _Undefined (caught by `check`) when a value it
    needs does not exist."""
    return bool(_Evaluator(comparison, text).eval(node))


class _Evaluator:
    def __init__(self, comparison: Comparison, text: str):
        self.comparison = comparison
        self.text = text

    def eval(self, node: Node) -> float | bool:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Bool):
            return node.value
        if isinstance(node, Ref):
            return _ref_value(node, self.comparison)
        if isinstance(node, Scale):
            value = self.num(node.operand)
            return _unless_overflow(value * node.factor, value)
        if isinstance(node, Neg):
            return -self.num(node.operand)
        if isinstance(node, Func):
            values = [self.num(a) for a in node.args]
            if any(math.isnan(v) for v in values):
                return math.nan
            if node.fn == "abs":
                return abs(values[0])
            return min(values) if node.fn == "min" else max(values)
        if isinstance(node, Arith):
            a, b = self.num(node.left), self.num(node.right)
            if node.op == "+":
                out = a + b
            elif node.op == "-":
                out = a - b
            elif node.op == "*":
                out = a * b
            else:
                out = a / b if b != 0 else math.nan
            return _unless_overflow(out, a, b)
        if isinstance(node, Not):
            return not self.eval(node.operand)
        if isinstance(node, Logic):
            left = bool(self.eval(node.left))
            if node.op == "and":
                return left and bool(self.eval(node.right))
            return left or bool(self.eval(node.right))
        if isinstance(node, Cmp):
            if is_condition(node.left):
                a_bool, b_bool = bool(self.eval(node.left)), bool(self.eval(node.right))
                return (a_bool == b_bool) if node.op == "==" else (a_bool != b_bool)
            a, b = self.num(node.left), self.num(node.right)
            for side, v in ((node.left, a), (node.right, b)):
                if math.isnan(v):
                    raise _Undefined(f"{self.text[side.start : side.end]} has no value")
            return _COMPARE[node.op](a, b)
        raise AssertionError(f"unknown node {node!r}")

    def num(self, node: Node) -> float:
        value = self.eval(node)
        return float(value)


def _unless_overflow(result: float, *operands: float) -> float:
    """`result`, or NaN when finite operands overflowed (1e308 * 10): such a result has no value
    to compare, as a division by zero has none. An infinite operand (rel() from 0) stays
    infinite."""
    if not math.isfinite(result) and all(math.isfinite(x) for x in operands):
        return math.nan
    return result


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
