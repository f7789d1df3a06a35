"""The loader's rules beyond the schema: timeline states, --set, uncertainties."""

from __future__ import annotations

import pytest

from reesim.errors import ScenarioError
from reesim.scenario.load import load_text
from tests.conftest import MINIMAL

WITH_UNCERTAINTY = (
    MINIMAL
    + """\
uncertainties:
  capacity: {path: authority.review.capacity, low: 1, high: 4, source: test}
"""
)


def problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml", overrides)
    return [str(p) for p in info.value.problems]


def test_timeline_states_are_resolved_in_date_order() -> None:
    text = (
        MINIMAL
        + """\
  - date: 2025-01-20
    name: earlier event written later
    set: {authority.review.capacity: 5}
"""
    )
    resolved = load_text(text)
    assert [c.name for c in resolved.changes] == ["earlier event written later", "controls on"]
    assert [c.day for c in resolved.changes] == [14.0, 28.0]
    # each state carries every change so far
    assert resolved.changes[1].params.authority.review.capacity == 5
    assert resolved.changes[1].params.authority.controls["magnet"] is True
    assert resolved.scenario.authority.review.capacity == 2


def test_timeline_cannot_add_a_firm_or_remove_a_need() -> None:
    text = MINIMAL.replace(
        "set: {authority.controls.magnet: true}",
        "set: {firms.other: {country: us, production: {units_per_day: 1}, "
        "needs: {magnet: {rate: 1 kg/d}}}}",
    )
    (line,) = problems(text)
    assert (
        "firms.other: expected only the firms defined at the start (acme), got 'other' added"
        in line
    )


def test_timeline_cannot_change_fixed_roots() -> None:
    (line,) = problems(MINIMAL.replace("authority.controls.magnet: true", "horizon: 30d"))
    assert line == (
        "s.yaml:25:11: timeline[0].set.horizon: expected a parameter the timeline may change, got 'horizon'"
    )


def test_quoted_paths_reach_timeline_entries() -> None:
    resolved = load_text(MINIMAL, "s.yaml", ['timeline[0].set["authority.controls.magnet"]=false'])
    assert resolved.changes[0].params.authority.controls["magnet"] is False


def test_uncertainty_range_must_bracket_the_value_in_the_file() -> None:
    text = WITH_UNCERTAINTY.replace("low: 1, high: 4", "low: 3, high: 4")
    (line,) = problems(text)
    assert line.startswith(
        "s.yaml:27:13: uncertainties.capacity: expected low < high with the value"
    )


def test_a_set_value_may_leave_the_uncertainty_range() -> None:
    resolved = load_text(WITH_UNCERTAINTY, "s.yaml", ["authority.review.capacity=9"])
    assert resolved.scenario.authority.review.capacity == 9


def test_uncertainty_path_must_exist() -> None:
    text = WITH_UNCERTAINTY.replace(
        "path: authority.review.capacity", "path: authority.review.size"
    )
    (line,) = problems(text)
    assert (
        "uncertainties.capacity.path: expected one of capacity, time in 'authority.review', got 'size'"
        in line
    )


def test_hash_ignores_layout_but_not_values() -> None:
    a = load_text(MINIMAL)
    b = load_text("# a comment\n" + MINIMAL.replace("capacity: 2", "capacity:   2"))
    c = load_text(MINIMAL.replace("capacity: 2", "capacity: 3"))
    assert a.sha256 == b.sha256 != c.sha256
