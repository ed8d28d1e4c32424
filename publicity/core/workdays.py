"""Working days (工作日): weekends and public holidays off, adjusted working weekends (调休) on."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.models import CalendarDay, DayKind


class Calendar:
    """A working-day calendar loaded from the admin-maintained table."""

    def __init__(self, days: Iterable[CalendarDay] = ()) -> None:
        days = list(days)  # read twice below: a one-shot result would leave the workdays empty
        self.holidays = {d.day for d in days if d.kind == DayKind.HOLIDAY}
        self.workdays = {d.day for d in days if d.kind == DayKind.WORKDAY}

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (start itself not counted)."""
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


def load(session: Session) -> Calendar:
    return Calendar(session.scalars(sa.select(CalendarDay)))


def set_days(
    session: Session,
    *,
    days: dict[date, DayKind],
    actor: str,
    now: datetime,
    replace_years: bool = False,
) -> None:
    """Mark days as holidays or adjusted working days (replacing what those days were). With
    ``replace_years``, the years the days fall in are replaced as a whole: a published notice that
    moves a provisional holiday leaves nothing of the old guess behind."""
    if replace_years:
        for year in {d.year for d in days}:
            session.execute(sa.delete(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))))
        session.flush()
    for day, kind in days.items():
        existing = session.get(CalendarDay, day)
        if existing is None:
            session.add(CalendarDay(day=day, kind=kind))
        else:
            existing.kind = kind
    audit.record(
        session,
        actor=actor,
        action="calendar.set",
        object_type="calendar",
        object_id=min(days).year,
        changes={d.isoformat(): k.value for d, k in sorted(days.items())},
        now=now,
    )
    session.flush()


CALENDAR_DIR = Path(__file__).parent / "calendars"


def read_calendar_file(path: Path) -> dict[date, DayKind]:
    """Read a calendar file: {"holidays": [ISO dates], "workdays": [ISO dates]}."""
    data = json.loads(path.read_text(encoding="utf-8"))
    days = {date.fromisoformat(d): DayKind.HOLIDAY for d in data.get("holidays", [])}
    days.update({date.fromisoformat(d): DayKind.WORKDAY for d in data.get("workdays", [])})
    return days


def shipped_years() -> list[int]:
    return sorted(int(p.stem) for p in CALENDAR_DIR.glob("*.json"))


def is_provisional(year: int) -> bool:
    """True when the shipped calendar of ``year`` is a provisional one (holidays without 调休)."""
    path = CALENDAR_DIR / f"{year}.json"
    return path.exists() and bool(json.loads(path.read_text(encoding="utf-8")).get("provisional"))
