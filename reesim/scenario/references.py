"""Checks that names used in a scenario are defined: materials, firms, suppliers.

The schema checks each value alone; these checks relate values to each other. Each problem is
returned with the key of the offending entry so the loader can point at its line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from reesim.scenario.dotted import Key
from reesim.scenario.schema import EXPORTS, WEEKDAYS, Scenario

Found = tuple[Key, str]


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    hint = difflib.get_close_matches(name, names, n=1)
    suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
    return f"expected {kind} ({', '.join(names) or 'none defined'}), got '{name}'{suggestion}"


def check_references(s: Scenario) -> list[Found]:
    materials = set(s.materials)
    found: list[Found] = []

    def materials_in(keys: Iterable[str], at: Key, as_key: bool = True) -> None:
        for i, m in enumerate(keys):
            if m not in materials:
                found.append(
                    ((*at, m) if as_key else (*at, i), _unknown("a defined material", m, materials))
                )

    materials_in(s.authority.controls, ("authority", "controls"))
    materials_in(s.authority.customs_delay, ("authority", "customs_delay"))
    for g, gl in enumerate(s.authority.general_licences):
        at: Key = ("authority", "general_licences", g)
        materials_in(gl.materials, (*at, "materials"), as_key=False)
        for i, f in enumerate(gl.firms):
            if f not in s.firms:
                found.append(((*at, "firms", i), _unknown("a defined firm", f, s.firms)))
    for name, producer in s.producers.items():
        materials_in(producer.capacity, ("producers", name, "capacity"))
    for name, channel in s.smuggling.channels.items():
        materials_in(channel.capacity, ("smuggling", "channels", name, "capacity"))
        if name in s.producers or name == EXPORTS:
            found.append(
                (
                    ("smuggling", "channels", name),
                    f"expected a channel name unused by producers and '{EXPORTS}', got '{name}'",
                )
            )
    if EXPORTS in s.producers:
        found.append(
            (
                ("producers", EXPORTS),
                f"expected a producer name other than '{EXPORTS}', got '{EXPORTS}'",
            )
        )

    found += _exporter_problems(s)
    found += _calendar_problems(s)
    materials_in(s.authority.background.materials, ("authority", "background", "materials"))
    suppliers = {EXPORTS, *s.producers, *s.smuggling.channels}
    for firm_id, firm in s.firms.items():
        at = ("firms", firm_id)
        materials_in(firm.needs, (*at, "needs"))
        for m in firm.stockpile:
            if m not in firm.needs:
                found.append(
                    ((*at, "stockpile", m), _unknown("a material this firm needs", m, firm.needs))
                )
        for i, supplier in enumerate(firm.suppliers):
            if supplier not in suppliers:
                found.append(
                    (
                        (*at, "suppliers", i),
                        _unknown("exports or a defined producer or channel", supplier, suppliers),
                    )
                )
        if len(set(firm.suppliers)) != len(firm.suppliers):
            found.append(((*at, "suppliers"), "expected each supplier once, got a repeat"))
        for line_id, line in firm.production.lines.items():
            for m in line.needs:
                if m not in firm.needs:
                    found.append(
                        (
                            (*at, "production", "lines", line_id, "needs", m),
                            _unknown("a material this firm needs", m, firm.needs),
                        )
                    )
        events = {e.name for e in s.timeline}
        restock = firm.ordering.restock
        for i, name in enumerate(restock.on_events if restock else ()):
            if name not in events:
                found.append(
                    (
                        (*at, "ordering", "restock", "on_events", i),
                        _unknown("a timeline event name", name, events),
                    )
                )
    return found


def _exporter_problems(s: Scenario) -> list[Found]:
    """Exporters named by firms, general licences and outcome rules are defined."""
    known = set(s.exporters)
    found: list[Found] = []

    def check(names: Iterable[str], at: Key, as_key: bool) -> None:
        for i, name in enumerate(names):
            if name not in known:
                found.append(
                    (
                        (*at, name) if as_key else (*at, i),
                        _unknown("a defined exporter", name, known),
                    )
                )

    for firm_id, firm in s.firms.items():
        check(firm.exporters, ("firms", firm_id, "exporters"), as_key=True)
    for g, gl in enumerate(s.authority.general_licences):
        check(gl.exporters, ("authority", "general_licences", g, "exporters"), as_key=False)
    for r, rule in enumerate(s.authority.outcomes):
        check(rule.exporters or (), ("authority", "outcomes", r, "exporters"), as_key=False)
    return found


def _calendar_problems(s: Scenario) -> list[Found]:
    cal = s.calendar
    found: list[Found] = []
    weekends = set(cal.weekends)
    holidays = set(cal.holidays)
    for i, day in enumerate(cal.workdays):
        if day in holidays:
            found.append(
                (("calendar", "workdays", i), f"expected a day not also a holiday, got {day}")
            )
        elif WEEKDAYS[day.weekday()] not in weekends:
            found.append(
                (
                    ("calendar", "workdays", i),
                    f"expected a make-up working day on a weekend ({', '.join(cal.weekends) or 'none'}), "
                    f"got {day}, a {WEEKDAYS[day.weekday()]}",
                )
            )
    if len(weekends) == 7 and not cal.workdays:
        found.append(
            (("calendar", "weekends"), "expected at least one working day a week, got none")
        )
    return found
