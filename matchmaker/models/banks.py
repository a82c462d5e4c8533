"""Banks (银行业金融机构) of the policy's appendix, their yearly targets and the base-period figures the
three-year goals are measured from."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .places import Township


class Bank(Base):
    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    group_name: Mapped[str] = mapped_column(String(32), default="")  # 工行、农行 … (the parent bank)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int] = mapped_column(Integer, default=200)  # open leads it can work at once

    township: Mapped[Township | None] = relationship(lazy="joined")
    targets: Mapped[list["BankTarget"]] = relationship(back_populates="bank", order_by="BankTarget.year")

    def __repr__(self) -> str:
        return f"<Bank {self.name}>"


class BankTarget(Base):
    """One year's target from the appendix: loan-to-deposit ratio (%) and industrial loan balance (亿元)."""

    __tablename__ = "bank_target"
    __table_args__ = (UniqueConstraint("bank_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    ldr_pct: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    industrial_loans_yi: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    bank: Mapped[Bank] = relationship(back_populates="targets")


class BankBase(Base):
    """A bank's base-period figures as the district entered them (the policy's 2020 年末: 工业贷款余额 and 各项贷款余额,
    integer 元): the three-year goals and the growth since the base are measured from these."""

    __tablename__ = "bank_base"
    __table_args__ = (UniqueConstraint("bank_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the base month (2020-12-01)
    industrial_loans: Mapped[int] = mapped_column(BigInteger)
    loans: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    bank: Mapped[Bank] = relationship()
