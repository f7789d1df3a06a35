"""Gates files: YAML with a ``gates`` list of ``{name, fail_if, description}``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from reesim.errors import Problem, ScenarioError
from reesim.results.gates.checks import Gate, Origin, gate_from_text, problem
from reesim.results.gates.tokens import GateError

GATE_KEYS = ("name", "fail_if", "description")


def load_gates(path: str | Path) -> list[Gate]:
    """Gates from a YAML file: a mapping with a ``gates`` list of ``{name, fail_if,
    description}``; ScenarioError with file:line:col for everything wrong in it."""
    from reesim.scenario.yamlsource import read_document

    source = str(path)
    try:
        doc = read_document(path, what="a readable gates file")
    except ScenarioError as err:
        hint = " (write the list under 'gates:')"
        raise ScenarioError(
            [
                replace(p, message=p.message + hint) if p.message.endswith("got a list") else p
                for p in err.problems
            ]
        ) from None
    lines = doc.text.splitlines()
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
