"""The district's own instruments (guarantee company, bridge-loan platforms, industry funds, 投保贷, loan risk
compensation) as reference data, and their ledger: one append-only, hash-chained row per event (a guarantee
issued, released, compensated; bridge money drawn, repaid; an investment made, exited; a claim paid …).
Later events of one case reference the case's opening entry; a correction is a new row referencing the old."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, JSONType, utcnow
from .chain import Chained, append_only
from .firms import Firm

INSTRUMENT_KINDS = {
    "guarantee": N_("政府性融资担保"),
    "bridge": N_("应急转贷"),
    "fund": N_("产业投资基金"),
    "tbd": N_("投保贷联动"),
    "risk_comp": N_("贷款风险奖补"),
}
# The events of each kind; the first one opens a case, the others follow it.
LEDGER_EVENTS = {
    "guarantee": {"issued": N_("出具担保"), "released": N_("解除担保"), "compensated": N_("代偿"), "recovered": N_("追偿收回")},
    "bridge": {"drawn": N_("转贷放款"), "repaid": N_("续贷归还"), "overdue": N_("逾期")},
    "fund": {"invested": N_("投资"), "exited": N_("退出")},
    "tbd": {"deal": N_("四方签约")},
    "risk_comp": {"claimed": N_("申请补偿"), "reviewed": N_("审核通过"), "rejected": N_("审核不通过"), "paid": N_("拨付补偿"),
                  "reward": N_("年度考核奖励")},
    "correction": {"correction": N_("更正")},
}
OPENING_EVENTS = {"issued", "drawn", "invested", "deal", "claimed", "reward"}
FUND_STAGES = {"seed": N_("种子期"), "early": N_("初创期"), "growth": N_("成长期"), "mature": N_("成熟期"), "pre_ipo": N_("拟上市")}


class Instrument(Base):
    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)  # INSTRUMENT_KINDS
    capital: Mapped[int] = mapped_column(BigInteger, default=0)  # 元: the fund size or the registered capital
    leverage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # guarantees outstanding ≤ N × capital
    fee_rate_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))  # a year (guarantee) or a day (bridge)
    max_days: Mapped[int | None] = mapped_column(Integer)  # bridge loans: the longest use
    terms: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def kind_label(self) -> str:
        return INSTRUMENT_KINDS.get(self.kind, self.kind)

    @property
    def capacity(self) -> int:
        """元 that may be in use at once: capital × leverage for the guarantor, the capital otherwise."""
        if self.leverage:
            return int(Decimal(self.capital) * self.leverage)
        return self.capital


class LedgerEntry(Chained, Base):
    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    event: Mapped[str] = mapped_column(String(16), index=True)  # LEDGER_EVENTS
    case_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), index=True)  # the opening entry
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("financing_request.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # 元
    fee: Mapped[int] = mapped_column(BigInteger, default=0)  # 元
    on_date: Mapped[date] = mapped_column(Date, index=True)
    term_days: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(16))  # fund investments: FUND_STAGES
    parties: Mapped[list | None] = mapped_column(JSONType)  # 投保贷: [{"role", "name", "share_pct"}]
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    instrument: Mapped[Instrument] = relationship(lazy="joined")
    firm: Mapped[Firm | None] = relationship(lazy="joined")
    bank: Mapped[Bank | None] = relationship(lazy="joined")

    @property
    def event_label(self) -> str:
        for events in LEDGER_EVENTS.values():
            if self.event in events:
                return events[self.event]
        return self.event


append_only(LedgerEntry.__table__)
