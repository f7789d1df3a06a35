"""docs/scenario-format.md: its reference is generated from the schema and covers all of it, and
its examples (scenarios, dotted paths, --set assignments) are valid."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from reesim.experiment.runner import run_scenario
from reesim.scenario import docgen
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.load import FIXED_ROOTS, load_text
from reesim.scenario.paths import PathError, get_path, parse_assignment, parse_dotted
from reesim.scenario.schema import Scenario

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md"
TEXT = DOC.read_text(encoding="utf-8")
HAND_WRITTEN = TEXT.partition(docgen.BEGIN)[0]
SCENARIO_MARK = "<!-- scenario -->"
SCENARIOS = re.findall(rf"^{SCENARIO_MARK}\n```yaml\n(.*?)^```$", TEXT, re.S | re.M)
ROOTS = {info.alias or name for name, info in Scenario.model_fields.items()}


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section of `text`."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"expected a section '## {heading}' in {DOC.name}"
    return match[1]


# --- (a) the reference is the generated one ----------------------------------------------------


def test_reference_is_generated_from_the_schema() -> None:
    assert docgen.generated_part(TEXT) == docgen.reference_markdown(), (
        f"{DOC} is out of date with the schema: run `python -m reesim.scenario.docgen --write`"
    )


def test_write_replaces_only_the_reference(tmp_path: Path) -> None:
    stale = tmp_path / "doc.md"
    stale.write_text(docgen.replace_reference(TEXT, "stale\n"), encoding="utf-8")
    assert docgen.main(["--write", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == docgen.replace_reference(
        TEXT, docgen.reference_markdown()
    )


def test_generation_is_deterministic() -> None:
    assert docgen.reference_markdown() == docgen.reference_markdown()


# --- (b) every field of every model is in the reference ----------------------------------------


def members(tp: Any) -> Iterator[Any]:
    """`tp` without Annotated and unions (and without None)."""
    if get_origin(tp) is Annotated:
        yield from members(get_args(tp)[0])
    elif get_origin(tp) is Union or get_origin(tp) is types.UnionType:
        for arg in get_args(tp):
            yield from members(arg)
    elif tp is not type(None):
        yield tp


def models_in(tp: Any) -> Iterator[type[BaseModel]]:
    for member in members(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            yield member
        else:
            for arg in get_args(member):
                if arg is not Ellipsis:
                    yield from models_in(arg)


def reachable_models() -> dict[type[BaseModel], list[str]]:
    """Every model reachable from Scenario, with the keys a scenario writes for its fields."""
    found: dict[type[BaseModel], list[str]] = {}
    todo: list[type[BaseModel]] = [Scenario]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found[model] = [info.alias or name for name, info in model.model_fields.items()]
        for info in model.model_fields.values():
            todo.extend(models_in(info.annotation))
    # A distribution of durations is written as the distribution itself ({dist: lognormal,
    # mean: 45wd, ...}); its `unit` and `dist` fields are its parsed form, not keys of the file.
    del found[DurationDistribution]
    return found


def reference_sections() -> dict[str, tuple[str, set[str]]]:
    """Class name -> (heading, keys in its table), from the generated reference."""
    sections: dict[str, tuple[str, set[str]]] = {}
    current = ""
    for line in docgen.generated_part(TEXT).splitlines():
        heading = re.fullmatch(r"#{3,4} (.*)\((\w+)\)", line)
        if heading:
            current = heading[2]
            assert current not in sections, f"two sections for {current}"
            sections[current] = (heading[1], set())
        elif line.startswith("#"):
            current = ""
        elif current and (row := re.match(r"\| `([^`]+)` \|", line)):
            sections[current][1].add(row[1])
    return sections


def test_every_field_of_every_model_is_in_the_reference() -> None:
    sections = reference_sections()
    models = reachable_models()
    assert set(sections) == {m.__name__ for m in models}
    for model, keys in models.items():
        heading, rows = sections[model.__name__]
        for key in keys:
            if key == "dist" and key not in rows:  # a distribution's tag is in its heading
                assert f"`dist: {model.model_fields['dist'].default}`" in heading
            else:
                assert key in rows, f"{model.__name__}.{key} is missing from the reference"


# --- (c) scenario examples load and run --------------------------------------------------------


def test_every_yaml_block_is_marked() -> None:
    yaml_blocks = re.findall(r"^```yaml$", TEXT, re.M)
    assert SCENARIOS, f"expected a yaml block preceded by {SCENARIO_MARK}"
    assert len(yaml_blocks) == len(SCENARIOS), f"mark every yaml block with {SCENARIO_MARK}"


@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_scenario_example_loads_and_runs(index: int) -> None:
    resolved = load_text(SCENARIOS[index], f"{DOC.name} scenario {index}")
    result = run_scenario(resolved, range(2), 1)
    assert len(result.events_per_replication) == 2


# --- (d) dotted paths shown in the text are real -----------------------------------------------


def schema_has(key: tuple[str | int, ...]) -> bool:
    """Whether a scenario may write a value at `key`, by the types of the schema."""
    here: list[Any] = [Scenario]
    for step in key:
        here = [child for tp in here for child in schema_children(tp, step)]
        if not here:
            return False
    return True


def schema_children(tp: Any, step: str | int) -> Iterator[Any]:
    for member in members(tp):
        if member is DurationDistribution:  # written as the distribution itself
            yield from schema_children(DurationDistribution.model_fields["dist"].annotation, step)
        elif isinstance(member, type) and issubclass(member, BaseModel):
            for name, info in member.model_fields.items():
                if step in (name, info.alias):
                    yield info.annotation
        elif get_origin(member) is dict and isinstance(step, str):
            yield get_args(member)[1]
        elif get_origin(member) in (tuple, list) and isinstance(step, int):
            yield get_args(member)[0]


def inline_code(text: str) -> list[str]:
    """Inline code spans of the hand-written part, outside fenced blocks and error examples."""
    text = text.replace(section(text, "Error messages"), "")
    text = re.sub(r"^```.*?^```$", "", text, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", text)


def path_examples() -> list[str]:
    found = []
    for span in inline_code(HAND_WRITTEN):
        for token in span.split():
            path = token.strip("'\"").partition("=")[0]
            try:
                key = parse_dotted(path)
            except ValueError:
                continue
            if key and str(key[0]) in ROOTS:
                found.append(path)
    return found


def assignment_examples() -> list[str]:
    found = []
    for span in inline_code(HAND_WRITTEN):
        match = re.fullmatch(r"--set '?([^'=]+=[^']*)'?", span)
        if match and match[1].split(".")[0] in ROOTS:
            found.append(match[1])
    return found


def test_the_doc_shows_the_path_examples() -> None:
    shown = set(path_examples())
    for path in (
        "authority.review.time.mean",
        "firms.tesla.stockpile.ndfeb_magnet",
        "authority.outcomes[0].approve",
    ):
        assert path in shown


@pytest.mark.parametrize("path", sorted(set(path_examples())))
def test_path_example_resolves_or_is_a_schema_path(path: str) -> None:
    key = parse_dotted(path)
    raw = load_text(SCENARIOS[0]).raw
    try:
        get_path(raw, key)
    except PathError:
        assert schema_has(key), f"{path} is neither in the example scenario nor in the schema"


def test_schema_path_check_refuses_a_misspelt_path() -> None:
    assert schema_has(parse_dotted("authority.review.time.mean"))
    assert not schema_has(parse_dotted("authority.review.tme.mean"))
    assert not schema_has(parse_dotted("authority.outcomes.approve"))


@pytest.mark.parametrize("assignment", assignment_examples())
def test_set_example_applies_to_the_example_scenario(assignment: str) -> None:
    # The override validates, lands where its path says, and changes the scenario.
    key, value, _ = parse_assignment(assignment)
    edited = load_text(SCENARIOS[0], overrides=[assignment])
    assert get_path(edited.raw, key) == value
    assert edited.sha256 != load_text(SCENARIOS[0]).sha256


def test_the_doc_lists_what_the_timeline_may_not_change() -> None:
    timeline = section(HAND_WRITTEN, "The timeline")
    for root in FIXED_ROOTS:
        assert f"`{root}`" in timeline
