"""Working days on China's calendar (with its swapped working weekends), for the clocks on every step.

Order of authority: the district's own table (to be added by the clocks work), then the `chinese_calendar`
library, then plain Monday–Friday for dates the library does not cover (it raises NotImplementedError
outside its data, e.g. for 2027 before an update).
"""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    """Whether `day` is a working day; `overrides` maps dates to True (working) or False (holiday)."""
    if overrides and day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: date, days: int, overrides: dict[date, bool] | None = None) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            remaining -= 1
    return current


def workdays_between(start: date, end: date, overrides: dict[date, bool] | None = None) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            count += 1
    return count
