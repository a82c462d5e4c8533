"""Financing requests (融资需求), the leads they are routed as (线索) and banks' offers."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, JSONType, utcnow
from .firms import Firm
from .products import Product

REQUEST_STATES = {
    "draft": N_("草稿"),
    "submitted": N_("已提交"),
    "routed": N_("已推送银行"),
    "offered": N_("已获授信"),
    "accepted": N_("已接受方案"),
    "funded": N_("已放款"),
    "unmatched": N_("未匹配"),
    "referred": N_("已转介"),
    "withdrawn": N_("已撤回"),
}
LEAD_STATES = {
    "routed": N_("待认领"),
    "claimed": N_("已认领"),
    "contacted": N_("已联系"),
    "in_review": N_("审查中"),
    "approved": N_("已审批"),
    "disbursed": N_("已放款"),
    "declined": N_("已拒绝"),
    "expired": N_("已超时"),
    "released": N_("已释放"),
}
OPEN_LEAD_STATES = ("routed", "claimed", "contacted", "in_review", "approved")
DECLINE_REASONS = {
    "collateral": (N_("抵押担保不足"), True, N_("补充抵押物或申请政府性融资担保（政银保贷）")),
    "credit_record": (N_("征信记录不良"), True, N_("修复征信后再申请，可咨询镇街金融辅导队")),
    "credit_policy": (N_("不符合授信政策"), False, N_("尝试其他银行或其他产品")),
    "over_capacity": (N_("金额超出可贷额度"), True, N_("降低申请金额或分期申请")),
    "documents": (N_("资料不齐全"), True, N_("补齐资料后重新提交")),
    "unreachable": (N_("企业无法联系"), True, N_("更新联系人和电话")),
    "firm_withdrew": (N_("企业主动放弃"), False, N_("如有需要可重新发起需求")),
    "other": (N_("其他原因"), False, N_("联系客户经理了解详情")),
}


class FinancingRequest(Base):
    __tablename__ = "financing_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # 元
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text)
    collateral: Mapped[str] = mapped_column(String(16), default="none")
    products_of_interest: Mapped[list] = mapped_column(JSONType, default=list)  # ProductKind codes
    linked_project: Mapped[str] = mapped_column(String(200), default="")
    renewal: Mapped[bool] = mapped_column(Boolean, default=False)  # 到期续贷: to repay a maturing bank loan
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)  # latest first

    firm: Mapped[Firm] = relationship(lazy="joined")
    leads: Mapped[list["Lead"]] = relationship(back_populates="request", order_by="Lead.rank")

    @property
    def state_label(self) -> str:
        return REQUEST_STATES.get(self.state, self.state)


class Lead(Base):
    """One request routed to one bank (with the product it was matched on)."""

    __tablename__ = "lead"
    __table_args__ = (Index("ix_lead_bank_state", "bank_id", "state"),  # a bank's inbox tabs
                      Index("ix_lead_updated_at_id", "updated_at", "id"),  # the API's incremental sync
                      Index("ix_lead_created_at", "created_at"))  # leads routed in a period (bulletins)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("financing_request.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    state: Mapped[str] = mapped_column(String(16), default="routed", index=True)
    rank: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[Decimal] = mapped_column(Numeric(8, 3), default=Decimal("0"))
    score_parts: Mapped[dict] = mapped_column(JSONType, default=dict)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_deadline: Mapped[date | None] = mapped_column(Date)
    claimed_at: Mapped[datetime | None] = mapped_column(index=True)
    contacted_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(index=True)
    decline_code: Mapped[str | None] = mapped_column(String(32))
    decline_note: Mapped[str] = mapped_column(Text, default="")
    disbursed_amount: Mapped[int | None] = mapped_column(BigInteger)  # 元
    disbursed_at: Mapped[date | None] = mapped_column(Date, index=True)
    # bumped by every UPDATE of the row, ORM or Core (conditional claims and the sweep included)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    request: Mapped[FinancingRequest] = relationship(back_populates="leads")
    bank: Mapped[Bank] = relationship(lazy="joined")
    product: Mapped[Product | None] = relationship(lazy="joined")
    offer: Mapped["Offer | None"] = relationship(back_populates="lead", uselist=False)

    @property
    def is_intention(self) -> bool:
        """A lead made from an intention recorded at a matchmaking event (not routed, so it has no score)."""
        return "event" in (self.score_parts or {})

    @property
    def offer_accepted(self) -> bool:
        return self.offer is not None and self.offer.state == "accepted"

    @property
    def state_label(self) -> str:
        return LEAD_STATES.get(self.state, self.state)

    @property
    def decline_label(self) -> str:
        return DECLINE_REASONS.get(self.decline_code or "", ("",))[0]

    @property
    def is_claimed(self) -> bool:
        return self.claimed_at is not None


class Offer(Base):
    """A bank's approval: the terms it offers the firm."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # 元
    rate_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    term_months: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="open")  # open / accepted / released
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[Lead] = relationship(back_populates="offer")
