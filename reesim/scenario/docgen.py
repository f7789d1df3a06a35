"""The reference part of ``docs/scenario-format.md``, generated from the schema.

`reference_markdown` walks the `Scenario` model tree and renders one section per model (its
dotted path pattern, its docstring and a table of its keys), then the distributions of
`reesim.scenario.distributions` and the units of `reesim.scenario.units`. A test compares the
text between the markers of the document with this output, so the reference cannot drift from
the schema. Run ``python -m reesim.scenario.docgen`` to print it, ``--write`` to update the
document in place.

Types are rendered for a scenario author, not a programmer: ``duration (e.g. `45wd`)`` rather
than ``Duration``. What the schema cannot say (that the keys of `needs` are material names, what
a distribution parameter means) comes from the small tables below; a key missing from them
makes generation fail rather than render something vague.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from reesim.scenario import distributions, fields, units
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.editor_schema import DIST_PARAMETERS
from reesim.scenario.load import FIXED_ROOTS
from reesim.scenario.schema import EXPORTS, PolicyEvent, Scenario
from reesim.scenario.units import Duration
from reesim.scenario.yamlsource import parse_scalar

BEGIN = "<!-- BEGIN GENERATED REFERENCE -->"
END = "<!-- END GENERATED REFERENCE -->"
DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"

# --- what the types do not say ---------------------------------------------------------------

MATERIAL = "material name"
DESTINATION = "destination name"
_REFERENCES: dict[tuple[str, str], str] = {
    ("Authority", "controls"): DESTINATION,
    ("OutcomeRule", "destinations"): DESTINATION,
    ("GeneralLicence", "firms"): "firm id",
    ("GeneralLicence", "destinations"): DESTINATION,
    ("GeneralLicence", "materials"): MATERIAL,
    ("Firm", "country"): DESTINATION,
    ("Firm", "suppliers"): "supplier name",
    ("Uncertainty", "path"): "dotted path",
}
"""(model, field) -> what the names in a text field (or list of them) refer to."""

_KEYS: dict[tuple[str, str], str] = {
    ("Authority", "controls"): MATERIAL,
    ("Authority", "customs_delay"): MATERIAL,
    ("Firm", "needs"): MATERIAL,
    ("Firm", "stockpile"): MATERIAL,
    ("Producer", "capacity"): MATERIAL,
    ("Channel", "capacity"): MATERIAL,
    ("PolicyEvent", "set"): "dotted path",
}
"""(model, field) -> what the keys of a mapping field are; `id` (a new name) if not listed."""

_DIST_PARAMETERS = DIST_PARAMETERS
"""Meaning of each distribution parameter (distributions.py has no field descriptions)."""

_DURATION_UNITS = {
    "d": "calendar day",
    "wd": "working day on the scenario's `calendar`; not for `horizon`, rates or days of cover",
    "w": "week",
    "mo": "month: the mean Gregorian month",
    "y": "year (stored and shown as months)",
    "yr": "year (stored and shown as months)",
}
"""Every duration unit `units.parse_duration` accepts; sizes are computed by parsing."""
_MASS_UNITS = {"g": "gram", "kg": "kilogram", "t": "tonne"}
_RATE_TIME_UNITS = ("d", "w", "mo", "y", "yr")
_UNDIMENSIONED = ("cv", "weights")
"""Distribution parameters that are ratios, without the unit of a distribution of durations."""

# --- types, rendered ---------------------------------------------------------------------------

_UNIT_TYPES: tuple[tuple[Any, str], ...] = (
    (fields.DurationValue, "duration (e.g. `45wd`)"),
    (fields.KgValue, "quantity (e.g. `350 kg`)"),
    (fields.RateKgPerDay, "rate (e.g. `2.5 t/mo`)"),
    (fields.StockValue, "quantity or days of cover (e.g. `90d`, `500 t`)"),
)
NUMBER_DISTRIBUTION = "number or distribution (e.g. `100`)"
DISTRIBUTIONS: tuple[type[BaseModel], ...] = get_args(get_args(distributions.Distribution)[0])
DURATION_DISTRIBUTION = "distribution of durations (e.g. `4w`)"


def _markers(annotated: Any) -> list[Any]:
    return list(get_args(annotated)[1:])


def _has_marker(metadata: list[Any], annotated: Any) -> bool:
    return any(m is marker for m in metadata for marker in _markers(annotated))


def _split(tp: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """`tp` without Annotated, its metadata added to `metadata`."""
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tp, metadata = args[0], [*metadata, *args[1:]]
    return tp, metadata


def _union_members(tp: Any) -> list[Any] | None:
    if get_origin(tp) is Union or get_origin(tp) is types.UnionType:
        return list(get_args(tp))
    return None


def _anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def _link(model: type[BaseModel]) -> str:
    return f"[{model.__name__}](#{_anchor(model)})"


def _bounds(metadata: list[Any]) -> str:
    """Numeric constraints as text: '> 0', '≥ 0', '0–1'."""
    found = {
        k: getattr(m, k)
        for m in metadata
        for k in ("ge", "gt", "le", "lt")
        if getattr(m, k, None) is not None
    }
    low = f"≥ {_bound(found['ge'])}" if "ge" in found else ""
    low = low or (f"> {_bound(found['gt'])}" if "gt" in found else "")
    high = _bound(found["le"]) if "le" in found else ""
    high = high or (f"< {_bound(found['lt'])}" if "lt" in found else "")
    if low.startswith("≥") and high and not high.startswith("<"):
        return f"{low[2:]}–{high}"
    return " ".join(x if x[0] in "≥><" else f"≤ {x}" for x in (low, high) if x)


@dataclass(frozen=True)
class _Where:
    """The field being described, for the tables of references."""

    model: str
    name: str


def type_text(tp: Any, metadata: list[Any], where: _Where, plural: bool = False) -> str:
    """A human description of the type `tp` (with pydantic `metadata`) of a field."""
    tp, metadata = _split(tp, metadata)
    for alias, text in _UNIT_TYPES:
        if _has_marker(metadata, alias):
            return _plural(text) if plural else text
    if _has_marker(metadata, distributions.NumberDistribution):
        return "numbers or distributions" if plural else NUMBER_DISTRIBUTION
    members = _union_members(tp)
    if members is not None:
        present = [m for m in members if m is not type(None)]
        return " or ".join(type_text(m, metadata, where, plural) for m in present)
    if tp is DurationDistribution:
        return "distributions of durations" if plural else DURATION_DISTRIBUTION
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"{_link(tp)} mappings" if plural else _link(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        options = ", ".join(f"`'{a}'`" for a in args)
        if plural:
            return f"names from {options}"
        return f"one of {options}" if len(args) > 1 else f"{options} (the only value)"
    if origin in (tuple, list):
        item = args[0] if args else Any
        return f"list of {type_text(item, [], where, plural=True)}"
    if origin is dict:
        key = _KEYS.get((where.model, where.name), "id")
        value = type_text(args[1], [], where, plural=False)
        return f"mapping {key} → {value}"
    if tp is date:
        return "dates YYYY-MM-DD" if plural else "date YYYY-MM-DD"
    if tp is bool:
        return "`true`s or `false`s" if plural else "`true` or `false`"
    bounds = _bounds(metadata)
    if tp is int:
        text = "whole numbers" if plural else "whole number"
        return f"{text} {bounds}" if bounds else text
    if tp is float:
        if _has_marker(metadata, distributions.NonNegative):
            bounds = "≥ 0"
        elif _has_marker(metadata, distributions.Positive):
            bounds = "> 0"
        if bounds == "0–1":
            return "fractions 0–1" if plural else "fraction 0–1"
        text = "numbers" if plural else "number"
        return f"{text} {bounds}" if bounds else text
    if tp is str:
        ref = _REFERENCES.get((where.model, where.name))
        if ref is not None:
            return _plural(ref) if plural else ref
        if any(getattr(m, "min_length", 0) > 0 for m in metadata):
            return "names" if plural else "name"
        return "texts" if plural else "text"
    if tp is Any:
        return "values" if plural else "any value"
    raise TypeError(f"docgen cannot describe the type {tp!r} of {where.model}.{where.name}")


def _plural(text: str) -> str:
    head, sep, tail = text.partition(" (")
    return f"{head}s{sep}{tail}"


# --- defaults, as YAML would write them --------------------------------------------------------


def _bound(value: float) -> str:
    """A bound of a range, with thousands separators when large: '1', '0.5', '1,000,000'."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 10_000 else _number(value)


