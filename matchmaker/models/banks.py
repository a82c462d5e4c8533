"""Banks (银行业金融机构) of the policy's appendix and their yearly targets."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
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
