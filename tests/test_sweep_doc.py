"""docs/sweep-format.md is checked against the parser: its example sweep files load, its key
tables list exactly the keys the parser knows with their defaults, and its --vary forms parse
(or are refused) as it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reesim.experiment.sweepfile import RangeSpec, SweepFile, load_sweep, parse_vary

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs/sweep-format.md").read_text()
SWEEPS = re.findall(r"<!-- sweep -->\n```yaml\n(.*?)```", PAGE, re.S)


def table(model: str) -> dict[str, list[str]]:
    """The rows of the table under ``<!-- keys: model -->``: key -> its cells."""
    block = PAGE.split(f"<!-- keys: {model} -->\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in block.splitlines()[2:]]
    return {row[0].strip("| `"): row[1:] for row in rows}


def test_every_yaml_block_is_a_sweep() -> None:
    assert len(re.findall(r"^```yaml$", PAGE, re.M)) == len(SWEEPS) == 2


@pytest.mark.parametrize("index", range(len(SWEEPS)))
def test_example_sweeps_load(index: int, tmp_path: Path) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / f"example-{index}.yaml"
    path.write_text(SWEEPS[index])
    plan = load_sweep(path)
    if index == 0:
        assert plan.points == 9 and plan.replications == 20 and plan.seed == 7
        assert plan.name == "capacity-vs-review-time"
    else:
        assert plan.points == 40 and plan.design.kind == "lhs"
        assert plan.name == "example-1"  # no name: the file's


@pytest.mark.parametrize("model", [SweepFile, RangeSpec])
def test_key_tables_match_the_parser(model: type[SweepFile] | type[RangeSpec]) -> None:
    rows = table(model.__name__)
    assert set(rows) == set(model.model_fields)
    for name, info in model.model_fields.items():
        default = info.default
        if isinstance(default, bool):
            assert f"`{str(default).lower()}`" in rows[name][1], name
        elif isinstance(default, int) or (isinstance(default, str) and default and name != "name"):
            assert f"`{default}`" in rows[name][1], name
        elif info.is_required():
            assert rows[name][1] == "required", name


@pytest.mark.parametrize(
    ("text", "levels", "log"),
    [
        ("p=60d:365d", None, False),
        ("p=60d:365d:10", 10, False),
        ("p=1:100:log", None, True),
        ("p=1:100:4:log", 4, True),
    ],
)
def test_vary_forms_in_the_page_parse(text: str, levels: int | None, log: bool) -> None:
    form = text.replace("p=", "PATH=").replace("60d:365d", "low:high").replace("1:100", "low:high")
    form = form.replace(":10", ":N").replace(":4", ":N")
    assert f"`--vary {form}`" in PAGE or f"`{form.removeprefix('PATH=')}`" in PAGE or form in PAGE
    factor = parse_vary(text)
    assert factor.range is not None and (factor.range.levels, factor.range.log) == (levels, log)


@pytest.mark.parametrize("text", ["p=60d:365d:lin", "p=1:2:1"])
def test_what_the_page_says_is_refused_is(text: str) -> None:
    assert f"`{text.removeprefix('p=')}`" in PAGE
    with pytest.raises(ValueError, match="expected"):
        parse_vary(text)
