"""The firm's rating (1–5 and a comment) of a bank and its account manager, one per lead, after the outcome."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .base import Base, utcnow
from .requests import Lead
from .users import User

SCORES = {5: N_("非常满意"), 4: N_("满意"), 3: N_("一般"), 2: N_("不满意"), 1: N_("很不满意")}


class Rating(Base):
    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    bank_score: Mapped[int] = mapped_column(SmallInteger)  # 1–5
    manager_score: Mapped[int | None] = mapped_column(SmallInteger)  # 1–5; None when no manager worked it
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="")  # the lead's state when rated, e.g. "disbursed"

    lead: Mapped[Lead] = relationship(lazy="joined")
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id], lazy="joined")

    @property
    def stars(self) -> str:
        return "★" * self.bank_score + "☆" * (5 - self.bank_score)
