"""Working-day calendar: hand-worked cases, a naive day-by-day oracle, and properties."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reesim.engine.calendar import Calendar, CalendarSpec, builtin_calendar
from reesim.engine.calendar_data import BUILTIN
from reesim.results.months import Months, month_start, next_month

MONDAY = date(2025, 1, 6)  # a Monday with no Chinese holiday nearby
NONE = builtin_calendar("none")
CHINA = builtin_calendar("china")


def at(cal: Calendar, d: date, hour: float = 0.0) -> float:
    """Sim time of `d` at `hour` o'clock."""
    return cal.day_of(d) + hour / 24


# --- a naive oracle: walks day by day, written straight from the definitions ---------------


def working(cal: Calendar, day: int) -> bool:
    return cal.is_working_day(cal.start + timedelta(days=day))


def oracle_add(cal: Calendar, t: float, n: float) -> float:
    k = math.floor(n)
    f = n - k
    if k == 0:
        return t + f
    d = math.floor(t)
    time_of_day = t - d
    if not working(cal, d):  # the clock starts at 00:00 of the next working day
        while not working(cal, d):
            d += 1
        time_of_day = 0.0
    for _ in range(k):
        d += 1
        while not working(cal, d):
            d += 1
    return d + time_of_day + f


def oracle_between(cal: Calendar, t0: float, t1: float) -> float:
    d0, d1 = math.floor(t0), math.floor(t1)
    sign = 1 if d1 >= d0 else -1
    return sign * sum(working(cal, d) for d in range(min(d0, d1), max(d0, d1)))


# --- hand-worked cases --------------------------------------------------------------------


def test_45_working_days_from_a_monday_without_holidays_is_nine_weeks() -> None:
    cal = Calendar(NONE, MONDAY, 365)
    t = 10 / 24  # Monday 10:00
    # 45 working days = 9 full weeks of 5; the 45th after Monday is the Monday 9 weeks later.
    assert cal.add_working_days(t, 45) == pytest.approx(t + 63, abs=1e-12)
    assert cal.date_of(cal.add_working_days(t, 45)) == date(2025, 3, 10)
    assert cal.working_days_between(t, t + 63) == 45


def test_across_the_2025_labour_day_holiday() -> None:
    # Filed Thursday 2025-04-24 09:00, 10 working days, China:
    #   Fri 04-25 (1), Sat 04-26 off, Sun 04-27 make-up day (2), Mon-Wed 04-28..30 (3, 4, 5),
    #   Thu 05-01 .. Mon 05-05 Labour Day holiday, Tue-Fri 05-06..09 (6, 7, 8, 9),
    #   Sat-Sun 05-10..11 off, Mon 05-12 (10)  ->  Monday 2025-05-12 09:00.
    # Weekends only it would be Thursday 2025-05-08 09:00 (holiday: -3 weekdays, make-up: +1).
    start = date(2025, 4, 1)
    china, plain = Calendar(CHINA, start, 365), Calendar(NONE, start, 365)
    t = at(china, date(2025, 4, 24), 9)
    assert china.add_working_days(t, 10) == pytest.approx(at(china, date(2025, 5, 12), 9))
    assert plain.add_working_days(t, 10) == pytest.approx(at(plain, date(2025, 5, 8), 9))
    assert china.working_days_between(t, at(china, date(2025, 5, 12), 9)) == 10


def test_fractional_working_days_add_calendar_time_after_the_whole_days() -> None:
    cal = Calendar(NONE, MONDAY, 365)
    monday_10h = 10 / 24
    assert cal.add_working_days(monday_10h, 0.25) == pytest.approx(16 / 24)  # Mon 16:00
    assert cal.add_working_days(monday_10h, 2.5) == pytest.approx(2 + 22 / 24)  # Wed 22:00
    friday_20h = 4 + 20 / 24
    assert cal.add_working_days(friday_20h, 0.5) == pytest.approx(5 + 8 / 24)  # Sat 08:00
    assert cal.add_working_days(friday_20h, 1.5) == pytest.approx(8 + 8 / 24)  # Tue 08:00


