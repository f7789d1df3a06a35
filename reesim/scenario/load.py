"""From a scenario file (plus ``--set`` edits) to a validated, resolved scenario.

Reading, editing and validating are separate steps: the YAML is read into plain data with the
position of every value; ``--set`` edits that data by dotted path; the schema validates it; then
the timeline is resolved into the parameter state in force after each event, each state
validated too, so a timeline that would break the scenario on 9 October is caught before any
run. Every problem found on the way is collected and raised together as one `ScenarioError`,
across the steps: a value YAML cannot read (a date that does not exist) does not hide the schema's
problems with the rest of the file, and schema problems do not hide a material nobody defined
(references are checked on what validated, `reesim.scenario.partial`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reesim.errors import Problem, ScenarioError
from reesim.scenario.dotted import Key
from reesim.scenario.limits import check_limits
from reesim.scenario.partial import partial_model
from reesim.scenario.paths import (
    PathError,
    dotted,
    get_path,
    new_entry,
    parse_assignment,
    parse_dotted,
    set_path,
)
from reesim.scenario.problems import problems_from_validation
from reesim.scenario.references import Found, check_references
from reesim.scenario.schema import Scenario
from reesim.scenario.units import parse_magnitude
from reesim.scenario.yamlsource import Document, Mark, parse_document, read_document

FIXED_ROOTS = frozenset(
    {
        "name",
        "description",
        "start",
        "end",
        "horizon",
        "calendar",
        "materials",
        "timeline",
        "uncertainties",
        "exporters",
        "reporting",
    }
)
"""Top-level keys the timeline may not change: they define the world rather than its rules."""


@dataclass(frozen=True)
class PolicyChange:
    """A timeline event resolved: the parameters in force from `day` on."""

    day: float
    date: date
    name: str
    source: str
    sets: tuple[tuple[str, Any], ...]
    params: Scenario
    announced_day: float | None = None
    """Sim day the event was announced (None if it was not announced ahead)."""


@dataclass(frozen=True)
class ResolvedScenario:
    """A scenario ready to simulate: its base parameters and the states its timeline brings."""

    path: str
    scenario: Scenario
    changes: tuple[PolicyChange, ...]
    raw: dict[str, Any]
    sha256: str
    overrides: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.scenario.name


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> ResolvedScenario:
    """Read, edit, validate and resolve a scenario file; ScenarioError lists every problem."""
    return resolve(read_document(path, partial=True), overrides)


def load_text(text: str, source: str = "<text>", overrides: Sequence[str] = ()) -> ResolvedScenario:
    return resolve(parse_document(text, source, partial=True), overrides)


def resolve(doc: Document, overrides: Sequence[str] = ()) -> ResolvedScenario:
    problems: list[Problem] = list(doc.problems)
    raw, set_marks, created = _apply_overrides(doc, overrides, problems)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        found = problems_from_validation(err, doc, Scenario, data=raw)
        # A value YAML could not read is None in `raw`: its problem is already reported.
        unread = [p.path for p in doc.problems if p.path]
        problems += _explain_new_entries(
            [
                _reattribute(p, set_marks)
                for p in found
                if not any(_under(p.path, path) for path in unread)
            ],
            created,
        )
        _check_partial(doc, raw, problems, set_marks, {(p.path, p.message) for p in found})
        raise ScenarioError(problems) from None
    base_refs = check_references(scenario) + check_limits(scenario)
    problems += [_at(doc, key, msg, set_marks) for key, msg in base_refs]
    changes = _resolve_timeline(doc, raw, scenario, problems, set(base_refs))
    _check_uncertainties(doc, raw, scenario, problems, set_marks)
    if problems:
        raise ScenarioError(problems)
    return ResolvedScenario(
        path=doc.source,
        scenario=scenario,
        changes=tuple(changes),
        raw=raw,
        sha256=scenario_hash(scenario),
        overrides=tuple(overrides),
    )


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the validated content: equal for files that differ only in layout or
    comments, different whenever any parameter differs."""
    content = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def _check_partial(
    doc: Document,
    raw: Any,
    problems: list[Problem],
    set_marks: SetMarks,
    base_problems: set[tuple[str, str]],
) -> None:
    """The checks after the schema's, on what of `raw` validated: references, limits and the
    timeline (its dates, and what its events break beyond the `base_problems` the schema found).
    Best effort: a check that needs what did not validate is skipped."""
    partial = partial_model(Scenario, raw)
    if partial is None:
        return
    found: list[Found] = []
    with contextlib.suppress(AttributeError, TypeError, KeyError, ValueError):
        found += check_references(partial)
    with contextlib.suppress(AttributeError, TypeError, KeyError, ValueError, AssertionError):
        found += check_limits(partial)
    known = {(p.path, p.message) for p in problems}
    for key, msg in found:
        problem = _at(doc, key, msg, set_marks)
        if (problem.path, problem.message) not in known:
            problems.append(problem)
    with contextlib.suppress(AttributeError, TypeError, KeyError, ValueError, AssertionError):
        _resolve_timeline(doc, raw, partial, problems, set(found), base_problems)


