"""Base-period figures as data: the district enters each bank's December figures of the year before the three-year
goals start (the policy's 2020 年末 工业贷款余额 and 各项贷款余额); the +53 亿 goal and the growth since the base
are measured from them (`figures.base_figures`: the entered figure, else the bank's own report for that month)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Bank, BankBase, User
from ...text import N_
from ..core.changes import record_changes
from ..core.errors import Conflict, DomainError, Forbidden
from . import figures, monthly_reports
from .goals import goals

FIELDS = (("industrial_loans", "ind", N_("工业贷款余额")), ("loans", "loans", N_("各项贷款余额")))


def base_month(session: Session) -> date:
    """December of the year before the goals' first year (2020-12 for the 2021–2023 plan)."""
    return date(int(goals(session)["start_year"]) - 1, 12, 1)


def entered(session: Session, month: date) -> dict[int, BankBase]:
    return {b.bank_id: b for b in session.scalars(select(BankBase).where(BankBase.month == month))}


def base_map(session: Session, month: date | None = None) -> dict[int, dict]:
    """Every bank's base figures ({bank_id: {industrial_loans, loans, source}}) for the base month; banks with
    neither an entered figure nor a report for that month are absent."""
    month = month or base_month(session)
    typed = entered(session, month)
    reports = {b: r for (b, m), r in monthly_reports.latest(session, [month]).items() if m == month}
    out = {}
    for bank_id in typed.keys() | reports.keys():
        value = figures.base_figures(typed.get(bank_id), reports.get(bank_id))
        if value is not None:
            out[bank_id] = value
    return out


def set_base(session: Session, actor: User, month: date, values: dict[int, tuple[object, object]]) -> int:
    """The district enters (or corrects) the base figures: {bank_id: (industrial loans 亿元, total loans 亿元)}.
    A blank pair removes what was entered (the bank's own report counts again); a half-filled, unparsable or
    implausible pair is refused naming the bank's field (industrial loans cannot exceed total loans). Each change
    goes to the history. Returns how many banks changed."""
    if actor.role != "district":
        raise Forbidden("只有区金融监管局可以录入基期数据")
    banks = {b.id: b for b in session.scalars(select(Bank))}
    clean: dict[int, dict[str, int] | None] = {}
    for bank_id, pair in values.items():
        if bank_id not in banks:
            raise DomainError("银行不存在", field=f"ind_{bank_id}")
        texts = [str(v).strip() if v is not None else "" for v in pair]
        if not any(texts):
            clean[bank_id] = None
            continue
        row = {}
        for text, (name, prefix, label) in zip(texts, FIELDS, strict=True):
            field = f"{prefix}_{bank_id}"
            if not text:
                raise DomainError("%(bank)s：请填写%(label)s", field=field, bank=banks[bank_id].name, label=label)
            if len(text) > 24:
                raise DomainError("%(bank)s：%(label)s过长", field=field, bank=banks[bank_id].name, label=label)
            try:
                row[name] = monthly_reports.to_yuan(monthly_reports.FIGURE_BY_NAME[name], text)
            except DomainError as exc:
                raise DomainError("%(bank)s：%(label)s%(error)s", field=field, bank=banks[bank_id].name, label=label,
                                  error=exc.message) from None
        if row["industrial_loans"] > row["loans"]:
            raise DomainError("%(bank)s：工业贷款余额不得大于各项贷款余额", field=f"ind_{bank_id}", bank=banks[bank_id].name)
        clean[bank_id] = row
    have = {b.bank_id: b for b in session.scalars(select(BankBase).where(BankBase.month == month)
                                                  .with_for_update(of=BankBase))}
    changed = 0
    for bank_id, row in clean.items():
        base = have.get(bank_id)
        old = {name: getattr(base, name) for name, _, _ in FIELDS} if base else {}
        if row is None:
            if base is not None:
                session.delete(base)
                record_changes(session, actor, "bank_base", bank_id, old, {}, note=f"{month:%Y年%m月}基期数据（清除）")
                changed += 1
            continue
        if old == row:
            continue
        if base is None:
            base = BankBase(bank_id=bank_id, month=month)
            session.add(base)
        for name, value in row.items():
            setattr(base, name, value)
        base.updated_by_id = actor.id
        try:
            session.flush()
        except IntegrityError:  # another district user entered the same bank's base a moment ago
            session.rollback()
            raise Conflict("%(bank)s的基期数据刚刚已由他人录入，请刷新后再改", bank=banks[bank_id].name) from None
        record_changes(session, actor, "bank_base", bank_id, old, row, note=f"{month:%Y年%m月}基期数据")
        changed += 1
    session.flush()
    return changed
