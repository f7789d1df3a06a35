"""China's calendar comes from the chinese-calendar package, with the built-in table as the
fallback, and a run that leaves the known years is warned about."""

from __future__ import annotations

import importlib
import sys
from datetime import date
from pathlib import Path

import pytest

from reesim.cli.main import main
from reesim.engine import calendar_data
from reesim.engine.calendar import Calendar, builtin_calendar
from reesim.engine.calendar_data import BUILTIN, coverage_warning

ROOT = Path(__file__).resolve().parent.parent
QUEUE = ROOT / "scenarios/examples/licence-queue.yaml"


def test_the_package_and_the_table_agree_where_both_know() -> None:
    import chinese_calendar

    for y in (2025, 2026):
        assert {d for d in chinese_calendar.holidays if d.year == y} == {
            d for d in calendar_data._CHINA_HOLIDAYS if d.year == y
        }
        assert {d for d in chinese_calendar.workdays if d.year == y} == {
            d for d in calendar_data._CHINA_WORKDAYS if d.year == y
        }


def test_the_package_brings_years_the_table_lacks() -> None:
    china = BUILTIN["china"]
    assert china["years"] is not None and china["years"][0] <= 2020
    assert any("chinese-calendar" in s for s in china["sources"])
    cal = Calendar(builtin_calendar("china"), date(2020, 1, 1), 365)
    assert not cal.is_working_day(date(2020, 10, 1))  # National Day 2020
    assert cal.is_working_day(date(2020, 9, 27))  # Sunday, a make-up working day in 2020


def test_without_the_package_the_table_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # import raises ImportError
    try:
        reloaded = importlib.reload(calendar_data)
        china = reloaded.BUILTIN["china"]
        assert china["years"] == (2025, 2026)
        assert set(china["holidays"]) == set(reloaded._CHINA_HOLIDAYS)
        assert reloaded.coverage_warning("china", date(2024, 6, 1), date(2025, 6, 1))
    finally:
        monkeypatch.undo()
        importlib.reload(calendar_data)


def test_coverage_warning_names_the_years_outside() -> None:
    last = BUILTIN["china"]["years"][1]  # type: ignore[index]
    inside = coverage_warning("china", date(last, 1, 1), date(last, 12, 31))
    assert inside is None
    outside = coverage_warning("china", date(last, 6, 1), date(last + 2, 1, 31))
    assert outside is not None and f"{last + 1}–{last + 2}" in outside
    assert coverage_warning("none", date(1990, 1, 1), date(2090, 1, 1)) is None
    # The scenario's own days for a year count as knowing it.
    own = (date(last + 1, 2, 1), date(last + 2, 1, 1))
    assert coverage_warning("china", date(last, 6, 1), date(last + 2, 1, 31), own) is None


def test_run_warns_on_stderr_when_the_run_leaves_the_known_years(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = BUILTIN["china"]["years"][1]  # type: ignore[index]
    text = QUEUE.read_text().replace("start: 2025-01-06", f"start: {last}-11-02")
    (tmp_path / "late.yaml").write_text(text)
    assert main(["run", str(tmp_path / "late.yaml"), "-n", "2"]) == 0
    err = capsys.readouterr().err
    assert "warning: licence-queue: the china calendar knows public holidays" in err
    assert f"in {last + 1} working days count weekends alone" in err
    assert main(["run", str(tmp_path / "late.yaml"), "-n", "2", "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["run", str(QUEUE), "-n", "2"]) == 0
    assert "warning" not in capsys.readouterr().err