# --- --set ------------------------------------------------------------------------------------
SetMarks = dict[str, tuple[str, Mark]]


NewEntries = dict[str, Problem]
"""Entries a path created on its way (dotted path -> the problem to report if the schema finds
the entry incomplete: the path expected an existing name)."""


def _apply_overrides(
    doc: Document, overrides: Sequence[str], problems: list[Problem]
) -> tuple[Any, SetMarks, NewEntries]:
    raw = doc.data
    marks: SetMarks = {}
    created: NewEntries = {}
    for i, text in enumerate(overrides, start=1):
        source = f"--set[{i}]"
        try:
            key, value, col = parse_assignment(text)
            entry = new_entry(raw, key)
            raw = set_path(raw, key, value)
        except ValueError as err:  # PathError is a ValueError
            where = dotted(err.key) if isinstance(err, PathError) else ""
            problems.append(Problem(source, 1, 1, where, str(err)))
            continue
        marks[dotted(key)] = (source, Mark(1, col))
        if entry is not None:
            created.setdefault(dotted(entry[0]), Problem(source, 1, 1, dotted(entry[0]), entry[1]))
    return raw, marks, created


def _explain_new_entries(found: list[Problem], created: NewEntries) -> list[Problem]:
    """Replace the schema's "required key missing" problems of an entry that a path created on
    its way (``--set firms.tesl.stockpile.x=1`` makes a firm 'tesl' with nothing else) by one
    problem saying which names exist: a mistyped name, not an incomplete firm."""
    if not created:
        return found
    out: list[Problem] = []
    explained: set[str] = set()
    for p in found:
        entry = next((e for e in created if p.path.startswith((e + ".", e + "["))), None)
        if entry is None or not p.message.startswith("expected a value for required key"):
            out.append(p)
        elif entry not in explained:
            explained.add(entry)
            out.append(created[entry])
    return out


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _reattribute(problem: Problem, set_marks: SetMarks) -> Problem:
    """Point a problem caused by a --set value at that --set."""
    for path, (source, mark) in set_marks.items():
        if _under(problem.path, path) or _under(path, problem.path):
            return Problem(source, mark.line, mark.col, problem.path, problem.message)
    return problem


def _at(doc: Document, key: Key, message: str, set_marks: SetMarks | None = None) -> Problem:
    mark = doc.mark_for(key)
    problem = Problem(
        doc.source, mark.line if mark else 0, mark.col if mark else 0, dotted(key), message
    )
    return _reattribute(problem, set_marks) if set_marks else problem


