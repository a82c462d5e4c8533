"""首贷培植 (first-loan cultivation): one case per firm that never had a bank loan, moved through stages by
its owner (a township official or a bank manager) until a bank disburses the firm's first loan."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, utcnow
from .firms import Firm
from .users import User

FIRST_LOAN_STAGES = {
    "identified": N_("已识别"),
    "counselled": N_("已辅导"),
    "applied": N_("已申请"),
    "first_loan": N_("已获首贷"),
}


class FirstLoanCase(Base):
    __tablename__ = "first_loan_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), unique=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"), index=True)  # the bank cultivating it
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default="identified", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"))  # the lead that disbursed the first loan
    first_loan_amount: Mapped[int | None] = mapped_column(BigInteger)  # 元
    first_loan_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    firm: Mapped[Firm] = relationship(lazy="joined")
    bank: Mapped[Bank | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")

    @property
    def stage_label(self) -> str:
        return FIRST_LOAN_STAGES.get(self.stage, self.stage)
