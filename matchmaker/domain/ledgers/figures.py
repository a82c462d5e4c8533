"""The district's view of its instruments: capacity, in force, available, turnover, compensation rate — overall
and by month, bank, township and industry — each figure computed from the entries the actor may see, so every
figure equals the sum of the entries its drill-down lists."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, String, case, cast, func, select
from sqlalchemy.orm import Session

from ...models import Bank, Firm, Township, User
from ...models.firms import INDUSTRIES
from ...models.ledgers import OPENING_EVENTS, Instrument, LedgerEntry
from ...text import N_
from ..core.visibility import visible_to
from .entries import signed_in_use

# labels: Chinese msgids, shown with |t; a breakdown line's label is a proper name (bank, township), a glossary
# label (industry), a month (2026-01) or NOT_FILLED
DIMENSIONS = {"month": N_("月份"), "bank": N_("银行"), "township": N_("镇街"), "industry": N_("行业")}
BY = {"month": N_("按月份"), "bank": N_("按银行"), "township": N_("按镇街"), "industry": N_("按行业")}
NOT_FILLED = N_("未填")


def visible_entries(actor: User) -> Select:
    """Entries the actor may see: the district all; a township its firms'; a bank its own loans'; a firm its own."""
    return visible_to(actor, select(LedgerEntry), LedgerEntry.id,
                      township=LedgerEntry.firm_id.in_(select(Firm.id).where(Firm.township_id == actor.township_id)),
                      enterprise=LedgerEntry.firm_id == actor.firm_id,
                      bank=LedgerEntry.bank_id == actor.bank_id)


def _key(dimension: str, dialect: str):
    if dimension == "month":
        if dialect == "sqlite":
            return func.strftime("%Y-%m", LedgerEntry.on_date)
        return func.to_char(LedgerEntry.on_date, "YYYY-MM")
    if dimension == "bank":
        return cast(LedgerEntry.bank_id, String)
    if dimension == "township":
        return select(cast(Firm.township_id, String)).where(Firm.id == LedgerEntry.firm_id).scalar_subquery()
    if dimension == "industry":
        return select(Firm.industry).where(Firm.id == LedgerEntry.firm_id).scalar_subquery()
    raise ValueError(dimension)


@dataclass
class Figures:
    key: str | None
    label: str
    opened: int = 0  # 累计: guarantees issued, bridge money drawn, invested … (net of reversals)
    cases: int = 0  # 笔数 / 周转次数
    in_force: int = 0
    compensated: int = 0
    recovered: int = 0
    fees: int = 0
    capacity: int = 0

    @property
    def available(self) -> int:
        return self.capacity - self.in_force if self.capacity else 0

    @property
    def compensation_rate(self) -> float | None:
        return self.compensated / self.opened if self.opened else None

    @property
    def use_rate(self) -> float | None:
        return self.in_force / self.capacity if self.capacity else None


def _measures():
    opening = LedgerEntry.event.in_(OPENING_EVENTS)
    return (func.coalesce(func.sum(case((opening, LedgerEntry.amount), else_=0)), 0),
            func.coalesce(func.sum(case((opening & LedgerEntry.corrects_id.is_(None), 1),
                                        (opening, -1), else_=0)), 0),
            func.coalesce(func.sum(signed_in_use()), 0),
            func.coalesce(func.sum(case((LedgerEntry.event == "compensated", LedgerEntry.amount), else_=0)), 0),
            func.coalesce(func.sum(case((LedgerEntry.event == "recovered", LedgerEntry.amount), else_=0)), 0),
            func.coalesce(func.sum(LedgerEntry.fee), 0))


def _fill(fig: Figures, row) -> Figures:
    fig.opened, fig.cases, fig.in_force, fig.compensated, fig.recovered, fig.fees = (int(v) for v in row)
    return fig


def overview(session: Session, actor: User) -> list[tuple[Instrument, Figures]]:
    """One line per instrument."""
    seen = visible_entries(actor).subquery()
    rows = {r[0]: r[1:] for r in session.execute(
        select(LedgerEntry.instrument_id, *_measures()).where(LedgerEntry.id.in_(select(seen.c.id)))
        .group_by(LedgerEntry.instrument_id))}
    out = []
    for inst in session.scalars(select(Instrument).order_by(Instrument.id)):
        fig = Figures(inst.code, inst.name, capacity=inst.capacity)
        if inst.id in rows:
            _fill(fig, rows[inst.id])
        out.append((inst, fig))
    return out


def _labels(session: Session, dimension: str) -> dict[str, str]:
    if dimension == "bank":
        return {str(i): n for i, n in session.execute(select(Bank.id, Bank.name))}
    if dimension == "township":
        return {str(i): n for i, n in session.execute(select(Township.id, Township.name))}
    if dimension == "industry":
        return dict(INDUSTRIES)
    return {}


def breakdown(session: Session, actor: User, instrument_id: int, dimension: str) -> list[Figures]:
    """The instrument's figures by `dimension` (DIMENSIONS), one line per value (未填 for none)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    key = _key(dimension, session.get_bind().dialect.name).label("k")
    seen = visible_entries(actor).subquery()
    stmt = (select(key, *_measures()).where(LedgerEntry.instrument_id == instrument_id,
                                            LedgerEntry.id.in_(select(seen.c.id)))
            .group_by(key).order_by(key))
    labels = _labels(session, dimension)
    return [_fill(Figures(k, labels.get(k, k) if k is not None else NOT_FILLED), row[1:])
            for row in session.execute(stmt) for k in [row[0]]]


def drill(session: Session, actor: User, instrument_id: int | None = None, dimension: str | None = None,
          key: str | None = None, case_id: int | None = None) -> Select:
    """The entries behind one figure (sorted by date), to list or export."""
    stmt = visible_entries(actor)
    if instrument_id:
        stmt = stmt.where(LedgerEntry.instrument_id == instrument_id)
    if dimension in DIMENSIONS:
        expr = _key(dimension, session.get_bind().dialect.name)
        stmt = stmt.where(expr.is_(None) if key in (None, "", "none") else expr == key)
    if case_id:
        stmt = stmt.where((LedgerEntry.case_id == case_id) | (LedgerEntry.id == case_id))
    return stmt.order_by(LedgerEntry.on_date, LedgerEntry.id)


def totals(entries) -> Figures:
    """The same figures summed in Python over listed entries (the drill-down's footer)."""
    from .entries import IN_USE

    fig = Figures(None, N_("合计"))
    for e in entries:
        if e.event in OPENING_EVENTS:
            fig.opened += e.amount
            fig.cases += -1 if e.corrects_id else 1
        fig.in_force += e.amount * IN_USE.get(e.event, 0)
        fig.compensated += e.amount if e.event == "compensated" else 0
        fig.recovered += e.amount if e.event == "recovered" else 0
        fig.fees += e.fee
    return fig
