"""Gates: small, safe expressions that fail a comparison, for CI.

A gate is an expression that is *true when something is wrong*: ``fail_if``. It is read by its
own tokenizer and recursive-descent parser into a tree that only this module evaluates; nothing
is ever handed to Python's ``eval``. Grammar (lowest precedence first)::

    expr     := and ('or' and)*
    and      := not ('and' not)*
    not      := 'not' not | compare
    compare  := sum [('<' | '<=' | '>' | '>=' | '==' | '!=') sum]     (no chains: a < b < c)
    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/') unary)*
    unary    := '-' unary | primary
    primary  := NUMBER ['%'] | 'true' | 'false' | '(' expr ')' | KPI | FUNC '(' args ')'

Values, for each candidate scenario against the baseline (the first scenario):

``firms.tesla.stockout_days.mean``
    a statistic of the candidate's KPI: ``mean`` (the default when omitted), ``p5``, ``p50``,
    ``p95``, ``std``, ``ci_low``, ``ci_high`` or ``n``. ``firms.ford.stockout_probability`` is a
    KPI itself, a share between 0 and 1, so ``firms.ford.stockout_probability.mean`` (or just the
    name) is the probability of a stockout.
``baseline(KPI[.stat])``
    the same statistic of the baseline.
``delta(KPI)``
    Δ = candidate - baseline, as in the comparison table (paired when the runs are). With a
    statistic, ``delta(KPI.p95)``, the difference of that statistic.
``rel(KPI)``
    the relative change Δ / |baseline|, **as a fraction**: ``rel(x) > 5%`` and ``rel(x) > 0.05``
    are the same gate.
``significant(KPI)``
    true when Δ's 95% interval excludes 0 (or its Holm-adjusted p-value is below 0.05 with
    ``--adjust holm``).
``abs(x)``, ``min(x, y, ...)``, ``max(x, y, ...)``; ``+ - * /``; numbers like ``2``, ``0.5``,
``1e3`` and percentages like ``5%``.

A percentage is read against what it is compared with: against a KPI in percent (``*_pct``) it
is percentage points (``delta(firms.ford.production_lost_pct) > 2%`` means 2 points); against
``rel(...)``, a share KPI or a plain number it is a fraction (5% = 0.05); against a KPI in days,
kg or counts it is an error rather than a silent misreading. So absolute tolerances read
``abs(delta(x)) <= 0.5`` and relative ones ``abs(rel(x)) <= 5%`` or
``abs(delta(x)) <= 5% * baseline(x)``.

KPI names containing characters other than letters, digits and ``_`` are written in backticks:
```firms.eu-supplier.stockout_days`.mean``.

A gate that cannot be evaluated because a value it needs does not exist (a KPI that applies in
no replication, significant() with fewer than two pairs, a division by 0) fails, with the
reason: a gate never passes by not looking. ``and`` and ``or`` evaluate only what they need, so
``firms.x.first_stockout_day.n > 0 and firms.x.first_stockout_day.mean < 60`` is safe. ``rel``
of a change from a baseline of 0 is +inf or -inf, so ``rel(x) > 10%`` holds for any increase
from 0.

Errors are `GateError`s carrying the offset in the expression; `caret` draws where.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reesim.errors import Problem, ScenarioError
from reesim.results.compare import Comparison, relative
from reesim.results.stats import Summary

STATS = ("mean", "p5", "p50", "p95", "std", "ci_low", "ci_high", "n")
DELTA_STATS = ("mean", "p5", "p50", "p95", "std")
KPI_FUNCTIONS = ("delta", "rel", "significant", "baseline")
MATH_FUNCTIONS = ("abs", "min", "max")
KEYWORDS = ("and", "or", "not", "true", "false")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
MAX_DEPTH = 60
MAX_LENGTH = 2000

PERCENT = "%lit"
"""The unit of a percentage literal until the side it is compared with decides its scale."""
SHARE = "share"


class GateError(ValueError):
    """A malformed gate expression; `offset` is 0-based in the expression text."""

    def __init__(self, message: str, offset: int):
        self.message = message
        self.offset = offset
        super().__init__(message)


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, op, keyword, end
    text: str
    start: int
    end: int
    value: str = ""
    """A name's text without backticks."""


