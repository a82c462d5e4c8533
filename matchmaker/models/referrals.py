"""Referrals (转介) of unmatched requests to the policy's alternatives: the government guarantee company,
the emergency bridge fund and the township's financial counselling team; each tracked to its outcome."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .base import Base, utcnow
from .places import Township
from .requests import FinancingRequest
from .users import User

REFERRAL_TARGETS = {
    "guarantee": N_("区政府性融资担保公司"),
    "bridge_fund": N_("应急转贷资金"),
    "counselling": N_("镇街金融辅导队"),
}
REFERRAL_STATES = {
    "open": N_("待跟进"),
    "contacted": N_("已对接"),
    "resolved_funded": N_("已解决·获得融资"),
    "resolved_not_funded": N_("已办结·未获融资"),
}
OPEN_REFERRAL_STATES = ("open", "contacted")


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (UniqueConstraint("request_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("financing_request.id"), index=True)
    target: Mapped[str] = mapped_column(String(16))  # REFERRAL_TARGETS
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)  # the firm's
    state: Mapped[str] = mapped_column(String(24), default="open", index=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    funded_amount: Mapped[int | None] = mapped_column(BigInteger)  # 元, when resolved with financing
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()

    request: Mapped[FinancingRequest] = relationship(lazy="joined")
    township: Mapped[Township | None] = relationship(lazy="joined")
    handler: Mapped[User | None] = relationship(lazy="joined")

    @property
    def target_label(self) -> str:
        return REFERRAL_TARGETS.get(self.target, self.target)

    @property
    def state_label(self) -> str:
        return REFERRAL_STATES.get(self.state, self.state)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REFERRAL_STATES
