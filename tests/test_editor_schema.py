"""`reesim schema` describes files as people write them: every shipped scenario is valid under
a real JSON Schema validator, files that reesim refuses are invalid, and the shorthands reesim
accepts are accepted."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reesim.cli.main import main
from reesim.errors import ScenarioError
from reesim.scenario.editor_schema import (
    FIELD_LEVEL_SHORTHANDS,
    SHORTHANDS,
    editor_schema,
    models_with_shorthands,
)
from reesim.scenario.load import load_text

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))
SCHEMA = editor_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2: dates are strings)."""


EditorLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def editor_view(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=EditorLoader)  # noqa: S506


def errors(data: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(data)
    ]


def reesim_accepts(data: Any) -> bool:
    try:
        load_text(yaml.safe_dump(data, sort_keys=False))
    except ScenarioError:
        return False
    return True


def test_the_schema_is_a_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_scenarios_exist() -> None:
    assert len(SHIPPED) >= 10


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_scenario_is_valid(path: Path) -> None:
    assert errors(editor_view(path)) == []


def test_the_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA


QUEUE = ROOT / "scenarios/examples/licence-queue.yaml"
Edit = Callable[[dict[str, Any]], None]


def _firm(d: dict[str, Any]) -> dict[str, Any]:
    return d["firms"]["importer"]  # type: ignore[no-any-return]


MUTANTS: dict[str, Edit] = {
    "misspelt key": lambda d: d["authority"]["review"].update(capacty=3),
    "duration without a unit it knows": lambda d: d["authority"]["review"].update(
        statutory_limit="20 days"
    ),
    "negative duration": lambda d: _firm(d).update(transit="-1w"),
    "working days of cover": lambda d: _firm(d)["stockpile"].update(ndfeb_magnet="90wd"),
    "a quantity where a rate goes": lambda d: d.update(
        producers={"p": {"capacity": {"ndfeb_magnet": "2 t"}, "lead_time": "4w"}}
    ),
    "negative units per day": lambda d: _firm(d)["production"].update(units_per_day=-5),
    "unknown distribution": lambda d: d["authority"]["review"].update(
        time={"dist": "gamma", "mean": "15wd"}
    ),
    "distribution parameter without unit": lambda d: d["authority"]["review"].update(
        time={"dist": "lognormal", "mean": "15 parsecs", "cv": 0.5}
    ),
    "unknown distribution parameter": lambda d: d["authority"]["review"].update(
        time={"dist": "lognormal", "mean": "15wd", "cv": 0.5, "skew": 1}
    ),
    "no applicants": lambda d: _firm(d).update(applicants=0),
    "unknown calendar": lambda d: d.update(calendar="mars"),
    "a word for a share": lambda d: d["authority"]["outcomes"][0].update(approve="most"),
    "capacity as a word": lambda d: d["authority"]["review"].update(capacity="many"),
    "a date that is not one": lambda d: d.update(start="January"),
    "no firms": lambda d: d.pop("firms"),
    "unknown end use": lambda d: _firm(d).update(end_use="military"),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutants_are_invalid_for_the_schema_and_for_reesim(name: str) -> None:
    data = copy.deepcopy(editor_view(QUEUE))
    MUTANTS[name](data)
    assert errors(data), f"the schema accepts a file with a {name}"
    assert not reesim_accepts(data), f"reesim accepts a file with a {name}: not a mutant"


SHORTHAND_EDITS: dict[str, Edit] = {
    "applicants: 40": lambda d: _firm(d).update(applicants=40),
    "calendar: none": lambda d: d.update(calendar="none"),
    "capacity: unlimited": lambda d: d["authority"]["review"].update(capacity="unlimited"),
    "approve: rest": lambda d: d["authority"]["outcomes"][0].update(
        approve="rest", deny=0.1, **{"return": 0}
    ),
    "a number for a distribution": lambda d: _firm(d)["production"].update(units_per_day=800),
    "a distribution of numbers": lambda d: _firm(d)["production"].update(
        units_per_day={"dist": "triangular", "low": 800, "mode": 1000, "high": 1100}
    ),
    "empirical durations": lambda d: _firm(d).update(
        transit={"dist": "empirical", "values": ["1w", "2w"], "weights": [3, 1]}
    ),
    "a plain number of days": lambda d: _firm(d).update(transit=7),
    "a year of horizon": lambda d: d.update(horizon="1y"),
    "a rate per month": lambda d: d.update(
        producers={"p": {"capacity": {"ndfeb_magnet": "2.5 t/mo"}, "lead_time": "4w"}}
    ),
}


@pytest.mark.parametrize("name", list(SHORTHAND_EDITS))
def test_written_shorthands_are_valid_for_both(name: str) -> None:
    data = copy.deepcopy(editor_view(QUEUE))
    SHORTHAND_EDITS[name](data)
    assert reesim_accepts(data), f"reesim refuses {name}"
    assert errors(data) == []


def test_every_model_shorthand_is_declared() -> None:
    # A model that gains a before-validator (a new shorthand) must say what it accepts, or the
    # schema would flag files that reesim loads.
    assert models_with_shorthands() <= set(SHORTHANDS) | FIELD_LEVEL_SHORTHANDS


def test_defaults_and_examples_are_written_forms() -> None:
    ordering = SCHEMA["$defs"]["Ordering"]["properties"]
    assert ordering["level"]["default"] == "60d"
    assert ordering["review_period"]["default"] == "1w"
    assert SCHEMA["$defs"]["Firm"]["properties"]["transit"]["default"] == "4w"
    assert "45wd" in SCHEMA["$defs"]["Duration"]["examples"]
    for name, model in SCHEMA["$defs"].items():
        if "properties" in model:
            for key, prop in model["properties"].items():
                assert prop.get("description"), f"{name}.{key} has no description"


def test_the_editor_modeline_is_an_ordinary_comment(tmp_path: Path) -> None:
    # The set-up in docs/scenario-format.md puts this line at the top of a scenario.
    text = "# yaml-language-server: $schema=../reesim.schema.json\n" + QUEUE.read_text()
    assert load_text(text).name == "licence-queue"
    doc = (ROOT / "docs/scenario-format.md").read_text()
    assert "# yaml-language-server: $schema=../reesim.schema.json" in doc