def test_a_weekend_make_up_day_counts() -> None:
    start = date(2025, 1, 1)
    china, plain = Calendar(CHINA, start, 365), Calendar(NONE, start, 365)
    assert china.is_working_day(date(2025, 2, 8))  # Saturday, make-up for Spring Festival
    assert not plain.is_working_day(date(2025, 2, 8))
    friday_9h = at(china, date(2025, 2, 7), 9)
    assert china.add_working_days(friday_9h, 1) == pytest.approx(at(china, date(2025, 2, 8), 9))
    assert plain.add_working_days(friday_9h, 1) == pytest.approx(at(plain, date(2025, 2, 10), 9))
    # Filed on the make-up Sunday 01-26: no roll forward; 01-28..02-04 is Spring Festival.
    sunday_12h = at(china, date(2025, 1, 26), 12)
    assert china.add_working_days(sunday_12h, 1) == pytest.approx(at(china, date(2025, 1, 27), 12))
    assert china.add_working_days(sunday_12h, 2) == pytest.approx(at(china, date(2025, 2, 5), 12))


def test_filing_on_a_non_working_day_starts_the_clock_at_the_next_working_midnight() -> None:
    cal = Calendar(NONE, MONDAY, 365)
    saturday_15h = 5 + 15 / 24
    assert cal.add_working_days(saturday_15h, 1) == 8.0  # Tuesday 00:00: Monday is day 0
    assert cal.add_working_days(saturday_15h, 0.5) == pytest.approx(6 + 3 / 24)  # k = 0: t + f
    # Why: keeping Saturday's own midnight would give Monday 00:00 here, earlier than the
    # Monday 23:59 a Friday-23:59 filing gets: a later filing must never be due earlier.
    friday_2359 = 5 - 1 / 1440
    assert cal.add_working_days(friday_2359, 1) <= cal.add_working_days(5.0, 1)


def test_months_for_a_horizon_starting_and_ending_mid_month() -> None:
    def spans(start: date, horizon_days: float) -> list[tuple[str, float, float]]:
        m = Months.covering(start, horizon_days)
        return list(zip(m.labels, m.starts.tolist(), m.ends.tolist(), strict=True))

    # 2025-04-15 .. 2025-06-14
    assert spans(date(2025, 4, 15), 60) == [
        ("2025-04", 0.0, 16.0), ("2025-05", 16.0, 47.0), ("2025-06", 47.0, 60)
    ]  # fmt: skip
    assert spans(date(2025, 12, 20), 20.5) == [("2025-12", 0.0, 12.0), ("2026-01", 12.0, 20.5)]
    assert spans(date(2025, 4, 15), 0) == []
    assert spans(date(2025, 4, 1), 30) == [("2025-04", 0.0, 30.0)]
    assert next_month(date(2025, 12, 31)) == date(2026, 1, 1)
    assert month_start("2026-02") == date(2026, 2, 1)


def test_date_of_and_day_of_round_trip() -> None:
    cal = Calendar(NONE, date(2025, 4, 15), 60)
    for d in (date(2025, 4, 15), date(2024, 2, 29), date(2025, 12, 31), date(2031, 1, 1)):
        assert cal.date_of(cal.day_of(d)) == d
        assert cal.date_of(cal.day_of(d) + 0.999) == d
    assert cal.day_of(date(2025, 4, 14)) == -1.0
    assert cal.date_of(-0.001) == date(2025, 4, 14)


def test_china_data_is_the_published_arrangement() -> None:
    china = BUILTIN["china"]
    by_year = {y: sum(d.year == y for d in china["holidays"]) for y in (2025, 2026)}
    assert by_year == {2025: 28, 2026: 33}
    assert len(set(china["holidays"])) == len(china["holidays"])
    cal = Calendar(CHINA, date(2025, 1, 1), 730)
    assert not cal.is_working_day(date(2025, 10, 8))  # National Day runs to 10-08 in 2025
    assert cal.is_working_day(date(2025, 4, 27))  # Sunday, Labour Day make-up
    assert cal.is_working_day(date(2026, 1, 4))  # Sunday, New Year make-up


def test_far_outside_the_table_widens_it() -> None:
    cal = Calendar(NONE, MONDAY, 10)
    assert cal.add_working_days(0.0, 2000) == 2800.0  # 400 weeks
    assert cal.add_working_days(-7000.0, 5) == -6993.0  # day -7000 is a Monday
    assert cal.working_days_between(-7000.0, 2800.0) == 1400 * 5  # 1400 whole weeks
    with pytest.raises(ValueError, match="out of range"):
        cal.add_working_days(1e9, 1)


