"""Shared form pieces: choices built from the database and the glossary."""
from __future__ import annotations

from sqlalchemy import select
from wtforms import DecimalField

from ..db import get_session
from ..models import Bank, ProductKind, Township
from ..models.firms import FIRM_SIZES, INDUSTRIES, TAX_CREDIT_GRADES
from ..models.products import COLLATERAL_KINDS


def township_choices(blank: str | None = "请选择镇街") -> list[tuple]:
    rows = get_session().scalars(select(Township).order_by(Township.id))
    choices = [(t.id, t.name) for t in rows]
    return ([("", blank)] if blank else []) + choices


def bank_choices(blank: str | None = "请选择银行") -> list[tuple]:
    rows = get_session().scalars(select(Bank).order_by(Bank.seq))
    return ([("", blank)] if blank else []) + [(b.id, b.name) for b in rows]


def product_kind_choices() -> list[tuple]:
    return [(k.code, k.name) for k in get_session().scalars(select(ProductKind).order_by(ProductKind.name))]


INDUSTRY_CHOICES = list(INDUSTRIES.items())
SIZE_CHOICES = list(FIRM_SIZES.items())
GRADE_CHOICES = [("", "未评级/不清楚")] + [(g, f"{g}级") for g in TAX_CREDIT_GRADES]
COLLATERAL_CHOICES = list(COLLATERAL_KINDS.items())


def coerce_int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN and infinities as "not a number" (WTForms' NumberRange would fail on them)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError("请填写数字")