# --- timeline ---------------------------------------------------------------------------------
def _resolve_timeline(
    doc: Document,
    raw: Any,
    base: Scenario,
    problems: list[Problem],
    known: set[tuple[Key, str]],
    base_problems: set[tuple[str, str]] | None = None,
) -> list[PolicyChange]:
    """The parameter state after each event (in date order), each validated; problems the base
    already has (`known`) are not repeated for every state.

    When the base did not validate (`base_problems` holds the schema's (path, message) for it),
    each state is still validated but only problems the base does not have are reported, and
    no state is kept: `base` is then a partial model."""
    span = _span(base)
    state_raw, changes = raw, []
    touched: dict[str, Key] = {}  # parameter path -> where the timeline sets it
    events = list(base.timeline)
    order = sorted(
        (i for i, e in enumerate(events) if hasattr(e, "date") and hasattr(e, "set")),
        key=lambda i: events[i].date,
    )
    for idx in order:
        event = events[idx]
        at: Key = ("timeline", idx)
        if span is not None and not span[0] <= event.date <= span[1]:
            problems.append(
                _at(
                    doc,
                    (*at, "date"),
                    f"expected a date from {span[0]} to {span[1]}, got {event.date}",
                )
            )
            continue
        candidate = state_raw
        created: NewEntries = {}
        for path, value in event.set.items():
            where: Key = (*at, "set", path)
            try:
                key = parse_dotted(path)
                if not key:
                    raise PathError(
                        "expected a dotted path like 'authority.review.capacity', got ''"
                    )
                if str(key[0]) in FIXED_ROOTS:
                    raise PathError(f"expected a parameter the timeline may change, got '{key[0]}'")
                entry = new_entry(candidate, key)
                candidate = set_path(candidate, key, value)
            except ValueError as err:  # the path itself is wrong: point at it
                mark = doc.key_marks.get(where) or doc.mark_for(where)
                line, col = (mark.line, mark.col) if mark else (0, 0)
                problems.append(Problem(doc.source, line, col, dotted(where), str(err)))
                continue
            touched[dotted(key)] = where
            if entry is not None:
                mark = doc.key_marks.get(where) or doc.mark_for(where)
                line, col = (mark.line, mark.col) if mark else (0, 0)
                created.setdefault(
                    dotted(entry[0]), Problem(doc.source, line, col, dotted(entry[0]), entry[1])
                )
        when = f" (after timeline event '{getattr(event, 'name', '')}' on {event.date})"
        try:
            state = Scenario.model_validate(candidate)
        except ValidationError as err:
            found = problems_from_validation(err, doc, Scenario, data=candidate)
            for p in _explain_new_entries(found, created):
                if base_problems is None or (p.path, p.message) not in base_problems:
                    if p is created.get(p.path):  # already points at the path
                        problems.append(replace(p, message=p.message + when))
                    else:
                        problems.append(_timeline_problem(doc, p, touched, at, when))
            continue
        if base_problems is not None:
            continue
        refs = [f for f in check_references(state) + check_limits(state) if f not in known]
        refs += _cast_changes(base, state)
        for key, msg in refs:
            problems.append(_timeline_problem(doc, _at(doc, key, msg), touched, at, when))
        if refs:
            continue
        state_raw = candidate
        changes.append(
            PolicyChange(
                day=float((event.date - base.start).days),
                date=event.date,
                name=event.name,
                source=event.source,
                sets=tuple(event.set.items()),
                params=state,
                announced_day=(
                    float((event.announced - base.start).days) if event.announced else None
                ),
            )
        )
    return changes


def _span(s: Scenario) -> tuple[date, date] | None:
    """The first and last day of the run, or None when a partial scenario does not say."""
    try:
        return s.start, s.start + timedelta(days=math.ceil(s.horizon_days) - 1)
    except (AttributeError, AssertionError, OverflowError, TypeError, ValueError):
        return None