def test_invalid_input_is_rejected_with_the_value() -> None:
    with pytest.raises(ValueError, match="'mars'.*china, none"):
        builtin_calendar("mars")
    with pytest.raises(ValueError, match="not weekend days: 2025-01-07"):
        CalendarSpec(workdays=frozenset({date(2025, 1, 7)}))
    with pytest.raises(ValueError, match="both holiday and workday"):
        CalendarSpec(holidays=frozenset({date(2025, 1, 4)}), workdays=frozenset({date(2025, 1, 4)}))
    with pytest.raises(ValueError, match="weekday numbers"):
        CalendarSpec(weekends=frozenset({7}))
    cal = Calendar(NONE, MONDAY, 10)
    for n in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="working days"):
            cal.add_working_days(0.0, n)
    with pytest.raises(ValueError, match="horizon"):
        Calendar(NONE, MONDAY, -1)


# --- properties ---------------------------------------------------------------------------

START = date(2025, 1, 1)


@st.composite
def specs(draw: st.DrawFn) -> CalendarSpec:
    """The built-in calendars and random ones (other weekends, random holidays and make-ups)."""
    if draw(st.booleans()):
        return draw(st.sampled_from([CHINA, NONE]))
    weekends = draw(st.frozensets(st.integers(0, 6), max_size=3))
    year = st.dates(START, date(2025, 12, 31))
    holidays = draw(st.frozensets(year, max_size=40))
    workdays = {d for d in draw(st.frozensets(year, max_size=20)) if d.weekday() in weekends}
    return CalendarSpec(weekends, holidays, frozenset(workdays - holidays))


calendars = specs().map(lambda spec: Calendar(spec, START, 730))
# Times anywhere, plus midnights and the last float before a midnight, where days change.
days = st.integers(-60, 800)
times = st.one_of(
    st.floats(-60, 800, allow_nan=False),
    days.map(float),
    days.map(lambda d: math.nextafter(float(d), -math.inf)),
)
amounts = st.one_of(st.floats(0, 120), st.integers(0, 120).map(float))


@given(calendars, times, amounts)
def test_add_working_days_matches_the_day_by_day_oracle(cal: Calendar, t: float, n: float) -> None:
    assert cal.add_working_days(t, n) == pytest.approx(oracle_add(cal, t, n), abs=1e-9)


@given(calendars, times, times)
def test_working_days_between_matches_the_day_by_day_oracle(
    cal: Calendar, t0: float, t1: float
) -> None:
    assert cal.working_days_between(t0, t1) == oracle_between(cal, t0, t1)


@given(calendars, times, times, amounts)
def test_monotone_in_t(cal: Calendar, t1: float, t2: float, n: float) -> None:
    t1, t2 = sorted((t1, t2))
    assert cal.add_working_days(t1, n) <= cal.add_working_days(t2, n)


@given(calendars, times, amounts, amounts)
def test_monotone_in_n(cal: Calendar, t: float, n1: float, n2: float) -> None:
    n1, n2 = sorted((n1, n2))
    assert cal.add_working_days(t, n1) <= cal.add_working_days(t, n2)


@given(calendars, times, st.integers(0, 120))
def test_working_days_between_undoes_add(cal: Calendar, t: float, k: int) -> None:
    assert cal.working_days_between(t, cal.add_working_days(t, k)) == k


@given(calendars, times, st.integers(1, 120))
def test_whole_working_days_land_on_a_working_day(cal: Calendar, t: float, k: int) -> None:
    assert cal.is_working_day(cal.date_of(cal.add_working_days(t, k)))


@given(calendars, days, st.integers(1, 120))
def test_from_midnight_lands_on_a_working_midnight(cal: Calendar, d: int, k: int) -> None:
    result = cal.add_working_days(float(d), k)
    assert result == math.floor(result)
    assert cal.is_working_day(cal.date_of(result))


@given(specs(), st.dates(date(2024, 1, 1), date(2027, 12, 31)))
def test_table_agrees_with_is_working_day(spec: CalendarSpec, d: date) -> None:
    cal = Calendar(spec, START, 730)
    t = cal.day_of(d)
    # A day's working status is whether one working day lies between its midnight and the next.
    assert cal.working_days_between(t, t + 1) == float(cal.is_working_day(d))