def _number(value: float) -> str:
    if isinstance(value, int) or (math.isfinite(value) and float(value).is_integer()):
        return str(int(value))
    return repr(float(value))


def _raw(value: Any) -> Any:
    """`value` as it would be written in a scenario file."""
    if isinstance(value, DurationDistribution):
        return value.to_raw()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, BaseModel):
        fields_ = type(value).model_fields
        return {
            info.alias or name: _raw(getattr(value, name))
            for name, info in fields_.items()
            if info.is_required() or getattr(value, name) != info.default
        }
    if isinstance(value, dict):
        return {str(k): _raw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_raw(v) for v in value]
    return value


def _yaml(value: Any) -> str:
    """YAML flow text for plain data."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        plain = value and not re.search(r"[\[\]{},:#&*!|>'\"%@`]", value) and value == value.strip()
        return value if plain and parse_scalar(value) == value else '"' + value + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    raise TypeError(f"docgen cannot write {value!r} as YAML")


def default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    return f"`{_yaml(_raw(info.get_default(call_default_factory=True)))}`"


# --- walking the models ------------------------------------------------------------------------


@dataclass
class _Section:
    model: type[BaseModel]
    patterns: list[str] = field(default_factory=list)


def _join(path: str, step: str) -> str:
    if not path:
        return step
    return path + step if step.startswith("[") else f"{path}.{step}"


def _children(tp: Any, path: str, where: _Where) -> Iterator[tuple[type[BaseModel], str]]:
    """The models inside a field of type `tp` at `path`, with their own path patterns."""
    tp, _ = _split(tp, [])
    members = _union_members(tp)
    if members is not None:
        for member in members:
            yield from _children(member, path, where)
        return
    if tp is DurationDistribution or tp in DISTRIBUTIONS:
        return  # a leaf: distributions have a section of their own
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp, path
        return
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict:
        key = "<material>" if _KEYS.get((where.model, where.name)) == MATERIAL else "<id>"
        yield from _children(args[1], _join(path, key), where)
    elif origin in (tuple, list) and args:
        yield from _children(args[0], _join(path, "[<i>]"), where)


def model_sections(root: type[BaseModel] = Scenario) -> list[_Section]:
    """Every model reachable from `root` with the path patterns it is found at, depth first."""
    found: dict[type[BaseModel], _Section] = {}

    def visit(model: type[BaseModel], path: str) -> None:
        section = found.setdefault(model, _Section(model))
        if path in section.patterns:
            return
        section.patterns.append(path)
        for name, info in model.model_fields.items():
            key = info.alias or name
            for child, child_path in _children(
                info.annotation, _join(path, key), _Where(model.__name__, name)
            ):
                visit(child, child_path)

    visit(root, "")
    return list(found.values())


# --- rendering ---------------------------------------------------------------------------------


def _doc(obj: Any) -> str:
    text = obj.__dict__.get("__doc__") if isinstance(obj, type) else None
    return inspect.cleandoc(text).replace("``", "`") if text else ""


def _cell(text: str) -> str:
    return text.replace("``", "`").replace("|", "\\|").replace("\n", " ")


def _table(rows: list[tuple[str, str, str, str]]) -> list[str]:
    lines = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    lines += [f"| `{k}` | {_cell(t)} | {_cell(d)} | {_cell(desc)} |" for k, t, d, desc in rows]
    return lines


def _model_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, info in model.model_fields.items():
        where = _Where(model.__name__, name)
        rows.append(
            (
                info.alias or name,
                type_text(info.annotation, list(info.metadata), where),
                default_text(info),
                info.description or "",
            )
        )
    return rows


def _model_section(section: _Section) -> list[str]:
    model = section.model
    title = ", ".join(f"`{p}`" for p in section.patterns if p) or "Top level"
    lines = [f'### <a id="{_anchor(model)}"></a>{title} ({model.__name__})', ""]
    doc = _doc(model)
    if doc:
        lines += [doc, ""]
    lines += _table(_model_rows(model))
    if model is PolicyEvent:
        roots = ", ".join(f"`{r}`" for r in sorted(FIXED_ROOTS))
        lines += ["", f"Paths in `set` may not start with {roots}."]
    return [*lines, ""]


def _distribution_sections() -> list[str]:
    ratios = " and ".join(f"`{p}`" for p in _UNDIMENSIONED)
    lines = [
        '### <a id="distributions"></a>Distributions',
        "",
        f"An uncertain value is a mapping tagged by `dist`. Where the type says "
        f"*{NUMBER_DISTRIBUTION}* a plain number is short for `{{dist: fixed, value: <number>}}`. "
        f"Where it says *{DURATION_DISTRIBUTION}* a plain duration is short for a fixed one, and "
        f"every parameter but {ratios} carries a duration unit, the same unit for all of them, "
        f"e.g. `{{dist: lognormal, mean: 45wd, cv: 0.4}}`; a plain number there is days. "
        "Every distribution has non-negative support.",
        "",
    ]
    for model in DISTRIBUTIONS:
        kind = get_args(model.model_fields["dist"].annotation)[0]
        lines += [f'#### <a id="dist-{kind}"></a>`dist: {kind}` ({model.__name__})', ""]
        doc = _doc(model)
        if doc:
            lines += [doc, ""]
        rows = []
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key == "dist":
                continue
            if key not in _DIST_PARAMETERS:
                raise KeyError(f"no description for distribution parameter {key!r} in docgen")
            where = _Where(model.__name__, name)
            text = type_text(info.annotation, list(info.metadata), where)
            rows.append((key, text, default_text(info), _DIST_PARAMETERS[key]))
        lines += [*_table(rows), ""]
    return lines


def _units_section() -> list[str]:
    lines = [
        '### <a id="units"></a>Units',
        "",
        "A value with a unit is a number followed by the unit, with or without a space: "
        "`45wd`, `2.5 t`, `10 kg/d`. A plain number is in the base unit: days, kg, kg per day.",
        "",
        "| unit | kind | meaning |",
        "| --- | --- | --- |",
    ]
    missing = set(units.DURATION_UNITS) - set(_DURATION_UNITS)
    if missing:
        raise KeyError(f"no description for duration units {sorted(missing)} in docgen")
    for unit, meaning in _DURATION_UNITS.items():
        size = _size(units.parse_duration(f"1{unit}"))
        lines.append(f"| `{unit}` | duration | {_cell(meaning)}{size} |")
    for unit, meaning in _MASS_UNITS.items():
        kg = units.parse_quantity_kg(f"1 {unit}")
        size = f" = {_number(kg)} kg" if unit != "kg" else ""
        lines.append(f"| `{unit}` | quantity | {meaning}{size} |")
    for unit in _RATE_TIME_UNITS:
        units.parse_rate_kg_per_day(f"1 kg/{unit}")  # raises if no longer accepted
    per = ", ".join(f"`/{u}`" for u in _RATE_TIME_UNITS)
    lines += [
        "",
        f"A rate is a quantity per time: `2.5 t/mo`, `10 kg/d`, with {per}; not per working day, "
        "since material flows on calendar days. Stock (levels, stockpiles) is a quantity "
        "(`500 t`) or days of cover (`90d`, `6w`, `2mo`, `1y`, not `wd`), converted at the "
        "firm's planned consumption rate.",
        "",
    ]
    return lines


def _size(duration: Duration) -> str:
    """' = 7 d' for a week, ' = 12 mo' for a year; '' for a unit that is its own measure."""
    if duration.unit == "wd" or (duration.unit == "d" and duration.value == 1):
        return ""
    if duration.unit != "mo" or duration.value == 1:
        return f" = {_number(duration.calendar_days())} d"
    return f" = {_number(duration.value)} mo"


def reference_markdown() -> str:
    """The generated reference: every model reachable from `Scenario`, distributions, units."""
    lines = [
        "## Reference",
        "",
        "Generated from `reesim/scenario/schema.py` by `python -m reesim.scenario.docgen "
        "--write`; edit the schema, not this part. `<id>` is a name you choose, `<material>` "
        "the id of a material, `[<i>]` a list index from 0. A destination is a firm's "
        f"`country`; a supplier is `{EXPORTS}`, a producer id or a channel id.",
        "",
    ]
    for section in model_sections():
        lines += _model_section(section)
    lines += _distribution_sections()
    lines += _units_section()
    return "\n".join(lines).rstrip("\n") + "\n"


def replace_reference(document: str, reference: str) -> str:
    """`document` with the text between the markers replaced by `reference`."""
    head, begin, rest = document.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"expected the markers {BEGIN} and {END} in the document")
    return f"{head}{BEGIN}\n{reference}{END}{tail}"


def generated_part(document: str) -> str:
    """The text between the markers (without the newline after the first)."""
    _, begin, rest = document.partition(BEGIN)
    part, end, _ = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"expected the markers {BEGIN} and {END} in the document")
    return part.removeprefix("\n")


def main(argv: list[str]) -> int:
    if not argv:
        sys.stdout.write(reference_markdown())
        return 0
    if argv[0] == "--write" and len(argv) <= 2:
        path = Path(argv[1]) if len(argv) == 2 else DOC_PATH
        text = path.read_text(encoding="utf-8")
        path.write_text(replace_reference(text, reference_markdown()), encoding="utf-8")
        return 0
    sys.stderr.write("usage: python -m reesim.scenario.docgen [--write [PATH]]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
