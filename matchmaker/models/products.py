"""Loan products: the policy's product kinds (科创贷 …) and each bank's concrete products."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, JSONType

COLLATERAL_KINDS = {
    "none": N_("无抵押（信用）"),
    "property": N_("房产土地抵押"),
    "equipment": N_("机器设备抵押"),
    "patent": N_("专利权质押"),
    "trademark": N_("商标权质押"),
    "equity": N_("股权质押"),
    "receivables": N_("应收账款"),
    "guarantee": N_("第三方/担保公司保证"),
}


class ProductKind(Base):
    """One of the loan products the policy names (科创贷, 人才贷, 首贷培植 …)."""

    __tablename__ = "product_kind"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    policy_ref: Mapped[str] = mapped_column(String(200), default="")


class Product(Base):
    """A bank's product with its basic eligibility (amounts in 元, terms in months)."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    kind_code: Mapped[str] = mapped_column(ForeignKey("product_kind.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    min_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    max_amount: Mapped[int] = mapped_column(BigInteger)
    min_term_months: Mapped[int] = mapped_column(Integer, default=1)
    max_term_months: Mapped[int] = mapped_column(Integer, default=36)
    collateral: Mapped[list] = mapped_column(JSONType, default=list)  # accepted COLLATERAL_KINDS codes
    first_loan_only: Mapped[bool] = mapped_column(Boolean, default=False)
    rules: Mapped[dict] = mapped_column(JSONType, default=dict)  # further eligibility rules, as data
    rate_note: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    bank: Mapped[Bank] = relationship(lazy="joined")
    kind: Mapped[ProductKind] = relationship(lazy="joined")