def _timeline_problem(
    doc: Document, p: Problem, touched: dict[str, Key], event: Key, when: str
) -> Problem:
    """Point at the timeline entry that caused `p`: its value when the value is wrong, its path
    when the path leads nowhere."""
    mark = doc.mark_for(event)
    for path, where in touched.items():
        if _under(p.path, path):
            mark = doc.mark_for(where)
            break
        if _under(path, p.path):
            mark = doc.key_marks.get(where) or doc.mark_for(where)
            break
    return Problem(
        doc.source, mark.line if mark else 0, mark.col if mark else 0, p.path, p.message + when
    )


# --- uncertainties ----------------------------------------------------------------------------
def _check_uncertainties(
    doc: Document, raw: Any, s: Scenario, problems: list[Problem], set_marks: SetMarks
) -> None:
    """Each declared unknown names a parameter the file sets, with a range around the value the
    file uses. A value given by --set is a what-if and may lie outside the range."""
    for name, u in s.uncertainties.items():
        at: Key = ("uncertainties", name)
        try:
            key = parse_dotted(u.path)
            value = get_path(raw, key)
            overridden = any(_under(dotted(key), path) for path in set_marks)
            checked = (u.low, u.high) if overridden else (u.low, value, u.high)
            mags = [parse_magnitude(x) for x in checked]
        except ValueError as err:
            problems.append(_at(doc, (*at, "path"), str(err)))
            continue
        low, high = mags[0][0], mags[-1][0]
        mid = mags[1][0] if not overridden else low
        if len({unit for _, unit in mags}) != 1:
            shown = ", ".join(repr(x) for x in checked)
            problems.append(_at(doc, at, f"expected low, value and high in one unit, got {shown}"))
        elif not low <= mid <= high or low == high:
            problems.append(
                _at(
                    doc,
                    at,
                    f"expected low < high with the value used between them, "
                    f"got low {u.low}, value {value}, high {u.high}",
                )
            )
        elif u.log and low <= 0:
            problems.append(
                _at(doc, (*at, "low"), f"expected low > 0 for a log range, got {u.low}")
            )


def _cast_changes(base: Scenario, state: Scenario) -> list[tuple[Key, str]]:
    """The timeline changes parameters, not the cast: the firms, their materials, producers and
    channels that exist at the start are the ones that exist throughout (a firm added on a date
    would have no history; set its production to 0 until then instead)."""
    casts: list[tuple[Key, set[str], set[str]]] = [
        (("firms",), set(base.firms), set(state.firms)),
        (("producers",), set(base.producers), set(state.producers)),
        (("smuggling", "channels"), set(base.smuggling.channels), set(state.smuggling.channels)),
    ]
    casts += [
        (("firms", f, "needs"), set(base.firms[f].needs), set(state.firms[f].needs))
        for f in base.firms
        if f in state.firms
    ]
    found: list[tuple[Key, str]] = []
    # A population and its product lines are the firm's make-up, fixed like the cast: the engine
    # splits stock and orders among importers and lines once, at the start.
    for f in sorted(set(base.firms) & set(state.firms)):
        was, now = base.firms[f], state.firms[f]
        makeup: list[tuple[Key, object, object]] = [
            (("firms", f, "applicants"), was.applicants, now.applicants),
            (("firms", f, "exporters"), was.exporters, now.exporters),
            (("firms", f, "production", "lines"), was.production.lines, now.production.lines),
        ]
        for key, a, b in makeup:
            if a != b:
                found.append((key, f"expected {dotted(key)} as at the start, got it changed"))
    for key, before, after in casts:
        for name in sorted(after - before):
            found.append(
                (
                    (*key, name),
                    f"expected only the {dotted(key)} defined at the start "
                    f"({', '.join(sorted(before)) or 'none'}), got '{name}' added",
                )
            )
        for name in sorted(before - after):
            found.append(
                (
                    (*key, name),
                    f"expected every {dotted(key)} entry defined at the start, "
                    f"got '{name}' removed",
                )
            )
    return found
