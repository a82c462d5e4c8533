"""Working days on China's calendar (with its swapped working weekends), for the clocks on every step.

Order of authority: the district's own table (`WorkdayOverride`, edited on /district/workdays or loaded from a CSV),
then the `chinese_calendar` library, then plain Monday–Friday for dates the library does not cover (it raises
NotImplementedError outside its data, e.g. for 2027 before an update). The table lists only the exceptions of a
year (holidays on weekdays, working weekends), so a few rows of a year say nothing about the rest of it: a year
counts as entered only once the district marks it complete (on the page, or by loading a whole year's schedule
with `load-workdays --complete`). Until then its unlisted days are "fallback" and the district is warned.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Setting, WorkdayOverride, utcnow
from .errors import Conflict, DomainError, NotFound

CST_OFFSET = timedelta(hours=8)  # China Standard Time, no daylight saving
SOURCE_LABELS = {"table": "区里维护的调休表", "complete": "调休表（全年已录入，未列日期按周一至周五）",
                 "library": "chinese_calendar 法定节假日数据", "fallback": "按周一至周五估算（尚无该年安排）"}
COMPLETE_YEARS_KEY = "workday_complete_years"
NOTE_MAX = WorkdayOverride.__table__.c.note.type.length
YEAR_RANGE = (2000, 2100)
COVERAGE_DAYS = 60


def local_date(now_utc: datetime | None = None) -> date:
    """The date in Beijing at a naive-UTC instant (default: now)."""
    return ((now_utc or utcnow()) + CST_OFFSET).date()


def local_midnight_utc(day: date) -> datetime:
    """Naive UTC instant at which `day` begins in Beijing."""
    return datetime.combine(day, time()) - CST_OFFSET


@lru_cache(maxsize=None)  # a pure function of the installed library; every calendar loaded asks it again
def _library(day: date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@dataclass
class Calendar:
    """Working days: `overrides` (date -> True working / False day off) first, then the library, then Mon–Fri."""

    overrides: dict[date, bool] = field(default_factory=dict)
    complete_years: set[int] = field(default_factory=set)
    _cache: dict[date, bool] = field(default_factory=dict, repr=False)

    def source(self, day: date) -> str:
        """Which authority decides `day`: "table" (listed), "library", "complete" (unlisted in a year the district
        marked complete: plain Monday–Friday by its word) or "fallback" (nobody knows: Monday–Friday, warn)."""
        if day in self.overrides:
            return "table"
        if _library(day) is not None:
            return "library"
        return "complete" if day.year in self.complete_years else "fallback"

    def is_workday(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            if day in self.overrides:
                cached = self.overrides[day]
            else:
                known = _library(day)
                cached = known if known is not None else day.weekday() < 5
            self._cache[day] = cached
        return cached

    def add_workdays(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count

    def latest_overdue_start(self, today: date, days: int) -> date:
        """The latest start date whose deadline (`days` working days later) was before `today`: anything that
        started on or before it is overdue on `today`."""
        start = today - timedelta(days=1)
        while self.add_workdays(start, days) >= today:
            start -= timedelta(days=1)
        return start

    def fallback_days(self, start: date, days: int = COVERAGE_DAYS) -> list[date]:
        """Dates in [start, start + days] that neither the table nor the library covers."""
        return [d for d in (start + timedelta(days=i) for i in range(days + 1)) if self.source(d) == "fallback"]


def load_calendar(session: Session) -> Calendar:
    """The calendar with the district's overrides from the database."""
    rows = session.execute(select(WorkdayOverride.day, WorkdayOverride.is_workday)).all()
    return Calendar(overrides={day: bool(flag) for day, flag in rows}, complete_years=complete_years(session))


# Module-level helpers for callers with no database at hand (overrides given explicitly, or none).
def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    return Calendar(dict(overrides or {})).is_workday(day)


def add_workdays(start: date, days: int, overrides: dict[date, bool] | None = None) -> date:
    return Calendar(dict(overrides or {})).add_workdays(start, days)


def workdays_between(start: date, end: date, overrides: dict[date, bool] | None = None) -> int:
    return Calendar(dict(overrides or {})).workdays_between(start, end)


@dataclass(frozen=True)
class Coverage:
    """What decides the days from `start` on, and whether the district must be warned."""

    start: date
    days: int
    fallback: list[date]

    @property
    def warn(self) -> bool:
        return bool(self.fallback)

    @property
    def message(self) -> str:
        if not self.fallback:
            return ""
        first, last = self.fallback[0], self.fallback[-1]
        years = "、".join(str(y) for y in sorted({d.year for d in self.fallback}))
        return (f"{first} 至 {last} 共 {len(self.fallback)} 天超出 chinese_calendar 的数据范围，调休表中"
                f"{years}年的安排也还没有标记为“全年已录入”，这些日期暂按周一至周五计算，节假日和调休上班日会算错。"
                f"请在“工作日调休”页录入国务院办公厅公布的{years}年放假和调休上班日期，录完后标记该年“全年已录入”。")


def coverage(session: Session, start: date | None = None, days: int = COVERAGE_DAYS) -> Coverage:
    start = start or local_date()
    return Coverage(start, days, load_calendar(session).fallback_days(start, days))


# The district's table -------------------------------------------------------------------------------------------

def complete_years(session: Session) -> set[int]:
    """The years the district has marked as fully entered in its table."""
    row = session.get(Setting, COMPLETE_YEARS_KEY)
    return {int(y) for y in (row.value or [])} if row is not None and isinstance(row.value, list) else set()


