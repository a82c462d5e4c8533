"""Banks' monthly statistics reports (月度报送, one row per version), issued bulletins (frozen snapshots) and the
listing reserve pool (上市后备资源库)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .banks import Bank
from .base import Base, JSONType, utcnow
from .firms import Firm
from .users import User


class MonthlyReport(Base):
    """One version of a bank's figures for one month. A correction is a new row with the next version;
    earlier versions are never changed. Money is integer 元."""

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("bank_id", "month", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # first day of the month reported
    version: Mapped[int] = mapped_column(Integer, default=1)
    deposits: Mapped[int] = mapped_column(BigInteger)  # 各项存款余额
    loans: Mapped[int] = mapped_column(BigInteger)  # 各项贷款余额
    industrial_loans: Mapped[int] = mapped_column(BigInteger)  # 工业贷款余额
    new_industrial_loans: Mapped[int] = mapped_column(BigInteger)  # 当月新增工业贷款
    first_loan_count: Mapped[int] = mapped_column(Integer)  # 当月首贷户数
    first_loan_amount: Mapped[int] = mapped_column(BigInteger)  # 当月首贷金额
    ip_pledge_loans: Mapped[int] = mapped_column(BigInteger)  # 知识产权质押贷款余额
    green_loans: Mapped[int] = mapped_column(BigInteger)  # 绿色贷款余额
    kechuang_loans: Mapped[int] = mapped_column(BigInteger)  # 科创贷余额
    zhengyinbao_loans: Mapped[int] = mapped_column(BigInteger)  # 政银保贷余额
    supply_chain_bills: Mapped[int] = mapped_column(BigInteger)  # 供应链票据余额
    source: Mapped[str] = mapped_column(String(16), default="form")  # form / upload / demo
    note: Mapped[str] = mapped_column(Text, default="")  # reason for a correction
    jump_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    bank: Mapped[Bank] = relationship(lazy="joined")
    submitted_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def month_key(self) -> str:
        return self.month.strftime("%Y-%m")


class Bulletin(Base):
    """An issued 月通报 / 季评价 / 年考核: the figures as published, frozen as JSON."""

    __tablename__ = "bulletin"
    __table_args__ = (UniqueConstraint("kind", "period", "edition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # monthly / quarterly / annual
    period: Mapped[str] = mapped_column(String(8), index=True)  # 2022-03 / 2022Q1 / 2022
    edition: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSONType)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    issued_by: Mapped[User | None] = relationship(lazy="joined")


class ListingCandidate(Base):
    """A firm in the listing reserve pool, with its tier (梯队) and stage (培育 → 股改 → 辅导 → 申报 → 上市/挂牌)."""

    __tablename__ = "listing_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(32), default="other")
    tier: Mapped[str] = mapped_column(String(16), default="third")
    stage: Mapped[str] = mapped_column(String(16), default="cultivating", index=True)
    market: Mapped[str] = mapped_column(String(16), default="")
    joint_stock_on: Mapped[date | None] = mapped_column(Date)  # 股改完成（成为股份有限公司）
    listed_on: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[str] = mapped_column(String(50), default="")  # 包保责任人
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    firm: Mapped[Firm | None] = relationship(lazy="joined")
