"""Shared form pieces: choices built from the database and the glossary, and the fields and validators that
apply the domain's input limits (`domain.core.limits`) the same way in every form."""
from __future__ import annotations

import datetime

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select
from wtforms import DateField, DecimalField, SelectChoice
from wtforms.validators import StopValidation, ValidationError

from ..db import get_session
from ..domain.core import limits
from ..domain.core.errors import DomainError
from ..models import Bank, ProductKind, Township
from ..models.firms import FIRM_SIZES, INDUSTRIES, TAX_CREDIT_GRADES
from ..models.products import COLLATERAL_KINDS
from ..text import N_
from .i18n import error_text


def labelled(mapping: dict) -> list[SelectChoice]:
    """Choices from a glossary of code -> Chinese msgid (marked N_), each label translated when rendered."""
    return [SelectChoice(code, lazy_gettext(label)) for code, label in mapping.items()]


def named(rows, blank: str | None) -> list[SelectChoice]:
    """Choices of records by their proper names (towns, banks): the names are data, so each option carries
    `data-user` (the language tests skip it); the blank option is interface text, translated."""
    choices = [SelectChoice(value, name, render_kw={"data-user": ""}) for value, name in rows]
    return ([SelectChoice("", gettext(blank))] if blank else []) + choices


def township_choices(blank: str | None = N_("请选择镇街")) -> list[SelectChoice]:
    rows = get_session().scalars(select(Township).order_by(Township.id))
    return named(((t.id, t.name) for t in rows), blank)


def bank_choices(blank: str | None = N_("请选择银行")) -> list[SelectChoice]:
    rows = get_session().scalars(select(Bank).order_by(Bank.seq))
    return named(((b.id, b.name) for b in rows), blank)


def product_kind_choices(blank: str | None = None) -> list[SelectChoice]:
    """The policy's product kinds by their names (reference data kept in the database: shown as data)."""
    rows = get_session().scalars(select(ProductKind).order_by(ProductKind.name))
    return named(((k.code, k.name) for k in rows), blank)


INDUSTRY_CHOICES = labelled(INDUSTRIES)
SIZE_CHOICES = labelled(FIRM_SIZES)
GRADE_CHOICES = [SelectChoice("", lazy_gettext("未评级/不清楚"))] + [
    SelectChoice(g, lazy_gettext("%(grade)s级", grade=g)) for g in TAX_CREDIT_GRADES]
COLLATERAL_CHOICES = labelled(COLLATERAL_KINDS)


def _bare_label(text) -> str:
    """A field's label less its unit note: "申请金额（万元）" -> "申请金额", "Amount (CNY 10k)" -> "Amount"."""
    return str(text).split("（")[0].split(" (")[0]


def coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class FiniteDecimalField(DecimalField):
    """A DecimalField that reads only plain decimals ("1,234.5"): exponents ("1e309"), NaN and infinities are
    "not a valid number" next to the field, never an empty value or a range message."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.raw_data = valuelist
        try:
            self.data = limits.parse_decimal(valuelist[0], _bare_label(self.label.text))
        except DomainError as exc:
            self.data = None
            raise ValueError(error_text(exc)) from None


class AmountRange:
    """An amount above 0 (or at least 0 with `allow_zero`) and at most `maximum`, with the domain's messages
    ("金额须大于 0"). `label` and `unit` are msgids (`_l("申请金额")`), shown in the reader's language."""

    def __init__(self, maximum, label: str = N_("金额"), unit: str = N_("万元"), allow_zero: bool = False):
        self.maximum, self.label, self.unit, self.allow_zero = maximum, label, unit, allow_zero

    def __call__(self, form, field):
        if field.data is None:
            return
        try:
            limits.check_amount(field.data, self.maximum, self.label, self.unit, allow_zero=self.allow_zero)
        except DomainError as exc:
            raise ValidationError(error_text(exc)) from None


class PlainDateField(DateField):
    """A date typed as YYYY-MM-DD; one that does not exist (2026-02-30) says so instead of "please fill in"."""

    def process_formdata(self, valuelist):
        if not valuelist or not " ".join(valuelist).strip():
            self.data = None
            return
        text = " ".join(valuelist).strip()
        try:
            self.data = datetime.date.fromisoformat(text)
        except ValueError:
            self.data = None
            raise ValueError(gettext("日期“%(value)s”无效：请按 YYYY-MM-DD 填写存在的日期",
                                     value=limits.quote(text))) from None


class DateRequired:
    """A date must be given; unlike DataRequired it keeps the "invalid date" message of an unparsable one."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data is None and not field.errors:
            raise StopValidation(self.message)
        if field.data is None:
            raise StopValidation()


class Phone:
    """A mainland mobile or a landline with area code (`limits.check_phone`)."""

    def __init__(self, label: str = N_("联系电话")):
        self.label = label

    def __call__(self, form, field):
        try:
            field.data = limits.check_phone(field.data, self.label)
        except DomainError as exc:
            raise ValidationError(error_text(exc)) from None


def column_length(column) -> int:
    """The length of the model column a form field fills (`column_length(Firm.name)` -> 200)."""
    return limits.max_length(column)