def _check_year(year: int) -> None:
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise DomainError(f"年份应在{YEAR_RANGE[0]}–{YEAR_RANGE[1]}之间", field="year")


def mark_year(session: Session, year: int, complete: bool = True) -> set[int]:
    """Mark `year` as fully entered in the table (or take the mark back); returns the marked years. The setting
    row is locked so two marks at once both count."""
    _check_year(year)
    row = session.get(Setting, COMPLETE_YEARS_KEY, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                row = Setting(key=COMPLETE_YEARS_KEY, value=[])
                session.add(row)
        except IntegrityError:  # created by someone else just now
            row = session.get(Setting, COMPLETE_YEARS_KEY, with_for_update=True, populate_existing=True)
    years = {int(y) for y in (row.value or [])}
    years = years | {year} if complete else years - {year}
    row.value = sorted(years)
    session.flush()
    return years

def list_overrides(session: Session, year: int | None = None) -> list[WorkdayOverride]:
    query = select(WorkdayOverride).order_by(WorkdayOverride.day)
    if year:
        query = query.where(WorkdayOverride.day >= date(year, 1, 1), WorkdayOverride.day <= date(year, 12, 31))
    return list(session.scalars(query))


def working_flag(value) -> bool:
    """A working-day flag as given by a form or a caller: 1/"1"/True is a working day, 0/"0"/False a day off;
    anything else (5, "", "yes") is refused rather than read as a day off."""
    if value in (True, False) or value in ("0", "1"):
        return bool(int(value))
    raise DomainError("“这一天”只能是 0（放假）或 1（上班）", field="is_workday")


def save_override(session: Session, day: date | None, is_workday, note: str = "",
                  original: date | None = None) -> WorkdayOverride:
    """Add an override, or change one (`original` is its date before the edit)."""
    is_workday = working_flag(is_workday)
    if day is None:
        raise DomainError("请填写日期", field="day")
    if not 2000 <= day.year <= 2100:
        raise DomainError("日期应在2000–2100年之间", field="day")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"说明不超过{NOTE_MAX}字", field="note")
    row = session.get(WorkdayOverride, original, with_for_update=True) if original else None
    if original and row is None:
        raise NotFound("该日期的调休记录不存在")
    clash = session.get(WorkdayOverride, day) if day != original else None
    if clash is not None:
        raise DomainError(f"{day} 已有调休记录，请直接修改该记录", field="day")
    if row is not None and day != original:
        session.delete(row)
        session.flush()
        row = None
    if row is not None:
        row.is_workday, row.note = bool(is_workday), note
        session.flush()
        return row
    try:
        with session.begin_nested():  # the same date added by someone else at the same moment
            row = WorkdayOverride(day=day, is_workday=bool(is_workday), note=note)
            session.add(row)
    except IntegrityError:
        raise Conflict(f"{day} 的调休记录刚刚已被他人添加，请刷新页面后查看或修改该记录", field="day") from None
    return row


def delete_override(session: Session, day: date) -> None:
    row = session.get(WorkdayOverride, day)
    if row is None:
        raise NotFound("该日期的调休记录不存在")
    session.delete(row)
    session.flush()


TRUE_WORDS = {"1", "true", "yes", "y", "workday", "work", "班", "上班", "工作日"}
FALSE_WORDS = {"0", "false", "no", "n", "holiday", "off", "休", "休息", "放假", "节假日"}


def parse_override_rows(lines: Iterable[str], source: str = "CSV") -> list[tuple[date, bool, str]]:
    """Rows of a `date,is_workday,note` CSV (lines starting with # are comments; header optional)."""
    rows: list[tuple[date, bool, str]] = []
    content = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    for lineno, cells in enumerate(csv.reader(content), start=1):
        cells = [c.strip() for c in cells] + ["", ""]
        if cells[0].lower() in ("date", "day", "日期"):
            continue
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            raise DomainError(f"{source} 第{lineno}条：日期“{cells[0]}”应为 YYYY-MM-DD") from None
        flag = cells[1].lower()
        if flag not in TRUE_WORDS | FALSE_WORDS:
            raise DomainError(f"{source} 第{lineno}条：“{cells[1]}”应为 1（上班）或 0（放假）")
        if not YEAR_RANGE[0] <= day.year <= YEAR_RANGE[1]:
            raise DomainError(f"{source} 第{lineno}条：日期“{cells[0]}”应在{YEAR_RANGE[0]}–{YEAR_RANGE[1]}年之间")
        if len(cells[2]) > NOTE_MAX:
            raise DomainError(f"{source} 第{lineno}条：说明超过{NOTE_MAX}字")
        rows.append((day, flag in TRUE_WORDS, cells[2]))
    return rows


def load_overrides_csv(session: Session, path: Path, complete: bool = False) -> int:
    """Load (insert or update) the overrides of a CSV file; returns how many dates it set. With `complete` the
    file is a whole year's schedule: every year in it is marked as fully entered."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = parse_override_rows(fh, path.name)
    for day, flag, note in rows:
        row = session.get(WorkdayOverride, day, with_for_update=True) or WorkdayOverride(day=day)
        row.is_workday, row.note = flag, note
        session.add(row)
    session.flush()
    if complete:
        for year in sorted({day.year for day, _, _ in rows}):
            mark_year(session, year)
    return len(rows)
