"""One set of input limits for every way in (forms, imports, CLI, API): text lengths read from the model columns,
numbers that must parse as plain decimals, phone numbers, plausible dates, and LIKE searches with their wildcards
escaped. A value over a limit is refused with the field named, never cut short or turned into "empty".

A `label` (and `unit`) is a marked msgid itself: the messages carry it as the `label` / `unit_label` param, which
the web (i18n.error_text) and translate.text show in the reader's language too."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import Column
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from ...text import N_
from .errors import DomainError

QUOTE_CHARS = 30
NOTE_MAX = 1000  # free-text notes kept in the history (contact, review, decline)


def max_length(column: InstrumentedAttribute | Column) -> int | None:
    """The length of a String(n) column (`Firm.name` -> 200), None for unbounded text."""
    col = column if isinstance(column, Column) else column.property.columns[0]
    return getattr(col.type, "length", None)


def quote(value, limit: int = QUOTE_CHARS) -> str:
    """A typed value for a message: never the whole of a long one."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def check_length(value: str | None, limit: int | None, label: str, field: str | None = None) -> str:
    """`value` stripped, or a refusal naming the field when it is longer than `limit`."""
    text = (value or "").strip()
    if limit is not None and len(text) > limit:
        raise DomainError("%(label)s不能超过%(limit)s字（现为%(length)s字）", field=field, label=label, limit=limit,
                          length=len(text))
    return text


def check_column(value: str | None, column: InstrumentedAttribute, label: str, field: str | None = None) -> str:
    """`check_length` with the limit of the model column the value goes into."""
    return check_length(value, max_length(column), label, field or column.key)


# Numbers ---------------------------------------------------------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
MAX_DIGITS = 18


def parse_decimal(text, label: str = N_("数值"), field: str | None = None) -> Decimal | None:
    """A plain decimal as people type it ("1,234.5"); "" is None. Exponents ("1e309"), NaN, infinities and
    numbers of more than 18 digits are refused as not valid numbers, never read as empty."""
    raw = "" if text is None else str(text).strip()
    if not raw:
        return None
    cleaned = raw.replace(",", "").replace("，", "").replace(" ", "")
    if not _PLAIN_NUMBER.match(cleaned) or len(cleaned.lstrip("+-").replace(".", "")) > MAX_DIGITS:
        raise DomainError("%(label)s“%(value)s”不是有效的数字", field=field, label=label, value=quote(raw))
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise DomainError("%(label)s“%(value)s”不是有效的数字", field=field, label=label, value=quote(raw)) from None


def check_amount(value: Decimal | None, maximum: Decimal | int, label: str = N_("金额"), unit: str = N_("万元"),
                 field: str | None = None, allow_zero: bool = False) -> Decimal | None:
    """An amount that must be above 0 (or at least 0) and at most `maximum`, each bound with its own message."""
    if value is None:
        return None
    if allow_zero and value < 0:
        raise DomainError("%(label)s不能小于 0", field=field, label=label)
    if not allow_zero and value <= 0:
        raise DomainError("%(label)s须大于 0", field=field, label=label)
    if value > maximum:
        raise DomainError("%(label)s不能超过 %(maximum)s %(unit_label)s", field=field, label=label, maximum=maximum,
                          unit_label=unit)
    return value


# Phones ----------------------------------------------------------------------------------------------------------

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")


def check_phone(value: str | None, label: str = N_("联系电话"), field: str | None = "phone",
                required: bool = False) -> str:
    """A mainland mobile (13800000000, +86 allowed) or a landline with its area code (0632-1234567, an
    extension after a dash); spaces are dropped. "" when not required and empty."""
    text = re.sub(r"[\s　]", "", value or "")
    if text.startswith("+86"):
        text = text[3:]
    if not text:
        if required:
            raise DomainError("请填写%(label)s", field=field, label=label)
        return ""
    if not (MOBILE.match(text) or LANDLINE.match(text)):
        raise DomainError("%(label)s“%(value)s”不是有效的号码：请填写11位手机号或带区号的固定电话（如 0632-1234567）",
                          field=field, label=label, value=quote(value))
    return text


# Dates -----------------------------------------------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_date_between(day: date | None, first: date, last: date, label: str, field: str | None = None) -> date:
    if day is None:
        raise DomainError("请填写%(label)s", field=field, label=label)
    if not first <= day <= last:
        raise DomainError("%(label)s应在 %(first)s 至 %(last)s 之间", field=field, label=label, first=first, last=last)
    return day


# Searches --------------------------------------------------------------------------------------------------------

def contains(column, text: str) -> ColumnElement[bool]:
    """`column` contains `text` literally: % and _ typed in a search box match themselves, not everything."""
    return column.contains(text, autoescape=True)
