"""What validates of a document that does not validate as a whole, so that later checks can run.

The loader reports every problem at once: when the schema finds a bad date in one firm, the
references of the others (a material nobody defined) should be reported too, not after the date
is fixed. `partial_model` validates a document field by field and keeps what passes: a field
that fails is validated in its parts when it is a model, a mapping or a list of models, and
otherwise left out (a default applies if it has one; a mapping or list becomes empty). The
result is built with `model_construct`, so validators that relate several fields do not run and
a required field that failed is missing: it is a best effort for checks that read names, not a
scenario to simulate.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

M = TypeVar("M", bound=BaseModel)

_MISSING = object()
_ADAPTERS: dict[tuple[type[BaseModel], str], TypeAdapter[Any]] = {}


def partial_model(model: type[M], data: Any) -> M | None:
    """`data` validated as `model` where it can be, field by field; None if not a mapping."""
    try:
        return model.model_validate(data)
    except ValidationError:
        pass
    if not isinstance(data, dict):
        return None
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in data:
            value = _field(model, name, data[key])
            if value is not _MISSING:
                values[name] = value
                continue
        if info.is_required():
            empty = _empty(info.annotation)
            if empty is not _MISSING:
                values[name] = empty
    return model.model_construct(**values)


def _field(model: type[BaseModel], name: str, raw: Any) -> Any:
    info = model.model_fields[name]
    adapter = _ADAPTERS.get((model, name))
    if adapter is None:
        annotated: Any = info.annotation
        if info.metadata:
            annotated = Annotated[annotated, *info.metadata]
        adapter = _ADAPTERS[(model, name)] = TypeAdapter(annotated)
    try:
        return adapter.validate_python(raw)
    except ValidationError:
        return _parts(info.annotation, raw)


def _parts(tp: Any, raw: Any) -> Any:
    """The parts of `raw` that validate, for a model, a mapping of models or a list of models."""
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        found = partial_model(tp, raw)
        return _MISSING if found is None else found
    origin, args = get_origin(tp), get_args(tp)
    item = _strip(args[-1]) if args else None
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return _MISSING
    if origin is dict and isinstance(raw, dict):
        parts = {str(k): partial_model(item, v) for k, v in raw.items()}
        return {k: v for k, v in parts.items() if v is not None}
    if origin in (tuple, list) and isinstance(raw, list):
        items = [partial_model(item, v) for v in raw]
        # Dropping an item would shift the index of the others, and indexes locate problems.
        return _MISSING if any(v is None for v in items) else origin(items)
    return _MISSING


def _strip(tp: Any) -> Any:
    """`tp` without Annotated and without an Optional's None."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return tp


def _empty(tp: Any) -> Any:
    origin = get_origin(_strip(tp))
    if origin is dict:
        return {}
    if origin in (tuple, list):
        return origin()
    return _MISSING
