"""Firm records: names with their pinyin forms for search, profile updates, and who may see a firm."""
from __future__ import annotations

import unicodedata

from pypinyin import Style, lazy_pinyin
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..core.limits import check_column, check_length, check_phone, contains
from ...models import Firm, User
from ..core.errors import DomainError, Forbidden, NotFound
from . import uscc as uscc_rules


def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin (no spaces) and initials of a Chinese name, lower case."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def set_firm_name(firm: Firm, name: str) -> None:
    """The firm's name (held to the column's length, never cut) and its pinyin forms for search."""
    firm.name = check_column(name, Firm.name, "企业名称", "name")
    firm.name_pinyin, firm.name_initials = pinyin_forms(firm.name)


def visible_firms(actor: User) -> Select:
    """Firms the actor may list: district all, township its own, enterprise itself, banks none by default."""
    query = select(Firm)
    if actor.role == "district":
        return query
    if actor.role == "township":
        return query.where(Firm.township_id == actor.township_id)
    if actor.role == "enterprise":
        return query.where(Firm.id == actor.firm_id)
    return query.where(Firm.id.is_(None))


def search_clause(term: str):
    """One search box: Chinese name (full- or half-width, any spacing), full pinyin, pinyin initials or USCC."""
    term = unicodedata.normalize("NFKC", term or "").strip()
    if not term:
        return None
    compact = "".join(term.split())
    lowered = compact.lower()
    clauses = [contains(Firm.name, term), contains(Firm.name_pinyin, lowered),
               contains(Firm.name_initials, lowered)]
    if compact != term:
        clauses.append(contains(Firm.name, compact))
    code = uscc_rules.normalise(compact)
    if code.isalnum() and code.isascii():
        clauses.append(contains(Firm.uscc, code))
    return or_(*clauses)


def get_firm_for(session: Session, actor: User, firm_id: int) -> Firm:
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFound("企业不存在")
    if actor.role == "district":
        return firm
    if actor.role == "township" and firm.township_id == actor.township_id:
        return firm
    if actor.role == "enterprise" and actor.firm_id == firm.id:
        return firm
    raise Forbidden("无权查看该企业")


DESCRIPTION_MAX = 2000
PROFILE_FIELDS = ("township_id", "industry", "size", "founded_year", "has_bank_loan", "tax_credit_grade",
                  "contact_person", "contact_phone", "address", "description")


def update_profile(session: Session, actor: User, firm: Firm, name: str, **values) -> Firm:
    """Update a firm's profile (the USCC is fixed once set)."""
    get_firm_for(session, actor, firm.id)
    if not (name or "").strip():
        raise DomainError("请填写企业名称", field="name")
    set_firm_name(firm, name)
    if "contact_phone" in values:
        values["contact_phone"] = check_phone(values["contact_phone"], "联系电话", "contact_phone", required=True)
    for key, label in (("contact_person", "联系人"), ("address", "地址")):
        if key in values:
            values[key] = check_column(values[key], getattr(Firm, key), label)
    if "description" in values:
        values["description"] = check_length(values["description"], DESCRIPTION_MAX, "主营业务简介", "description")
    for key in (*PROFILE_FIELDS, "existing_bank_debt"):  # debt in 元, used by products' debt ceilings
        if key in values:
            setattr(firm, key, values[key])
    return firm
