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


# --- a path through a name that does not exist -------------------------------------------------
def test_a_set_through_a_mistyped_name_says_which_names_exist() -> None:
    lines = problems(MINIMAL, ("firms.acm.stockpile.magnet=10d",))
    assert lines == ["--set[1]:1:1: firms.acm: expected one of acme in 'firms', got 'acm'"]


def test_a_set_past_the_end_of_a_list_names_the_path() -> None:
    lines = problems(MINIMAL, ("authority.outcomes[3].approve=1", "horizon.days=1"))
    assert lines == [
        "--set[1]:1:1: authority.outcomes[3]: expected an index below 1 in "
        "'authority.outcomes', got [3]",
        "--set[2]:1:1: horizon.days: expected a mapping to hold 'days', got '90d'",
    ]


def test_a_timeline_path_through_a_mistyped_name_points_at_the_path() -> None:
    text = MINIMAL.replace("authority.controls.magnet: true", "firms.acm.transit: 3w")
    (line,) = problems(text)
    assert line.startswith("s.yaml:25:")
    assert "firms.acm: expected one of acme in 'firms', got 'acm'" in line
    assert "(after timeline event 'controls on'" in line


def test_a_new_entry_given_whole_is_judged_by_the_schema() -> None:
    """Only an entry made on the way to a deeper key is read as a typo; one given as a value is
    an addition, and its missing keys are reported as such."""
    lines = problems(MINIMAL, ("firms.newco={country: us}",))
    assert any("firms.newco.production: expected a value for required key" in x for x in lines)


def test_a_missing_optional_mapping_on_the_way_is_still_created() -> None:
    text = MINIMAL.replace("    stockpile: {magnet: 30d}\n", "")
    resolved = load_text(text, "s.yaml", ["firms.acme.stockpile.magnet=10d"])
    assert "magnet" in resolved.scenario.firms["acme"].stockpile


@pytest.mark.parametrize("name", ["total", "all"])
def test_a_destination_may_not_take_a_name_results_give_an_aggregate(name: str) -> None:
    # exports.total.<material> and applications.all.* are every destination together: a
    # country of that name would be merged into them, or hide them.
    assert problems(MINIMAL, (f"firms.acme.country={name}",)) == [
        f"--set[1]:1:20: firms.acme.country: expected a destination other than total and all "
        f"(the names results give every destination together), got '{name}'"
    ]
    background = f"authority.background={{rate_per_day: 0.1, destinations: {{{name}: 0.5}}}}"
    assert problems(MINIMAL, (background,)) == [
        f"--set[1]:1:22: authority.background.destinations.{name}: expected a destination other "
        f"than total and all (the names results give every destination together), got '{name}'"
    ]


def test_background_destinations_are_ids() -> None:
    found = problems(MINIMAL, ("authority.background={destinations: {a.b: 0.5}}",))
    assert len(found) == 1 and "expected an id without" in found[0], found


def test_the_reserved_destinations_are_the_aggregates_results_use() -> None:
    from reesim.results.metrics import OVERALL
    from reesim.scenario.fields import AGGREGATE_DESTINATIONS

    assert OVERALL in AGGREGATE_DESTINATIONS and "total" in AGGREGATE_DESTINATIONS
