"""The tree of a gate expression (its nodes) and the recursive-descent parser that builds it."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

from reesim.results.gates.tokens import GateError, Token, tokenize

KPI_FUNCTIONS = ("delta", "rel", "significant", "baseline")
MATH_FUNCTIONS = ("abs", "min", "max")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
MAX_DEPTH = 60
"""Most levels of parentheses, `not`, unary minus and function arguments inside one another."""
MAX_TREE_DEPTH = 100
"""Most operations inside one another in the tree (``1 + 1 + ... + 1`` nests one per ``+``):
binding and evaluating walk the tree recursively, and this keeps them far from Python's
recursion limit."""


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
        self.heights: dict[int, int] = {}  # id(node) -> height of its subtree, leaves 1

    def _tree(self, node: Node, offset: int) -> Node:
        """Record `node`'s height; GateError at `offset` if the tree grows too deep."""
        height = 1 + max((self.heights.get(id(c), 1) for c in _children(node)), default=0)
        if height > MAX_TREE_DEPTH:
            raise GateError(
                f"expected at most {MAX_TREE_DEPTH} operations inside one another, got more "
                "(split the expression into several gates)",
                offset,
            )
        self.heights[id(node)] = height
        return node

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
                offset = self.take().start
                node = self._logic("or", node, self.conjunction(), offset)
            return node
        finally:
            self.depth -= 1

    def conjunction(self) -> Node:
        node = self.negation()
        while self.at("and"):
            offset = self.take().start
            node = self._logic("and", node, self.negation(), offset)
        return node

    def _logic(self, op: str, left: Node, right: Node, offset: int) -> Node:
        for side in (left, right):
            self._condition(side, f"'{op}'")
        return self._tree(Logic(left.start, right.end, op, left, right), offset)

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
            return self._tree(Not(token.start, operand.end, operand), token.start)
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
        return self._tree(Cmp(left.start, right.end, op.text, left, right), op.start)

    # numbers
    def sum(self) -> Node:
        node = self.product()
        while self.at("+", "-"):
            token = self.take()
            node = self._arith(token, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            token = self.take()
            node = self._arith(token, node, self.unary())
        return node

    def _arith(self, op: Token, left: Node, right: Node) -> Node:
        self._numbers(op.text, left, right)
        return self._tree(Arith(left.start, right.end, op.text, left, right), op.start)

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
            return self._tree(Neg(token.start, operand.end, operand), token.start)
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "number":
            self.take()
            value = float(token.text)
            if not math.isfinite(value):  # 1e999 reads as inf: no KPI compares with it usefully
                raise GateError(f"expected a finite number, got {token.text}", token.start)
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
            spanned = _respan(node, token.start, close.end)
            self.heights[id(spanned)] = self.heights.get(id(node), 1)
            return spanned
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
        return self._tree(Func(name.start, close.end, fn, tuple(args)), name.start)

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
