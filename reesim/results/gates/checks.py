"""Gates: where each was written, building them from text and ``--fail-if`` options, binding
them to the results' KPIs and checking them against comparisons."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from reesim.errors import Problem, ScenarioError
from reesim.results.compare import Comparison
from reesim.results.gates.evaluation import Observation, _Undefined, bind, evaluate, observe
from reesim.results.gates.parser import Node, parse
from reesim.results.gates.tokens import GateError

T = TypeVar("T")

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


def parse_options(
    texts: Sequence[str], option: str, parse_one: Callable[[str, Origin], T]
) -> list[T]:
    """Each ``option`` value in the gate language parsed by `parse_one`, located as
    ``option[i]``; ScenarioError lists every malformed one at once, with a caret where it goes
    wrong (``--fail-if``, ``--target``)."""
    found: list[T] = []
    problems: list[Problem] = []
    for i, text in enumerate(texts, start=1):
        origin = Origin(f"{option}[{i}]", inline=True)
        try:
            found.append(parse_one(text, origin))
        except GateError as err:
            problems.append(problem(text, origin, err))
    if problems:
        raise ScenarioError(problems)
    return found


def gates_from_options(expressions: Sequence[str]) -> list[Gate]:
    """Gates from ``--fail-if`` options; ScenarioError lists every malformed one."""
    return parse_options(expressions, "--fail-if", gate_from_text)


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