_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_OPS = ("<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", ",", "%")
_MISTAKES = {
    "&&": "and",
    "||": "or",
    "=": "==",
    "!": "not",
    "&": "and",
    "|": "or",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
}


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise GateError(f"expected an expression of at most {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m:
            if m.end() < len(text) and (text[m.end()].isalpha() or text[m.end()] == "_"):
                got = _NAME.match(text, m.end())
                suffix = got.group() if got else text[m.end()]
                raise GateError(
                    "expected a number without a unit (gates compare in the KPI's own unit), "
                    f"got {m.group() + suffix!r}",
                    i,
                )
            tokens.append(Token("number", m.group(), i, m.end()))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            word = m.group()
            if m.end() < len(text) and text[m.end()] == ".":
                raise GateError(
                    f"expected a name after '.', got {_describe_at(text, m.end() + 1)}", m.end()
                )
            kind = "keyword" if word in KEYWORDS else "name"
            tokens.append(Token(kind, word, i, m.end(), word))
            i = m.end()
            continue
        if ch == "`":
            close = text.find("`", i + 1)
            if close < 0:
                raise GateError("expected a closing '`' for the quoted name", i)
            name = text[i + 1 : close]
            if not name.strip():
                raise GateError("expected a KPI name between the backticks, got nothing", i)
            end = close + 1
            stat = re.compile(r"\.[A-Za-z0-9_]+").match(text, end)  # `name`.p95
            if stat:
                name, end = name + stat.group(), stat.end()
            tokens.append(Token("name", text[i:end], i, end, name))
            i = end
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
            continue
        bad = next(
            (b for b in sorted(_MISTAKES, key=len, reverse=True) if text.startswith(b, i)), None
        )
        if bad is not None:
            raise GateError(f"expected '{_MISTAKES[bad]}', got {bad!r}", i)
        raise GateError(f"expected an operator, a number or a name, got {ch!r}", i)
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _describe_at(text: str, i: int) -> str:
    return repr(text[i]) if i < len(text) else "the end of the expression"


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Num(Node):
    value: float
    percent: bool = False


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Ref(Node):
    """A value taken from the comparison: `fn` is value, baseline, delta, rel or significant."""

    fn: str
    name: str
    name_start: int
    name_end: int = 0
    """Where the name's last segment ends (before a closing backtick)."""
    kpi: str = ""
    stat: str = "mean"
    unit: str = ""


@dataclass(frozen=True)
class Func(Node):
    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Scale(Node):
    """A percentage literal's side, scaled once its unit is known (x 0.01 or x 1)."""

    operand: Node
    factor: float


@dataclass(frozen=True)
class Cmp(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logic(Node):
    op: str  # and, or
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


def is_condition(node: Node) -> bool:
    if isinstance(node, Ref):
        return node.fn == "significant"
    return isinstance(node, Bool | Cmp | Logic | Not)


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in _children(node):
        yield from walk(child)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Func):
        return node.args
    if isinstance(node, Neg | Not | Scale):
        return (node.operand,)
    if isinstance(node, Arith | Cmp | Logic):
        return (node.left, node.right)
    return ()


# --- parsing ----------------------------------------------------------------------------------


def parse(text: str) -> Node:
    """The tree of a gate expression, which must be a condition; GateError if malformed."""
    parser = _Parser(text, tokenize(text))
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        if token.text == ")":
            raise GateError("expected the end of the expression, got an unmatched ')'", token.start)
        if token.text in COMPARISONS:
            raise GateError(
                f"expected 'and' or 'or' between comparisons, got {token.text!r} "
                "(write 'a < b and b < c')",
                token.start,
            )
        raise GateError(
            f"expected an operator or the end of the expression, got {parser.describe(token)}",
            token.start,
        )
    if not is_condition(node):
        raise GateError(
            "expected a condition such as 'delta(x) > 2' (true when the gate fails), "
            f"got a number: {text[node.start : node.end]!r}",
            node.start,
        )
    return node


class _Parser:
    def __init__(self, text: str, tokens: list[Token]):
        self.text = text
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind in ("op", "keyword") and token.text in texts

    def describe(self, token: Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    def expect(self, text: str, what: str = "") -> Token:
        token = self.peek()
        if not self.at(text):
            raise GateError(
                f"expected {what or repr(text)}, got {self.describe(token)}", token.start
            )
        return self.take()

    def _nest(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise GateError(f"expected at most {MAX_DEPTH} levels of nesting", offset)

    # conditions
    def expression(self) -> Node:
        self._nest(self.peek().start)
        try:
            node = self.conjunction()
            while self.at("or"):
                self.take()
                node = self._logic("or", node, self.conjunction())
            return node
        finally:
            self.depth -= 1

    def conjunction(self) -> Node:
        node = self.negation()
        while self.at("and"):
            self.take()
            node = self._logic("and", node, self.negation())
        return node

    def _logic(self, op: str, left: Node, right: Node) -> Node:
        for side in (left, right):
            self._condition(side, f"'{op}'")
        return Logic(left.start, right.end, op, left, right)

    def _condition(self, node: Node, where: str) -> None:
        if not is_condition(node):
            raise GateError(
                f"expected a condition (a comparison, significant(...), true or false) "
                f"with {where}, got a number: {self.text[node.start : node.end]!r}",
                node.start,
            )

    def negation(self) -> Node:
        if self.at("not"):
            token = self.take()
            self._nest(token.start)
            try:
                operand = self.negation()
            finally:
                self.depth -= 1
            self._condition(operand, "'not'")
            return Not(token.start, operand.end, operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        if not self.at(*COMPARISONS):
            return left
        op = self.take()
        right = self.sum()
        if is_condition(left) != is_condition(right) or (
            is_condition(left) and op.text not in ("==", "!=")
        ):
            bad = left if is_condition(left) else right
            raise GateError(
                f"expected a number on each side of {op.text!r}, got a condition: "
                f"{self.text[bad.start : bad.end]!r}",
                bad.start,
            )
        return Cmp(left.start, right.end, op.text, left, right)

    # numbers
    def sum(self) -> Node:
        node = self.product()
        while self.at("+", "-"):
            op = self.take().text
            node = self._arith(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.take().text
            node = self._arith(op, node, self.unary())
        return node

    def _arith(self, op: str, left: Node, right: Node) -> Node:
        self._numbers(op, left, right)
        return Arith(left.start, right.end, op, left, right)

    def _numbers(self, op: str, *nodes: Node) -> None:
        for node in nodes:
            if is_condition(node):
                raise GateError(
                    f"expected a number with {op!r}, got a condition: "
                    f"{self.text[node.start : node.end]!r}",
                    node.start,
                )

    def unary(self) -> Node:
        if self.at("-"):
            token = self.take()
            self._nest(token.start)
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            self._numbers("-", operand)
            return Neg(token.start, operand.end, operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "number":
            self.take()
            value = float(token.text)
            if self.at("%"):
                pct = self.take()
                return Num(token.start, pct.end, value, percent=True)
            return Num(token.start, token.end, value)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.take()
            return Bool(token.start, token.end, token.text == "true")
        if self.at("("):
            self.take()
            node = self.expression()
            close = self.expect(")", "')' to close the '(' at column " + str(token.start + 1))
            return _respan(node, token.start, close.end)
        if token.kind == "name":
            self.take()
            if self.at("("):
                return self.call(token)
            return Ref(token.start, token.end, "value", token.value, token.start, _name_end(token))
        if token.text == "%":
            raise GateError("expected a number before '%', got nothing", token.start)
        raise GateError(
            f"expected a number, a KPI name or '(', got {self.describe(token)}", token.start
        )

    def call(self, name: Token) -> Node:
        fn = name.value
        known = KPI_FUNCTIONS + MATH_FUNCTIONS
        if fn not in known:
            hint = difflib.get_close_matches(fn, known, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise GateError(
                f"expected a function ({', '.join(known)}), got {fn!r}{did}", name.start
            )
        self.expect("(")
        if fn in KPI_FUNCTIONS:
            arg = self.peek()
            if arg.kind != "name":
                raise GateError(
                    f"expected a KPI name, got {self.describe(arg)}",
                    arg.start,
                )
            self.take()
            close = self.expect(")", f"')' after the KPI name in {fn}()")
            return Ref(name.start, close.end, fn, arg.value, arg.start, _name_end(arg))
        args = [self.sum_argument(fn)]
        while self.at(","):
            self.take()
            args.append(self.sum_argument(fn))
        close = self.expect(")", "',' or ')'" if fn != "abs" else "')'")
        if fn == "abs" and len(args) != 1:
            raise GateError(f"expected one argument to abs(), got {len(args)}", name.start)
        if fn != "abs" and len(args) < 2:
            raise GateError(f"expected at least two arguments to {fn}(), got 1", name.start)
        return Func(name.start, close.end, fn, tuple(args))

    def sum_argument(self, fn: str) -> Node:
        self._nest(self.peek().start)
        try:
            node = self.sum()
        finally:
            self.depth -= 1
        self._numbers(f"{fn}()", node)
        return node


def _name_end(token: Token) -> int:
    return token.end - 1 if token.text.endswith("`") else token.end


def _respan(node: Node, start: int, end: int) -> Node:
    """A parenthesised node spans its parentheses, so messages quote them too."""
    return replace(node, start=start, end=end)


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
            return self.num(node.operand) * node.factor
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
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "*":
                return a * b
            return a / b if b != 0 else math.nan
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


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


# --- gates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a gate's expression was written.

    ``inline``: the source is the expression itself (``--fail-if[1]``), so positions are
    line:col within it. Otherwise (line, col) is where the expression starts in a file, and
    `exact` says whether offsets map to columns on that line (a one-line expression found as
    written); when not, errors point at the start of the value and the caret shows the place.
    """

    source: str
    line: int = 1
    col: int = 1
    exact: bool = True
    inline: bool = False

    def locate(self, text: str, offset: int) -> tuple[int, int]:
        if self.inline:
            before = text[:offset]
            return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
        if self.exact:
            return self.line, self.col + offset
        return self.line, self.col


@dataclass(frozen=True)
class Gate:
    name: str
    fail_if: str
    node: Node
    origin: Origin
    description: str = ""


@dataclass(frozen=True)
class GateOutcome:
    gate: Gate
    baseline: str
    candidate: str
    failed: bool
    observations: tuple[Observation, ...]
    reason: str = ""
    """Why the gate could not be evaluated (it then counts as failed)."""

    @property
    def status(self) -> str:
        return "undefined" if self.reason else "fail" if self.failed else "pass"


def caret(text: str, offset: int, indent: str = "    ") -> str:
    """The expression's line with a caret under `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)]
    return f"{indent}{line}\n{indent}{' ' * (offset - start)}^"


def problem(gate_text: str, origin: Origin, err: GateError) -> Problem:
    line, col = origin.locate(gate_text, err.offset)
    return Problem(origin.source, line, col, "", f"{err.message}\n{caret(gate_text, err.offset)}")


def gate_from_text(text: str, origin: Origin, name: str = "", description: str = "") -> Gate:
    """Parse one gate; GateError if malformed."""
    return Gate(name or text.strip(), text, parse(text), origin, description)


def gates_from_options(expressions: Sequence[str]) -> list[Gate]:
    """Gates from ``--fail-if`` options; ScenarioError lists every malformed one."""
    gates, problems = [], []
    for i, text in enumerate(expressions, start=1):
        origin = Origin(f"--fail-if[{i}]", inline=True)
        try:
            gates.append(gate_from_text(text, origin))
        except GateError as err:
            problems.append(problem(text, origin, err))
    if problems:
        raise ScenarioError(problems)
    return gates


GATE_KEYS = ("name", "fail_if", "description")


def load_gates(path: str | Path) -> list[Gate]:
    """Gates from a YAML file: a mapping with a ``gates`` list of ``{name, fail_if,
    description}``; ScenarioError with file:line:col for everything wrong in it."""
    from reesim.scenario.yamlsource import read_document

    source = str(path)
    file = Path(path)
    if not file.is_file():
        got = "a directory" if file.is_dir() else "no such file"
        raise ScenarioError(
            [Problem(source, 0, 0, "", f"expected a readable gates file, got {got}")]
        )
    try:
        doc = read_document(path)
    except ScenarioError as err:
        hint = " (write the list under 'gates:')"
        raise ScenarioError(
            [
                replace(p, message=p.message + hint) if p.message.endswith("got a list") else p
                for p in err.problems
            ]
        ) from None
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    problems: list[Problem] = []

    def at(key: tuple[str | int, ...], message: str, keyed: bool = False) -> None:
        mark = (doc.key_marks.get(key) if keyed else None) or doc.mark_for(key)
        problems.append(
            Problem(source, mark.line if mark else 0, mark.col if mark else 0, "", message)
        )

    for extra in doc.data:
        if extra != "gates":
            at((extra,), f"expected the key 'gates', got {extra!r}", keyed=True)
    items = doc.data.get("gates")
    if not isinstance(items, list) or not items:
        got = "nothing" if items is None else "an empty list" if items == [] else _kind(items)
        at(("gates",), f"expected a list of gates ({{name, fail_if, description}}), got {got}")
        raise ScenarioError(problems)
    gates: list[Gate] = []
    names: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            at(
                ("gates", i),
                f"expected a mapping with name, fail_if and description, got {_kind(item)}",
            )
            continue
        for key in item:
            if key not in GATE_KEYS:
                at(("gates", i, key), f"expected one of {', '.join(GATE_KEYS)}, got {key!r}", True)
        values: dict[str, str] = {}
        for key in GATE_KEYS:
            value = item.get(key)
            if value is None and key != "fail_if":
                continue
            if not isinstance(value, str) or not value.strip():
                what = "an expression such as 'delta(x) > 2'" if key == "fail_if" else "text"
                got = "nothing" if value is None else _kind(value)
                at(
                    ("gates", i, key) if key in item else ("gates", i),
                    f"expected {what} for {key}, got {got}",
                )
                continue
            values[key] = value
        name = values.get("name", "")
        if name in names:
            at(
                ("gates", i, "name"),
                f"expected each gate name once, got {name!r} again (first in gate {names[name] + 1})",
            )
        if name:
            names.setdefault(name, i)
        if "fail_if" not in values:
            continue
        text = values["fail_if"]
        mark = doc.marks.get(("gates", i, "fail_if"))
        origin = _origin(source, lines, mark.line if mark else 0, mark.col if mark else 0, text)
        try:
            gates.append(gate_from_text(text, origin, name, values.get("description", "")))
        except GateError as err:
            problems.append(problem(text, origin, err))
    if problems:
        raise ScenarioError(problems)
    return gates


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _origin(source: str, lines: Sequence[str], line: int, col: int, text: str) -> Origin:
    """Where `text` starts in the file, given where its YAML value starts. A one-line
    expression found as written (plain, quoted or a block scalar) maps offsets to columns
    exactly; a longer one gives the position of its first character."""
    body = text.strip()
    first = body.split("\n")[0]
    lead = len(text) - len(text.lstrip())
    for number in range(max(line, 1), min(line + 3, len(lines) + 1)):
        src = lines[number - 1]
        start = col - 1 if number == line else 0
        found = src.find(first, start)
        if first and found >= 0:
            return Origin(source, number, found + 1, exact=first == body and lead == 0)
        content = src[start:].strip()
        if content and body.startswith(content):  # the first line of a folded expression
            return Origin(source, number, src.index(content, start) + 1, exact=False)
    return Origin(source, line, col, exact=False)


def bind_gates(gates: Sequence[Gate], units: Mapping[str, str]) -> list[Gate]:
    """Gates with their KPI names resolved; ScenarioError lists every name that is not a KPI
    of the results (with a suggestion) and every misplaced percentage."""
    bound, problems = [], []
    for gate in gates:
        try:
            bound.append(replace(gate, node=bind(gate.node, units, gate.fail_if)))
        except GateError as err:
            problems.append(problem(gate.fail_if, gate.origin, err))
    if problems:
        raise ScenarioError(problems)
    return bound


def check(gate: Gate, comparison: Comparison) -> GateOutcome:
    """Evaluate a bound gate on one comparison (candidate against baseline)."""
    observations = observe(gate.node, comparison, gate.fail_if)
    try:
        failed = evaluate(gate.node, comparison, gate.fail_if)
    except _Undefined as why:
        return GateOutcome(
            gate, comparison.baseline, comparison.candidate, True, observations, str(why)
        )
    return GateOutcome(gate, comparison.baseline, comparison.candidate, failed, observations)


@dataclass(frozen=True)
class GateReport:
    outcomes: tuple[GateOutcome, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[GateOutcome, ...]:
        return tuple(o for o in self.outcomes if o.failed)


def check_all(gates: Sequence[Gate], comparisons: Sequence[Comparison]) -> GateReport:
    """Each gate against each candidate, gate by gate."""
    return GateReport(tuple(check(g, c) for g in gates for c in comparisons))
