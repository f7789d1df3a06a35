"""Turn pydantic validation errors into Problems that say where and what, in the user's terms.

pydantic reports an error at a `loc`: the field names and list indexes it followed, plus tags
of its own for the union member or validator it was trying (``'lognormal'``,
``'function-after[...]'``). Walking the loc through the validated data keeps the items that are
really keys of the document and drops the others, which gives a document `Key`: its dotted
path names the parameter (``authority.outcomes[0].approve``) and the `Document` knows where it
was written. The message is rephrased as ``expected <what>, got <found>``.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from collections.abc import Iterator, Mapping, Sequence, Set
from typing import (
    Annotated,
    Any,
    Literal,
    TypeGuard,
    Union,
    get_args,
    get_origin,
)

import pydantic
from pydantic import BaseModel

from reesim.errors import Problem
from reesim.scenario.dotted import Key, dotted, join_paths
from reesim.scenario.yamlsource import Document

# -- validation errors -----------------------------------------------------------------------


def problems_from_validation(
    err: pydantic.ValidationError,
    doc: Document,
    model: type[BaseModel],
    *,
    prefix: Key = (),
    path_prefix: str = "",
    data: Any = None,
) -> list[Problem]:
    """One Problem per error in `err`, raised by validating ``doc.data`` at `prefix` as `model`.

    Positions come from `doc` (at ``prefix + key``); paths are `path_prefix` joined with the
    dotted path of the key relative to `prefix`. Sorted, without duplicates. When the data
    validated is not the document's own (a timeline state, the document after ``--set``), pass
    it as `data` so that keys only it has are kept in paths.
    """
    start = _get(doc.data if data is None else data, prefix)
    problems: set[Problem] = set()
    for error in err.errors(include_url=False):
        kind = error["type"]
        if _echo_of_item_errors(error):
            continue
        key = _data_key(start, tuple(error["loc"]), model, keep_last=kind == "missing")
        message = _message(error, key, start, model)
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            key = _to_discriminator(error, key, start)
        at = (*prefix, *key)
        on_key = kind == "extra_forbidden" or "[key]" in error["loc"]
        mark = (doc.key_marks.get(at) if on_key else None) or doc.mark_for(at)
        line, col = (mark.line, mark.col) if mark else (0, 0)
        problems.add(Problem(doc.source, line, col, join_paths(path_prefix, dotted(key)), message))
    return sorted(problems)


def _data_key(data: Any, loc: tuple[Any, ...], model: type[BaseModel], *, keep_last: bool) -> Key:
    """The items of `loc` that are keys: those that lead through `data`, and those that `model`
    says are keys where `data` has none (the data validated may have more than the document, as
    after a ``--set``). A missing key (`keep_last`) is absent but is where the problem is."""
    key: list[str | int] = []
    types: list[Any] = [model]
    for i, item in enumerate(loc):
        if isinstance(data, dict) and str(item) in data:
            data = data[str(item)]
        elif isinstance(data, list) and _is_index(item) and 0 <= item < len(data):
            data = data[item]
        elif (keep_last and i == len(loc) - 1) or _is_key(types, item):
            data = None
        else:
            continue  # a tag of pydantic's, not a key of the data
        key.append(item if _is_index(item) else str(item))
        types = [inner for tp in types for inner in _step(tp, item)]
    return tuple(key)


def _echo_of_item_errors(error: Any) -> bool:
    """Whether `error` is a too_short that pydantic adds because items failed (it counts only the
    valid ones): the input was long enough, and the items' own errors say what is wrong."""
    value, ctx = error.get("input"), error.get("ctx") or {}
    return (
        error["type"] == "too_short"
        and isinstance(value, list | tuple)
        and len(value) >= ctx.get("min_length", 0)
    )


def _to_discriminator(error: Any, key: Key, data: Any) -> Key:
    """`key` extended to the discriminator of the tagged union it points at, if it is a name."""
    name = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
    return (*key, name) if name.isidentifier() and isinstance(_get(data, key), dict) else key


def _message(error: Any, key: Key, data: Any, model: type[BaseModel]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    name = key[-1] if key else ""
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, key[:-1], _get(data, key[:-1]))
        got = f"unknown key {str(name)!r}"
        close = difflib.get_close_matches(str(name), allowed, n=1)
        if close:
            got += f" (did you mean {close[0]!r}?)"
        expected = f"one of {', '.join(allowed)}" if allowed else "no other key"
        return f"expected {expected}, got {got}"
    if kind == "missing":
        what = f"required key {name!r}" if isinstance(name, str) else f"item [{name}]"
        return f"expected a value for {what}, got nothing"
    if kind == "union_tag_not_found":
        return f"expected a value for required key {ctx.get('discriminator')}, got nothing"
    if kind == "union_tag_invalid":
        return f"expected one of {ctx.get('expected_tags')}, got {_describe(ctx.get('tag'))}"
    msg = str(error["msg"])
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if msg.startswith("expected "):  # a custom error already phrased our way
        return msg
    if kind in ("literal_error", "enum"):
        options = str(ctx.get("expected", ""))
        expected = f"one of {options.replace(' or ', ', ')}" if " or " in options else options
    elif kind in _EXPECTED and _has_fields(_EXPECTED[kind], ctx):
        expected = _EXPECTED[kind].format_map(ctx)
    elif msg.startswith("Input should be "):
        expected = msg.removeprefix("Input should be ")
    else:
        expected = f"a valid value ({msg})"
    if kind in ("too_short", "too_long") and "actual_length" in ctx:
        return f"expected {expected}, got {ctx['actual_length']}"
    if kind == "string_type" and isinstance(value, bool):  # YAML 1.1 reads no, off, yes, on...
        return f"expected {expected}, got {_describe(value)} (quote it to mean text)"
    return f"expected {expected}, got {_describe(value)}"


