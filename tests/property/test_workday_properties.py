"""Property tests of working-day arithmetic (工作日): weekends and holidays off, 调休 weekends on."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from publicity.core import workdays
from publicity.core.models import CalendarDay, DayKind
from publicity.core.workdays import Calendar

SETTINGS = settings(max_examples=200, deadline=None)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FIRST, LAST = date(2025, 12, 1), date(2028, 1, 31)


def shipped() -> dict[date, DayKind]:
    return dict(_shipped())


@functools.cache
def _shipped() -> tuple[tuple[date, DayKind], ...]:
    days: dict[date, DayKind] = {}
    for year in workdays.shipped_years():
        days.update(workdays.read_calendar_file(workdays.CALENDAR_DIR / f"{year}.json"))
    return tuple(days.items())


def calendar_of(days: dict[date, DayKind]) -> Calendar:
    return Calendar([CalendarDay(day=d, kind=k) for d, k in days.items()])


@st.composite
def calendars(draw: st.DrawFn) -> dict[date, DayKind]:
    """The shipped calendar, or a random one: holidays on any day, adjusted working days on weekends."""
    if draw(st.booleans()):
        return shipped()
    in_range = st.dates(min_value=FIRST, max_value=LAST)
    holidays = draw(st.sets(in_range, max_size=60))
    # Long runs of holidays, as at Spring Festival and National Day.
    for start, length in draw(st.lists(st.tuples(in_range, st.integers(1, 9)), max_size=4)):
        holidays |= {start + timedelta(days=i) for i in range(length)}
    worked = draw(st.sets(in_range.filter(lambda d: d.weekday() >= 5), max_size=15)) - holidays
    return {**{d: DayKind.HOLIDAY for d in holidays}, **{d: DayKind.WORKDAY for d in worked}}


starts = st.dates(min_value=FIRST, max_value=date(2027, 10, 31))
counts = st.integers(0, 40)


def count_working_days(calendar: Calendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (an independent reference)."""
    return sum(calendar.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


@SETTINGS
@given(calendars(), starts)
def test_adding_zero_working_days_is_the_start(days: dict[date, DayKind], start: date) -> None:
    assert calendar_of(days).add_working_days(start, 0) == start


@SETTINGS
@given(calendars(), starts, st.integers(1, 40))
def test_counting_back_gives_n(days: dict[date, DayKind], start: date, n: int) -> None:
    calendar = calendar_of(days)
    due = calendar.add_working_days(start, n)
    assert due > start
    assert count_working_days(calendar, start, due) == n
    # ... and the n-th working day is the first day the count reaches n.
    assert count_working_days(calendar, start, due - timedelta(days=1)) == n - 1


@SETTINGS
@given(calendars(), starts, st.integers(1, 40))
def test_the_result_is_a_working_day(days: dict[date, DayKind], start: date, n: int) -> None:
    due = calendar_of(days).add_working_days(start, n)
    assert days.get(due) != DayKind.HOLIDAY
    if due.weekday() >= 5:
        assert days.get(due) == DayKind.WORKDAY  # a weekend only when it is an adjusted working day (调休)


@SETTINGS
@given(calendars(), starts, counts, counts)
def test_more_working_days_end_strictly_later(days: dict[date, DayKind], start: date, a: int, b: int) -> None:
    assume(a != b)
    calendar = calendar_of(days)
    low, high = sorted((a, b))
    assert calendar.add_working_days(start, low) < calendar.add_working_days(start, high)


@SETTINGS
@given(calendars(), starts, counts, counts)
def test_adding_in_two_steps_is_adding_once(days: dict[date, DayKind], start: date, a: int, b: int) -> None:
    calendar = calendar_of(days)
    assert calendar.add_working_days(calendar.add_working_days(start, a), b) == calendar.add_working_days(start, a + b)


@SETTINGS
@given(calendars(), starts, st.integers(1, 40))
def test_from_a_day_off_counting_starts_the_same_as_from_the_working_day_before(
    days: dict[date, DayKind], start: date, n: int
) -> None:
    calendar = calendar_of(days)
    previous_working = start
    while not calendar.is_working_day(previous_working):
        previous_working -= timedelta(days=1)
    # Days off between a working day and ``start`` do not count.
    assert calendar.add_working_days(start, n) == calendar.add_working_days(previous_working, n)


@SETTINGS
@given(calendars())
def test_a_calendar_read_from_a_one_shot_iterator_is_the_same(days: dict[date, DayKind]) -> None:
    rows = [CalendarDay(day=d, kind=k) for d, k in days.items()]
    once, listed = Calendar(iter(rows)), Calendar(rows)
    assert (once.holidays, once.workdays) == (listed.holidays, listed.workdays)


@SETTINGS
@given(starts, st.integers(1, 40))
def test_without_a_calendar_only_weekends_are_skipped(start: date, n: int) -> None:
    due = Calendar().add_working_days(start, n)
    assert due.weekday() < 5
    weekdays = sum((start + timedelta(days=i)).weekday() < 5 for i in range(1, (due - start).days + 1))
    assert weekdays == n


@pytest.mark.parametrize("year", workdays.shipped_years())
def test_a_shipped_calendar_is_coherent(year: int) -> None:
    days = workdays.read_calendar_file(workdays.CALENDAR_DIR / f"{year}.json")
    assert all(d.year == year for d in days)
    # An adjusted working day (调休上班) is a weekend day; a weekday would need no entry.
    assert all(d.weekday() >= 5 for d, kind in days.items() if kind == DayKind.WORKDAY)
    # The fixed-date statutory holidays of 《全国年节及纪念日放假办法》 (as amended 2024).
    fixed = [
        date(year, 1, 1),
        date(year, 5, 1),
        date(year, 5, 2),
        date(year, 10, 1),
        date(year, 10, 2),
        date(year, 10, 3),
    ]
    assert all(days.get(d) == DayKind.HOLIDAY for d in fixed)
    # A day in both lists of the file would lose its holiday silently (the later list wins).
    raw = json.loads((workdays.CALENDAR_DIR / f"{year}.json").read_text(encoding="utf-8"))
    assert not set(raw.get("holidays", [])) & set(raw.get("workdays", []))
    assert len(raw.get("holidays", [])) == len(set(raw.get("holidays", [])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=calendars().filter(bool), start=starts, n=st.integers(0, 30))
def test_the_calendar_stored_and_loaded_counts_the_same(
    session: Session, days: dict[date, DayKind], start: date, n: int
) -> None:
    # One database for all examples (the health check is about that): each example rolls back.
    try:
        workdays.set_days(session, days=days, actor="t", now=NOW, replace_years=True)
        loaded = workdays.load(session)
        assert (loaded.holidays, loaded.workdays) == (calendar_of(days).holidays, calendar_of(days).workdays)
        assert loaded.add_working_days(start, n) == calendar_of(days).add_working_days(start, n)
    finally:
        session.rollback()
