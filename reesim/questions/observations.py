"""Observed data for calibration: a CSV of dated observations of series or KPIs.

    date,name,value
    2025-05-15,exports.total.ndfeb_magnet,1210
    2025-06-15,exports.total.ndfeb_magnet,1850
    ,firms.ford.stockout_days,41

`name` is a monthly series of `reesim run --series` (``exports.total.ndfeb_magnet``,
``authority.approved``, ``firms.ford.cover_days``…; its month is the date's month, and its
value is in the series' unit, tonnes for flows of material) or a KPI (``firms.ford.stockout_days``;
the date may be empty). Lines starting with ``#`` are comments. Every problem is reported at
once, as ``file:line:col: what was expected, what was found``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reesim.errors import Problem, ScenarioError
from reesim.files import FileProblem, read_input

COLUMNS = ("date", "name", "value")


@dataclass(frozen=True)
class Observation:
    line: int
    date: date | None
    name: str
    value: float

    @property
    def month(self) -> str:
        return "" if self.date is None else f"{self.date.year:04d}-{self.date.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.name}@{self.month}" if self.date is not None else self.name


def read_observations(path: str | Path) -> list[Observation]:
    source = str(path)
    try:
        text = read_input(path, "a readable CSV file").decode("utf-8-sig")
    except FileProblem as err:
        raise ScenarioError([Problem(source, 0, 0, "", str(err))]) from None
    except UnicodeDecodeError:
        raise ScenarioError(
            [Problem(source, 0, 0, "", "expected UTF-8 text, got other bytes")]
        ) from None
    rows = [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    problems: list[Problem] = []
    if not rows:
        raise ScenarioError(
            [Problem(source, 1, 1, "", "expected a header date,name,value, got an empty file")]
        )
    header_line, header = rows[0]
    names = [c.strip() for c in next(csv.reader([header]))]
    if names != list(COLUMNS):
        raise ScenarioError(
            [
                Problem(
                    source,
                    header_line,
                    1,
                    "",
                    f"expected the header date,name,value, got {header.strip()!r}",
                )
            ]
        )
    out = []
    for line, raw in rows[1:]:
        cells = [c.strip() for c in next(csv.reader([raw]))]
        if len(cells) != 3:
            problems.append(
                Problem(
                    source, line, 1, "", f"expected 3 cells (date,name,value), got {len(cells)}"
                )
            )
            continue
        when_text, name, value_text = cells
        when = None
        if when_text:
            try:
                when = date.fromisoformat(when_text)
            except ValueError:
                problems.append(
                    Problem(
                        source, line, 1, "", f"expected a date like 2025-05-31, got {when_text!r}"
                    )
                )
        col = len(when_text) + len(name) + 3
        try:
            value = float(value_text)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(
                Problem(source, line, col, "", f"expected a finite number, got {value_text!r}")
            )
            continue
        if not name:
            problems.append(
                Problem(
                    source,
                    line,
                    len(when_text) + 2,
                    "",
                    "expected a series or KPI name, got nothing",
                )
            )
            continue
        out.append(Observation(line, when, name, value))
    if problems:
        raise ScenarioError(problems)
    if not out:
        raise ScenarioError(
            [Problem(source, header_line, 1, "", "expected at least one observation, got none")]
        )
    return out


def check_names(
    observations: list[Observation],
    source: str,
    series: set[str],
    kpis: set[str],
    months: tuple[str, ...],
) -> None:
    """Each observation names a series (with a date inside the horizon) or a KPI."""
    import difflib

    problems = []
    known = sorted(series | kpis)
    for o in observations:
        if o.name in series:
            if o.date is None or o.month not in months:
                problems.append(
                    Problem(
                        source,
                        o.line,
                        1,
                        "",
                        f"expected a date from {months[0]} to {months[-1]} for the series {o.name}, got {o.month or 'none'}",
                    )
                )
        elif o.name not in kpis:
            close = difflib.get_close_matches(o.name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(
                Problem(
                    source,
                    o.line,
                    (len(o.month) + 4 if o.date else 2),
                    "",
                    f"expected a series or KPI name, got {o.name!r}{hint}",
                )
            )
    if problems:
        raise ScenarioError(problems)
