"""Claims on a firm record by a newly registered account, the township's one-time claim codes, and a firm's
requests to move to another township: all waiting for a township's or the district's decision."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .base import Base, utcnow
from .firms import Firm
from .places import Township
from .users import User

CLAIM_STATES = {"pending": N_("待审核"), "approved": N_("已通过"), "rejected": N_("已驳回")}
MOVE_STATES = {"pending": N_("待审核"), "approved": N_("已通过"), "rejected": N_("已驳回"), "withdrawn": N_("已撤回")}


class FirmClaim(Base):
    """An account asking to act for an existing firm; it sees nothing of the firm until approved."""

    __tablename__ = "firm_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # what the claimant typed, shown to the reviewer next to the firm's record
    name: Mapped[str] = mapped_column(String(200), default="")
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    # the business licence, stored under the instance folder (never under static/)
    licence_file: Mapped[str | None] = mapped_column(String(64))
    licence_type: Mapped[str | None] = mapped_column(String(32))
    licence_size: Mapped[int | None] = mapped_column(Integer)
    via_code: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()

    firm: Mapped[Firm] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    township: Mapped[Township | None] = relationship()

    @property
    def state_label(self) -> str:
        return CLAIM_STATES.get(self.state, self.state)


class ClaimCode(Base):
    """A one-time code a township hands to a firm; only its SHA-256 is kept."""

    __tablename__ = "claim_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("firm_claim.id"))


class TownshipMove(Base):
    """A firm asking to belong to another township; it stays where it is until approved."""

    __tablename__ = "township_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    from_township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    to_township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()

    firm: Mapped[Firm] = relationship(lazy="joined")
    from_township: Mapped[Township | None] = relationship(foreign_keys=[from_township_id], lazy="joined")
    to_township: Mapped[Township] = relationship(foreign_keys=[to_township_id], lazy="joined")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def state_label(self) -> str:
        return MOVE_STATES.get(self.state, self.state)
