"""The JSON Schema of the scenario format as people write it, for editors (`reesim schema`).

Pydantic's own schema describes what the models hold after parsing (a `Duration` object, a
distribution tagged `fixed`, a `Population` mapping). Files say ``45wd``, ``1000``,
``applicants: 40``, ``calendar: china``, ``approve: rest``. This module starts from pydantic's
schema, so every field, its description and its constraints appear without being listed here,
and rewrites the parts whose written form differs:

- values with units (`fields.DURATION_SCHEMA` and its siblings) are declared on the field types;
- a number or distribution accepts a plain number (``units_per_day: 1000``);
- a distribution of durations accepts a duration (``time: 45wd``) or a mapping whose parameters
  carry units (``{dist: lognormal, mean: 45wd, cv: 0.4}``);
- models whose before-validator accepts a shorthand (`SHORTHANDS`) accept it here too, and a
  test fails when a model gains such a validator without an entry;
- defaults are shown as a user would write them (``60d``, not ``{value: 60, unit: d}``);
- dates must look like dates (``2025-04-04``), which editors read as strings.

Field-level shorthands (``rest``, ``unlimited``) are declared next to their validators with
`base.also_accepts`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, get_args

from pydantic import BaseModel

from reesim.scenario import distributions
from reesim.scenario.distributions import DurationDistribution, Fixed, _Dist
from reesim.scenario.fields import DURATION_SCHEMA
from reesim.scenario.responses import MAX_APPLICANTS
from reesim.scenario.schema import CalendarConfig, Scenario
from reesim.scenario.units import Duration

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

DIST_MODELS: tuple[type[_Dist], ...] = get_args(get_args(distributions.Distribution)[0])
_DIMENSIONED = ("value", "mean", "sd", "low", "mode", "high")
DIST_TAG = "Which distribution: fixed, exponential, lognormal, triangular, uniform or empirical."
DIST_PARAMETERS = {
    "value": "The value.",
    "mean": "Mean.",
    "cv": "Coefficient of variation, sd / mean; a ratio without unit. Give `cv` or `sd`.",
    "sd": "Standard deviation. Give `cv` or `sd`.",
    "low": "Least value.",
    "mode": "Most likely value.",
    "high": "Greatest value.",
    "values": "The observed values.",
    "weights": "Relative weight of each value, one per value; equal weights if omitted.",
}

SHORTHANDS: dict[str, dict[str, Any]] = {
    "CalendarConfig": {
        "enum": list(get_args(CalendarConfig.model_fields["base"].annotation)),
        "description": "A built-in calendar by name, short for `{base: <name>}`.",
    },
    "Population": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_APPLICANTS,
        "description": "The number of importers, short for `{count: <n>}`.",
    },
}
"""Model name -> the written shorthand its before-validator turns into the model."""

FIELD_LEVEL_SHORTHANDS = frozenset({"OutcomeRule", "DurationDistribution"})
"""Models whose shorthands are declared elsewhere: `OutcomeRule` fills ``rest`` fields (declared
with `also_accepts`); `DurationDistribution` is rewritten whole (`_duration_distribution`)."""

NUMBER_SCHEMA: dict[str, Any] = {
    "type": "number",
    "minimum": 0,
    "description": "A fixed value, short for `{dist: fixed, value: <number>}`.",
}


def editor_schema() -> dict[str, Any]:
    """The written form of a scenario file as a JSON Schema (Draft 2020-12)."""
    doc = Scenario.model_json_schema(by_alias=True, mode="validation")
    defs: dict[str, Any] = doc["$defs"]
    models = {m.__name__: m for m in _models(Scenario)}
    for name, schema in defs.items():
        if name in models:
            _written_defaults(schema, models[name])
    for model in DIST_MODELS:
        _describe_parameters(defs[model.__name__]["properties"])
    for node in list(_nodes(doc)):  # listed first: the loop adds nodes
        if node.get("discriminator", {}).get("propertyName") == "dist":
            inner = {k: node.pop(k) for k in ("oneOf", "discriminator")}
            node["anyOf"] = [dict(NUMBER_SCHEMA), inner]
        if node.get("format") == "date" and node.get("type") == "string":
            node["pattern"] = DATE_PATTERN
            node.setdefault("examples", ["2025-04-04"])
    for name, shorthand in SHORTHANDS.items():
        if name in defs:
            model = defs[name]
            keep = {k: model.pop(k) for k in ("title", "description") if k in model}
            defs[name] = {"anyOf": [shorthand, model], **keep}
    defs["DurationDistribution"] = _duration_distribution()
    defs["Duration"] = {"title": "Duration", **DURATION_SCHEMA}
    return {
        "$schema": DRAFT,
        "title": "reesim scenario",
        "description": "A reesim scenario file, as written (values with units, shorthands). "
        "Reference: docs/scenario-format.md.",
        **{k: v for k, v in doc.items() if k not in ("title", "description")},
    }


def _duration_distribution() -> dict[str, Any]:
    variants = []
    for model in DIST_MODELS:
        schema = model.model_json_schema(by_alias=True)
        _describe_parameters(schema["properties"])
        for key, prop in schema["properties"].items():
            described = {"description": prop["description"]}
            if key in _DIMENSIONED:
                schema["properties"][key] = {"$ref": "#/$defs/Duration", **described}
            elif key == "values":
                items = {"type": "array", "items": {"$ref": "#/$defs/Duration"}, "minItems": 1}
                schema["properties"][key] = {**items, **described}
        schema["title"] = f"{model.__name__} of durations"
        variants.append(schema)
    return {
        "title": "Distribution of durations",
        "description": (DurationDistribution.__doc__ or "").split("\n\n")[0].strip(),
        "anyOf": [{"$ref": "#/$defs/Duration"}, {"oneOf": variants}],
        "examples": ["4w", {"dist": "lognormal", "mean": "45wd", "cv": 0.4}],
    }


def _describe_parameters(properties: dict[str, Any]) -> None:
    for key, prop in properties.items():
        prop["description"] = DIST_TAG if key == "dist" else DIST_PARAMETERS[key]


def _written_defaults(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        key = info.alias or name
        prop = schema.get("properties", {}).get(key)
        if prop is not None and "default" in prop:
            prop["default"] = written(info.default)


def written(value: Any) -> Any:
    """`value` (a parsed default) as a user would write it in a scenario file."""
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, DurationDistribution):
        return value.to_raw()
    if isinstance(value, Fixed):
        return value.value
    if isinstance(value, _Dist):
        return value.model_dump(by_alias=True, exclude_none=True)
    if isinstance(value, BaseModel):
        return {
            (info.alias or name): written(getattr(value, name))
            for name, info in type(value).model_fields.items()
        }
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [written(v) for v in value]
    if isinstance(value, dict):
        return {k: written(v) for k, v in value.items()}
    return value


def _models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """Every model reachable from `root` through its fields' annotations."""
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for info in model.model_fields.values():
            todo.extend(_model_types(info.annotation))


def _model_types(tp: Any) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
    for arg in get_args(tp):
        yield from _model_types(arg)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in list(node.values()):
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def models_with_shorthands() -> set[str]:
    """Names of the models (reachable from `Scenario`) with a before model-validator, i.e. that
    accept a written form other than their own mapping."""
    return {
        m.__name__
        for m in _models(Scenario)
        if any(d.info.mode == "before" for d in m.__pydantic_decorators__.model_validators.values())
    }
