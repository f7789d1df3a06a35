"""The dotted-path language: one way to name any parameter of a scenario.

``authority.review.time.mean``, ``firms.tesla.stockpile.ndfeb_magnet`` and
``authority.outcomes[0].approve`` name a value inside the scenario document. Timeline events,
``--set``, sweep factors and comparison gates all use these paths; they act on the raw document
(plain dicts and lists as read from YAML), which the schema then validates, so a path can reach
anything a scenario file can write and nothing it cannot.
"""

from __future__ import annotations

from typing import Any

from reesim.scenario.dotted import Key, dotted, parse_dotted
from reesim.scenario.yamlsource import parse_scalar

__all__ = [
    "Key",
    "PathError",
    "dotted",
    "get_path",
    "new_entry",
    "parse_assignment",
    "parse_dotted",
    "set_path",
]


class PathError(ValueError):
    """A path that does not lead anywhere in the document; `key` is the path up to and
    including the step that found nothing."""

    def __init__(self, message: str, key: Key = ()):
        super().__init__(message)
        self.key = key


def get_path(data: Any, key: Key) -> Any:
    """The value at `key`; PathError if any step is missing."""
    node = data
    for depth, step in enumerate(key):
        node = _child(node, step, key[: depth + 1])
    return node


def set_path(data: Any, key: Key, value: Any) -> Any:
    """A copy of `data` with `value` at `key`; the input is left untouched.

    Missing mapping keys along the way are created (the schema then judges whether they are
    allowed); list indices must exist.
    """
    return _set(data, key, value, ())


def _set(data: Any, key: Key, value: Any, parent: Key) -> Any:
    if not key:
        return value
    step, rest = key[0], key[1:]
    here = (*parent, step)
    if isinstance(step, int):
        if not isinstance(data, list) or not -len(data) <= step < len(data):
            raise PathError(_no_such(step, data, parent), here)
        copy = list(data)
        copy[step] = _set(copy[step], rest, value, here)
        return copy
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PathError(f"expected a mapping to hold '{step}', got {_kind(data)}", here)
    copy_map = dict(data)
    copy_map[step] = _set(copy_map.get(step), rest, value, here)
    return copy_map


def new_entry(data: Any, key: Key) -> tuple[Key, str] | None:
    """Where `set_path(data, key, ...)` would create a mapping entry on the way to its target,
    and how to say that the path expected an existing one: ``firms.tesl.stockpile.x`` creates
    ``firms.tesl``. None when every intermediate step exists (or the path ends at the new key).

    Creating an entry is allowed (the schema judges it); this is for the message when the schema
    then finds the new entry incomplete, which almost always means a mistyped name."""
    node = data
    for depth, step in enumerate(key[:-1]):
        if isinstance(step, int) or not isinstance(node, dict):
            if isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node):
                node = node[step]
                continue
            return None
        if step not in node:
            return key[: depth + 1], _no_such(step, node, key[:depth])
        node = node[step]
    return None


def parse_assignment(text: str) -> tuple[Key, Any, int]:
    """Split ``path=value`` into the path, the YAML-parsed value and the value's 1-based column."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"expected PATH=VALUE such as authority.review.capacity=20, got {text!r}")
    return parse_dotted(path.strip()), parse_scalar(value.strip()), len(path) + 2


def _child(node: Any, step: str | int, here: Key) -> Any:
    if isinstance(step, int):
        if isinstance(node, list) and -len(node) <= step < len(node):
            return node[step]
    elif isinstance(node, dict) and step in node:
        return node[step]
    raise PathError(_no_such(step, node, here[:-1]), here)


def _no_such(step: str | int, node: Any, parent: Key) -> str:
    where = f" in '{dotted(parent)}'" if parent else ""
    if isinstance(step, int):
        size = len(node) if isinstance(node, list) else 0
        return f"expected an index below {size}{where}, got [{step}]"
    if isinstance(node, dict):
        keys = ", ".join(sorted(map(str, node))) or "nothing"
        return f"expected one of {keys}{where}, got '{step}'"
    return f"expected a mapping{where}, got {_kind(node)}"


def _kind(node: Any) -> str:
    if isinstance(node, list):
        return "a list"
    if isinstance(node, dict):
        return "a mapping"
    return repr(node)
