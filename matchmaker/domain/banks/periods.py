"""Reporting periods — a month (2022-03), a quarter (2022Q1) or a year (2022) — with Beijing-time boundaries."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from babel.dates import format_date
from sqlalchemy.orm import Session

from ...text import N_
from ..core import workdays
from ..core.errors import DomainError
from ..core.translate import text as translated

CST = timedelta(hours=8)
KINDS = {"monthly": N_("月通报"), "quarterly": N_("季评价"), "annual": N_("年考核")}
QUARTER_NAMES = {1: N_("第一季度"), 2: N_("第二季度"), 3: N_("第三季度"), 4: N_("第四季度")}


def add_months(first: date, n: int) -> date:
    """The first day of the month `n` months after the month of `first`."""
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_key(first: date) -> str:
    return first.strftime("%Y-%m")


def local_date(at_utc: datetime) -> date:
    """The Beijing date of a naive-UTC timestamp."""
    return (at_utc + CST).date()


def utc_start(day: date) -> datetime:
    """The naive-UTC instant at which `day` begins in Beijing."""
    return datetime.combine(day, time()) - CST


class _PlainCalendar:
    """China's calendar without the district's table (until the clocks work provides `load_calendar`)."""

    add_workdays = staticmethod(workdays.add_workdays)
    workdays_between = staticmethod(workdays.workdays_between)


def calendar(session: Session):
    """The working-day calendar, with the district's own overrides where the clocks work provides them."""
    loader = getattr(workdays, "load_calendar", None)
    return loader(session) if loader is not None else _PlainCalendar()


@dataclass(frozen=True)
class Period:
    kind: str  # monthly / quarterly / annual
    key: str
    start: date  # first day
    end: date  # first day after the period

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def months(self) -> list[date]:
        out, current = [], self.start
        while current < self.end:
            out.append(current)
            current = add_months(current, 1)
        return out

    @property
    def last_month(self) -> date:
        return add_months(self.end, -1)

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarterly":
            return f"{self.start.year}年{QUARTER_NAMES[(self.start.month - 1) // 3 + 1]}"
        return f"{self.start.year}年度"

    def label_in(self, locale: str | None) -> str:
        """The label in `locale` ("2022年3月" / "March 2022", "2022年第一季度" / "Q1 2022", "2022年度" / "2022")."""
        if not locale or locale.startswith("zh"):
            return self.label
        if self.kind == "monthly":
            return format_date(self.start, "MMMM y", locale=locale)
        if self.kind == "quarterly":
            quarter = translated(locale, QUARTER_NAMES[(self.start.month - 1) // 3 + 1])
            return translated(locale, N_("%(year)s年%(quarter)s"), year=self.start.year, quarter=quarter)
        return translated(locale, N_("%(year)s年度"), year=self.start.year)

    def previous(self) -> "Period":
        step = {"monthly": 1, "quarterly": 3, "annual": 12}[self.kind]
        return _make(self.kind, add_months(self.start, -step))


def _make(kind: str, start: date) -> Period:
    if kind == "monthly":
        return Period(kind, month_key(start), start, add_months(start, 1))
    if kind == "quarterly":
        return Period(kind, f"{start.year}Q{(start.month - 1) // 3 + 1}", start, add_months(start, 3))
    return Period(kind, str(start.year), start, date(start.year + 1, 1, 1))


def month_label(first: date, locale: str | None = None) -> str:
    """A month as its period's label in `locale` ("2022年3月" / "March 2022")."""
    return _make("monthly", date(first.year, first.month, 1)).label_in(locale)


def _year(text: str, field: str) -> int:
    year = int(text)
    if not 2000 <= year <= 2100:
        raise DomainError("年份应在2000–2100之间", field=field)
    return year


def parse_month(text: str | None, field: str = "month") -> date:
    """'2022-03' (or '2022-3', '2022/03', '202203') -> date(2022, 3, 1)."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?\s*", text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DomainError("月份“%(text)s”格式应为 YYYY-MM，例如 2022-03", field=field, text=text or "")
    return date(_year(m.group(1), field), int(m.group(2)), 1)


def parse(kind: str, key: str | None) -> Period:
    """A period of `kind` from its key: monthly '2022-03', quarterly '2022Q1', annual '2022'."""
    text = (key or "").strip().upper()
    if kind == "monthly":
        return _make(kind, parse_month(text))
    if kind == "quarterly":
        m = re.fullmatch(r"(\d{4})\s*-?Q([1-4])", text)
        if not m:
            raise DomainError("季度“%(text)s”格式应为 YYYYQn，例如 2022Q1", field="quarter", text=key or "")
        return _make(kind, date(_year(m.group(1), "quarter"), (int(m.group(2)) - 1) * 3 + 1, 1))
    if kind == "annual":
        if not re.fullmatch(r"\d{4}", text):
            raise DomainError("年份“%(text)s”格式应为 YYYY，例如 2022", field="year", text=key or "")
        return _make(kind, date(_year(text, "year"), 1, 1))
    raise DomainError("未知的期间类型")


def parse_any(key: str | None) -> Period:
    """Guess the kind from the key's shape (used by drill-down links)."""
    text = (key or "").strip().upper()
    kind = "quarterly" if "Q" in text else ("annual" if re.fullmatch(r"\d{4}", text) else "monthly")
    return parse(kind, text)


def latest_complete(kind: str, today: date) -> Period:
    """The last period of `kind` that has ended by `today`."""
    current = _make(kind, date(today.year, today.month, 1) if kind == "monthly" else
                    date(today.year, ((today.month - 1) // 3) * 3 + 1, 1) if kind == "quarterly" else
                    date(today.year, 1, 1))
    return current.previous()
