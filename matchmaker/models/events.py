"""Matchmaking events (银企对接活动): the event, its banks and products, invitations with check-in, and the
intentions (签约意向 / 对接意向) recorded on the day, each tracked as a lead."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, utcnow
from .firms import Firm
from .places import Township
from .products import Product
from .requests import FinancingRequest, Lead
from .users import User

EVENT_KINDS = {
    "township": N_("镇街专场"),
    "industry": N_("产业专场"),
    "roadshow": N_("银行产品路演"),
}
# The district's four leading industries (codes of models.firms.INDUSTRIES).
LEADING_INDUSTRIES = ("new_materials", "water_treatment", "textiles", "health_devices")
INVITATION_STATES = {"invited": N_("待回复"), "accepted": N_("已报名"), "declined": N_("不参加")}
INVITATION_SOURCES = {"filter": N_("条件筛选"), "manual": N_("手工添加"), "walk_in": N_("现场登记")}
INTENTION_KINDS = {"signing": N_("签约意向"), "contact": N_("对接意向")}


class MatchmakingEvent(Base):
    """One event. `starts_at` is Beijing wall-clock time as typed (an appointment, not an instant)."""

    __tablename__ = "matchmaking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    industry: Mapped[str | None] = mapped_column(String(32))  # industry events: one of LEADING_INDUSTRIES
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)  # None = 全区
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    venue: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)  # firms
    description: Mapped[str] = mapped_column(Text, default="")
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    township: Mapped[Township | None] = relationship(lazy="joined")
    organiser: Mapped[User | None] = relationship()
    banks: Mapped[list["EventBank"]] = relationship(back_populates="event", cascade="all, delete-orphan",
                                                    order_by="EventBank.id")
    products: Mapped[list["EventProduct"]] = relationship(back_populates="event", cascade="all, delete-orphan",
                                                          order_by="EventProduct.id")

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def bank_ids(self) -> list[int]:
        return [b.bank_id for b in self.banks]

    @property
    def product_ids(self) -> list[int]:
        return [p.product_id for p in self.products]

    def __repr__(self) -> str:
        return f"<MatchmakingEvent {self.title}>"


class EventBank(Base):
    """A bank taking part in an event (it is notified when added)."""

    __tablename__ = "event_bank"
    __table_args__ = (UniqueConstraint("event_id", "bank_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_event.id", ondelete="CASCADE"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)

    event: Mapped[MatchmakingEvent] = relationship(back_populates="banks")
    bank: Mapped[Bank] = relationship(lazy="joined")


class EventProduct(Base):
    """A product a participating bank presents at the event."""

    __tablename__ = "event_product"
    __table_args__ = (UniqueConstraint("event_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_event.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))

    event: Mapped[MatchmakingEvent] = relationship(back_populates="products")
    product: Mapped[Product] = relationship(lazy="joined")


class EventInvitation(Base):
    """A firm on the event's list: invited (by filter or by hand) or registered on the spot (walk-in)."""

    __tablename__ = "event_invitation"
    __table_args__ = (UniqueConstraint("event_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_event.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="invited", index=True)
    source: Mapped[str] = mapped_column(String(16), default="filter")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    responded_at: Mapped[datetime | None] = mapped_column()
    need_request_id: Mapped[int | None] = mapped_column(ForeignKey("financing_request.id"))
    checked_in_at: Mapped[datetime | None] = mapped_column()
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    event: Mapped[MatchmakingEvent] = relationship()
    firm: Mapped[Firm] = relationship(lazy="joined")
    need_request: Mapped[FinancingRequest | None] = relationship()

    @property
    def state_label(self) -> str:
        return INVITATION_STATES.get(self.state, self.state)

    @property
    def is_walk_in(self) -> bool:
        return self.source == "walk_in"


class EventIntention(Base):
    """Bank × firm × product × intended amount, recorded at the event; it is tracked as `lead` (claimed)."""

    __tablename__ = "event_intention"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_event.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    kind: Mapped[str] = mapped_column(String(16), default="contact")
    amount: Mapped[int] = mapped_column(BigInteger)  # 元
    note: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int] = mapped_column(ForeignKey("financing_request.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    escalated_state: Mapped[str | None] = mapped_column(String(16))  # lead state when last escalated
    escalated_at: Mapped[datetime | None] = mapped_column()

    event: Mapped[MatchmakingEvent] = relationship()
    firm: Mapped[Firm] = relationship(lazy="joined")
    bank: Mapped[Bank] = relationship(lazy="joined")
    product: Mapped[Product] = relationship(lazy="joined")
    lead: Mapped[Lead] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return INTENTION_KINDS.get(self.kind, self.kind)