_EXPECTED = {
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing_size": "a whole number of sensible size",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "string_too_short": "text of at least {min_length} character(s)",
    "string_too_long": "text of at most {max_length} character(s)",
    "string_pattern_mismatch": "text matching {pattern}",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "iterable_type": "a list",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "none_required": "null",
    "greater_than": "a value > {gt}",
    "greater_than_equal": "a value >= {ge}",
    "less_than": "a value < {lt}",
    "less_than_equal": "a value <= {le}",
    "multiple_of": "a multiple of {multiple_of}",
    "date_type": "a date like 2025-04-04",
    "date_parsing": "a date like 2025-04-04",
    "date_from_datetime_parsing": "a date like 2025-04-04",
    "date_from_datetime_inexact": "a date like 2025-04-04, without a time",
    "datetime_type": "a date and time like 2025-04-04T09:00:00",
    "datetime_parsing": "a date and time like 2025-04-04T09:00:00",
    "datetime_from_date_parsing": "a date and time like 2025-04-04T09:00:00",
}
"""What an error of each pydantic type expected, phrased for a scenario author."""


def _has_fields(template: str, ctx: Mapping[str, Any]) -> bool:
    return all(name in ctx for name in re.findall(r"{(\w+)}", template))


def _describe(value: Any, limit: int = 40) -> str:
    """A short rendering of a found value, in YAML's terms."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | BaseModel):
        return "a mapping"
    if isinstance(value, list | tuple | Set):
        return "a list"
    if isinstance(value, str):
        if not value:
            return "an empty text"
        return repr(value if len(value) <= limit else value[: limit - 3] + "...")
    text = value.isoformat() if isinstance(value, datetime.date) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- walking the model -----------------------------------------------------------------------


def _allowed_keys(model: type[BaseModel], key: Key, data: Any) -> list[str]:
    """The keys allowed in the mapping `data` found at `key` of `model`'s data, in field order.

    Where `key` passes through a union, the member model whose fields best match `data` wins.
    """
    candidates: list[Any] = [model]
    for segment in key:
        candidates = [inner for tp in candidates for inner in _step(tp, segment)]
    models = [m for tp in candidates for m in _members(tp) if _is_model(m)]
    return _field_keys(max(models, key=lambda m: _fit(m, data))) if models else []


def _step(tp: Any, segment: str | int) -> Iterator[Any]:
    """The types that the value at `segment` inside a value of type `tp` may have."""
    for member in _members(tp):
        if _is_model(member):
            annotation = _field_named(member, segment)
            if annotation is not None:
                yield annotation
            continue
        origin, args = get_origin(member), get_args(member)
        if not isinstance(origin, type) or issubclass(origin, str | bytes):
            continue
        if issubclass(origin, Mapping):
            yield args[1] if len(args) == 2 else Any
        elif origin is tuple and args and args[-1] is not Ellipsis:
            if _is_index(segment) and segment < len(args):
                yield args[segment]
        elif issubclass(origin, Sequence | Set) and args:
            yield args[0]


def _is_key(types: list[Any], item: Any) -> bool:
    """Whether `item` is a key inside a value of one of `types`: the name of a field, or any key
    of the one mapping type or index of the one list type (in a union, pydantic tags first)."""
    members = [m for tp in types for m in _members(tp)]
    if any(_is_model(m) and _field_named(m, item) for m in members):
        return True
    if len(members) != 1 or not isinstance(origin := get_origin(members[0]), type):
        return False
    return issubclass(origin, Mapping) or (issubclass(origin, Sequence) and _is_index(item))


def _field_named(model: type[BaseModel], item: Any) -> Any | None:
    """The annotation of `model`'s field with name or alias `item`, if there is one."""
    for name, info in model.model_fields.items():
        if item in (name, info.alias, info.validation_alias):
            return info.annotation or Any
    return None


def _members(tp: Any) -> Iterator[Any]:
    """`tp` without Annotated, type aliases and unions: the types a value may have."""
    origin = get_origin(tp)
    if origin is Annotated:
        yield from _members(get_args(tp)[0])
    elif origin is Union or origin is types.UnionType:
        for arg in get_args(tp):
            yield from _members(arg)
    elif not isinstance(tp, type) and hasattr(tp, "__value__"):  # a `type X = ...` alias
        yield from _members(tp.__value__)
    elif tp is not type(None):
        yield tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field_keys(model: type[BaseModel]) -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        keys.append(alias or name)
    return keys


def _fit(model: type[BaseModel], data: Any) -> int:
    """How well `data` fits `model`: keys it knows, and far more for a matching Literal tag."""
    if not isinstance(data, dict):
        return 0
    score = 0
    for name, info in zip(_field_keys(model), model.model_fields.values(), strict=True):
        if name in data:
            score += 1
            tag = info.annotation
            if get_origin(tag) is Literal and data[name] in get_args(tag):
                score += len(data) + 1
    return score


def _get(data: Any, key: Key) -> Any:
    """The value at `key` in `data`, or None where the path leads nowhere."""
    for segment in key:
        if isinstance(data, dict):
            data = data.get(str(segment))
        elif isinstance(data, list) and _is_index(segment) and 0 <= segment < len(data):
            data = data[segment]
        else:
            return None
    return data


def _is_index(item: Any) -> TypeGuard[int]:
    return isinstance(item, int) and not isinstance(item, bool)
