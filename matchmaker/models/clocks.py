"""The clocks' tables: the district's working-day overrides and the escalations of overdue leads."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .base import Base, utcnow
from .requests import Lead

ESCALATION_KINDS = {
    "contact": N_("认领后超期未联系企业"),
    "decision": N_("认领后超期未作出审批决定"),
}


class WorkdayOverride(Base):
    """One date the district declares a working day or a day off (e.g. the State Council's 2027 schedule);
    consulted before the chinese_calendar library."""

    __tablename__ = "workday_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LeadEscalation(Base):
    """A claimed lead that missed its contact or decision deadline; written once per lead and kind."""

    __tablename__ = "lead_escalation"
    __table_args__ = (UniqueConstraint("lead_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # ESCALATION_KINDS
    due_on: Mapped[date] = mapped_column(Date, index=True)  # the working-day deadline that was missed
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    lead: Mapped[Lead] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return ESCALATION_KINDS.get(self.kind, self.kind)
