"""What differs between the inputs of runs, parameter by parameter.

A `RunResult` keeps the raw scenario parameters it ran (``inputs``, after ``--set``). They are
flattened to dotted paths, the language of ``--set`` and the timeline (mappings by key, lists by
index: ``authority.outcomes[2].approve``), and only the paths whose values are not the same in
every run are kept.

Two refinements make the list read as a list of parameter changes:

* Timeline events are matched by name, not position, so inserting an event or moving its date
  does not make every later event look changed: ``timeline[Geneva truce].date``, and the keys
  of its ``set`` follow as written (``timeline[Geneva truce].set.authority.outcomes[2].deny``).
  A repeated name is numbered in date order (``name#2``).
* Free text that does not change a run (``name``, ``description``, ``note`` and ``source``
  strings) and the ``uncertainties`` ranges, which only sweeps read, are left out.

A path missing from a run is `ABSENT` there (the schema's default applies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TEXT_KEYS = frozenset({"name", "description", "note", "source"})
SKIPPED_ROOTS = frozenset({"uncertainties"})


class _Absent:
    """Marks a parameter a run does not set."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class _Unknown:
    """Marks every parameter of a run that did not record its inputs (an older result)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class InputChange:
    path: str
    values: tuple[Any, ...]
    """One per run, in the order given; `ABSENT` where a run does not set it, `UNKNOWN` for
    a run without recorded inputs."""


def flatten(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every leaf of a raw scenario document under its dotted path (timeline events by name;
    free text and uncertainties left out)."""
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in SKIPPED_ROOTS or (key in TEXT_KEYS and isinstance(value, str)):
            continue
        if key == "timeline" and isinstance(value, list):
            _timeline(value, out)
        else:
            _leaves(value, key, out)
    return out


def diff_inputs(inputs: Sequence[Mapping[str, Any] | None]) -> list[InputChange]:
    """The parameters whose values are not the same in every run, in first-seen order; a run
    given as None (inputs not recorded) is left out of the judgement."""
    flat = [flatten(i) if i is not None else None for i in inputs]
    paths: dict[str, None] = {}
    for f in flat:
        paths.update(dict.fromkeys(f or ()))
    changes = []
    for path in paths:
        values = tuple(f.get(path, ABSENT) if f is not None else UNKNOWN for f in flat)
        known = [v for v in values if v is not UNKNOWN]
        if any(not _same(v, known[0]) for v in known[1:]):
            changes.append(InputChange(path, values))
    return changes


def _same(a: Any, b: Any) -> bool:
    # 1 and 1.0 are the same number; True and 1 are not the same parameter value.
    return (
        type(a) is type(b)
        and a == b
        or (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and a == b
        )
    )


def _leaves(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            if key in TEXT_KEYS and isinstance(child, str):
                continue
            _leaves(child, f"{path}.{key}", out)
    elif isinstance(value, list) and value:
        for i, child in enumerate(value):
            _leaves(child, f"{path}[{i}]", out)
    else:
        out[path] = value


def _timeline(events: list[Any], out: dict[str, Any]) -> None:
    """Events keyed by name (numbered when repeated, in date order); each field and each
    ``set`` entry a leaf."""
    ordered = sorted(
        (e for e in events if isinstance(e, dict)), key=lambda e: str(e.get("date", ""))
    )
    seen: dict[str, int] = {}
    for event in ordered:
        name = str(event.get("name", "?"))
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}#{seen[name]}"
        at = f"timeline[{label}]"
        for key, value in event.items():
            if key in TEXT_KEYS and isinstance(value, str):
                continue
            if key == "set" and isinstance(value, dict):
                for target, set_value in value.items():
                    _leaves(set_value, f"{at}.set.{target}", out)
            else:
                _leaves(value, f"{at}.{key}", out)
