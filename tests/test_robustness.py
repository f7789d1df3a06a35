"""Whatever the input, the loader yields a scenario or a clean ScenarioError, never another
exception: random YAML documents, and random mutations of valid scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reesim.engine.run import simulate
from reesim.errors import ScenarioError
from reesim.scenario.load import load_text
from tests.conftest import MINIMAL

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [MINIMAL] + [p.read_text() for p in sorted((ROOT / "scenarios").rglob("*.yaml"))]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["45wd", "-3d", "2.5 t/mo", "rest", "unlimited", "2025-04-04", "1e309", "0"]),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def outcome(text: str, source: str = "fuzz.yaml", simulate_valid: bool = False) -> None:
    try:
        resolved = load_text(text, source)
    except ScenarioError as err:
        assert err.problems, "a ScenarioError must say what is wrong"
        for problem in err.problems:
            assert str(problem).startswith(source)
        return
    if simulate_valid and resolved.scenario.horizon_days <= 2000:
        # A scenario the loader accepts must also run: validation is the engine's contract.
        simulate(resolved, 0, 0)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    outcome(text)


@settings(max_examples=300, deadline=None)
@given(values)
def test_random_documents(doc: Any) -> None:
    outcome(yaml.safe_dump(doc))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*prefix, i))
    return found


def _mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif action == "add" and isinstance(parent[last], dict):
        parent[last]["extra_key"] = value
    elif action == "add" and isinstance(parent[last], list):
        parent[last].append(value)
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_scenarios(data: st.DataObject) -> None:
    doc = yaml.safe_load(data.draw(st.sampled_from(SEEDS)))
    path = data.draw(st.sampled_from(_paths(doc)))
    action = data.draw(st.sampled_from(["delete", "replace", "add"]))
    mutated = _mutate(doc, path, action, data.draw(values))
    outcome(yaml.safe_dump(mutated, sort_keys=False), simulate_valid=True)


def test_unsafe_tags_construct_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = MINIMAL + f"description: !!python/object/apply:os.system ['touch {marker}']\n"
    try:
        load_text(text)
    except ScenarioError as err:
        assert any("tag" in p.message for p in err.problems)
    else:
        raise AssertionError("an unsafe tag must be rejected")
    assert not marker.exists()
