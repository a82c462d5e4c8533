"""The firm portrait's records: a firm's consent (授权查询) given when it files a request, and every view of a
portrait by a bank user (谁看过我的画像)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import N_
from .banks import Bank
from .base import Base, utcnow
from .users import User

CONSENT_TEXT = N_("本企业同意：在本次融资需求办理期间，已认领该需求的银行可查询本企业在平台上的企业画像（基本信息、名单与资质、"
                   "纳税信用等级、融资记录、活动参与、评价等），仅用于本次授信审查；每次查询均会留痕，本企业可随时查看谁看过。")


class PortraitConsent(Base):
    """A firm's consent, given on one request, that banks holding a claimed lead of it may see its portrait."""

    __tablename__ = "portrait_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("financing_request.id", ondelete="CASCADE"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")  # the wording the firm agreed to, as shown
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortraitView(Base):
    """One look at a firm's portrait by a bank user (townships and the district see theirs by office)."""

    __tablename__ = "portrait_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(String(16), default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("financing_request.id", ondelete="SET NULL"))
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    bank: Mapped[Bank | None] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(lazy="joined")
